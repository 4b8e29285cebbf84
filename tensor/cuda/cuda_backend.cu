// CudaBackend: the Backend on an NVIDIA GPU. Layer: tensor/cuda, the only folder that includes
// CUDA headers. Built when STAA_CUDA is on. Every call works on the calling thread's current GPU,
// which backend_for(device) has made the tensors' own; everything goes on its default stream.
// Here: copies (host <-> device through tensor/cuda/memory.cu's pinned staging), fills, Philox
// random fills (the same numbers as the CPU), every elementwise op from the shared functors
// (broadcasting included), where, and GEMM by cuBLAS; the other families forward to their files
// (tensor/cuda/kernels.h). Every call into CUDA, cuBLAS and cuDNN is checked.
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <array>
#include <mutex>
#include <vector>

#include "tensor/allocator.h"
#include "tensor/backend.h"
#include "tensor/cuda/cuda_check.h"
#include "tensor/cuda/kernels.h"
#include "tensor/cuda/launch.h"
#include "tensor/cuda/memory.h"
#include "tensor/cuda/neuron.h"
#include "tensor/dispatch.h"

#define STAA_CUBLAS_CHECK(call)                                                         \
  do {                                                                                  \
    const cublasStatus_t st_ = (call);                                                  \
    STAA_CHECK(st_ == CUBLAS_STATUS_SUCCESS, "cublas: ", #call, " failed with status ", \
               static_cast<int>(st_));                                                  \
  } while (0)

namespace staa {
namespace {

using cuda::blocks_for;
using cuda::check_launch;
using cuda::kThreads;

// ---- kernels ----------------------------------------------------------------------------------

template <typename S, typename D>
__global__ void cast_kernel(const S* in, D* out, int64_t n) {
  const int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (i < n) out[i] = static_cast<D>(in[i]);
}

template <typename T>
__global__ void fill_kernel(T* out, int64_t n, double value, double step) {
  const int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (i < n) out[i] = static_cast<T>(value + step * static_cast<double>(i));
}

enum class RandomKind { kUniform, kNormal, kDropout };

// Element i uses Philox block (seed, offset + i): the CPU backend's formula exactly.
template <typename T>
__global__ void random_kernel(T* out, int64_t n, RandomKind kind, double a, double b, uint64_t seed,
                              uint64_t offset) {
  const int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (i >= n) return;
  uint32_t r[4];
  philox4x32(seed, offset + i, 0, r);
  const double u = uint_to_unit_double(r[0], r[1]);
  if (kind == RandomKind::kUniform) {
    out[i] = static_cast<T>(a + (b - a) * u);
  } else if (kind == RandomKind::kNormal) {
    const double u2 = uint_to_unit_double(r[2], r[3]);
    out[i] = static_cast<T>(a + b * sqrt(-2.0 * ::log(1.0 - u)) * cos(6.283185307179586 * u2));
  } else {
    out[i] = u < a ? static_cast<T>(1.0 / a) : T(0);
  }
}

template <typename T, typename F>
__global__ void unary_kernel(const T* x, T* y, int64_t n, ScalarParams<T> p) {
  const int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (i < n) y[i] = F::forward(x[i], p);
}

template <typename T, typename F>
__global__ void unary_grad_kernel(const T* x, const T* y, const T* g, T* gx, int64_t n,
                                  ScalarParams<T> p) {
  const int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (i < n) gx[i] = F::backward(x ? x[i] : T(0), y ? y[i] : T(0), g[i], p);
}

// Broadcast offsets of a and b for output element i, from per-dim sizes and strides.
struct BroadcastIndex {
  int ndim = 0;
  int64_t sizes[Shape::kMaxDims], stride_a[Shape::kMaxDims], stride_b[Shape::kMaxDims];
  __device__ void offsets(int64_t i, int64_t& ia, int64_t& ib) const {
    ia = ib = 0;
    for (int d = ndim - 1; d >= 0; --d) {
      const int64_t idx = i % sizes[d];
      i /= sizes[d];
      ia += idx * stride_a[d];
      ib += idx * stride_b[d];
    }
  }
};

BroadcastIndex broadcast_index(const Shape& out, const Shape& a, const Shape& b) {
  BroadcastIndex bi;
  bi.ndim = out.ndim();
  auto fill_strides = [&](const Shape& s, int64_t* st) {
    int64_t stride = 1;
    for (int d = out.ndim() - 1; d >= 0; --d) {
      const int j = d - (out.ndim() - s.ndim());
      const int64_t size = j >= 0 ? s[j] : 1;
      st[d] = size == 1 ? 0 : stride;
      stride *= size;
    }
  };
  for (int d = 0; d < out.ndim(); ++d) bi.sizes[d] = out[d];
  fill_strides(a, bi.stride_a);
  fill_strides(b, bi.stride_b);
  return bi;
}

template <typename T, typename F>
__global__ void binary_kernel(const T* a, const T* b, T* out, int64_t n, BroadcastIndex bi) {
  const int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (i >= n) return;
  int64_t ia, ib;
  bi.offsets(i, ia, ib);
  out[i] = F::forward(a[ia], b[ib]);
}

template <typename T, bool kMomentum, bool kNesterov, bool kFirst>
__global__ void sgd_step_kernel(T* p, const T* grad, T* buf, int64_t n, SgdScalars<T> s) {
  const int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (i >= n) return;
  T unused = 0;
  sgd_update<kMomentum, kNesterov, kFirst>(p[i], grad[i], kMomentum ? buf[i] : unused, s);
}

template <typename T, typename F>
__global__ void binary_grad_kernel(const T* a, const T* b, const T* g, T* ga, T* gb, int64_t n,
                                   BroadcastIndex bi) {
  const int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (i >= n) return;
  int64_t ia, ib;
  bi.offsets(i, ia, ib);
  if (ga) ga[i] = F::grad_a(a[ia], b[ib], g[i]);
  if (gb) gb[i] = F::grad_b(a[ia], b[ib], g[i]);
}

template <typename T>
__global__ void where_kernel(const T* c, const T* a, const T* b, T* out, int64_t n) {
  const int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (i < n) out[i] = c[i] != T(0) ? a[i] : b[i];
}

class CudaBackend final : public Backend {
 public:
  const char* name() const override { return "cuda"; }

  void copy(const Tensor& src, Tensor& dst) override {
    const int64_t n = src.numel();
    if (n == 0) return;
    if (src.dtype() == dst.dtype()) {
      if (src.raw_data() == dst.raw_data()) return;  // onto itself (overlap is undefined)
      STAA_CUDA_CHECK(cudaMemcpyAsync(dst.raw_data(), src.raw_data(), src.nbytes(),
                                      cudaMemcpyDeviceToDevice, cudaStreamLegacy));
      return;
    }
    dispatch_all(src.dtype(), [&](auto s) {
      dispatch_all(dst.dtype(), [&](auto d) {
        using S = decltype(s);
        using D = decltype(d);
        cast_kernel<S, D><<<blocks_for(n), kThreads>>>(src.data<S>(), dst.data<D>(), n);
      });
    });
    check_launch();
  }
  // Returns before the GPU has the bytes (pinned staging, tensor/cuda/memory.cu).
  void copy_from_host(const void* src, Tensor& dst) override {
    cuda::copy_from_host(src, dst.raw_data(), dst.nbytes());
  }
  // Waits for the GPU: the value must reach the host.
  void copy_to_host(const Tensor& src, void* dst) override {
    cuda::copy_to_host(src.raw_data(), dst, src.nbytes());
  }
  void copy_block(const Tensor& src, int64_t src_ld, int64_t src_col, Tensor& dst, int64_t dst_ld,
                  int64_t dst_col, int64_t rows, int64_t cols) override {
    if (rows == 0 || cols == 0) return;
    const size_t es = dtype_size(src.dtype());
    if (rows == 1 || (src_ld == cols && dst_ld == cols)) {  // one contiguous run (no pitch limit)
      STAA_CUDA_CHECK(cudaMemcpyAsync(static_cast<char*>(dst.raw_data()) + dst_col * es,
                                      static_cast<const char*>(src.raw_data()) + src_col * es,
                                      rows * cols * es, cudaMemcpyDeviceToDevice,
                                      cudaStreamLegacy));
      return;
    }
    STAA_CUDA_CHECK(
        cudaMemcpy2DAsync(static_cast<char*>(dst.raw_data()) + dst_col * es, dst_ld * es,
                          static_cast<const char*>(src.raw_data()) + src_col * es, src_ld * es,
                          cols * es, rows, cudaMemcpyDeviceToDevice, cudaStreamLegacy));
  }

  void fill(Tensor& out, double value) override { fill_range(out, value, 0.0); }
  void arange(Tensor& out, double start, double step) override { fill_range(out, start, step); }
  void uniform(Tensor& out, double low, double high, uint64_t seed, uint64_t offset) override {
    random(out, RandomKind::kUniform, low, high, seed, offset);
  }
  void normal(Tensor& out, double mean, double stddev, uint64_t seed, uint64_t offset) override {
    random(out, RandomKind::kNormal, mean, stddev, seed, offset);
  }
  void dropout_mask(Tensor& mask, double keep, uint64_t seed, uint64_t offset) override {
    random(mask, RandomKind::kDropout, keep, 0.0, seed, offset);
  }

  void unary(UnaryOp op, const Tensor& x, Tensor& y, double p0, double p1) override;
  void unary_backward(UnaryOp op, const Tensor& x, const Tensor& y, const Tensor& grad_y,
                      Tensor& grad_x, double p0, double p1) override;
  void binary(BinaryOp op, const Tensor& a, const Tensor& b, Tensor& out) override;
  void binary_backward(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& grad_out,
                       Tensor& grad_a, Tensor& grad_b) override;
  void where(const Tensor& cond, const Tensor& a, const Tensor& b, Tensor& out) override {
    const int64_t n = out.numel();
    if (n == 0) return;
    dispatch_float(out.dtype(), "where", [&](auto tag) {
      using T = decltype(tag);
      where_kernel<T>
          <<<blocks_for(n), kThreads>>>(cond.data<T>(), a.data<T>(), b.data<T>(), out.data<T>(), n);
    });
    check_launch();
  }

  // Reductions, softmax, layer norm (reduce.cu), shape and index ops (shape.cu), pooling
  // (pool.cu), batch norm (norm.cu) and convolution (conv.cu, cuDNN).
  void reduce(ReduceOp op, const Tensor& x, const ReduceLayout& layout, Tensor& out,
              Tensor& index) override {
    cuda::reduce(op, x, layout, out, index);
  }
  void reduce_max_backward(const Tensor& grad_out, const Tensor& index, const ReduceLayout& layout,
                           Tensor& grad_x) override {
    cuda::reduce_max_backward(grad_out, index, layout, grad_x);
  }
  void permute(const Tensor& x, const std::vector<int>& perm, Tensor& out) override {
    cuda::permute(x, perm, out);
  }
  void expand(const Tensor& x, Tensor& out) override { cuda::expand(x, out); }
  void index_select(const Tensor& x, const DimLayout& layout, const Tensor& index,
                    Tensor& out) override {
    cuda::index_select(x, layout, index, out);
  }
  void index_add(const Tensor& grad_out, const DimLayout& layout, const Tensor& index,
                 Tensor& grad_x) override {
    cuda::index_add(grad_out, layout, index, grad_x);
  }
  void gather(const Tensor& x, const DimLayout& layout, const Tensor& index, Tensor& out) override {
    cuda::gather(x, layout, index, out);
  }
  void scatter_add(const Tensor& grad_out, const DimLayout& layout, const Tensor& index,
                   Tensor& grad_x) override {
    cuda::scatter_add(grad_out, layout, index, grad_x);
  }
  void softmax(const Tensor& x, const DimLayout& layout, bool log, Tensor& y) override {
    cuda::softmax(x, layout, log, y);
  }
  void softmax_backward(const Tensor& y, const Tensor& grad_y, const DimLayout& layout, bool log,
                        Tensor& grad_x) override {
    cuda::softmax_backward(y, grad_y, layout, log, grad_x);
  }

  void conv2d(const Tensor& x, const Tensor& w, const Tensor& bias, const Conv2dGeometry& g,
              Tensor& y) override {
    cuda::conv2d(x, w, bias, g, y);
  }
  void conv2d_backward_data(const Tensor& grad_y, const Tensor& w, const Conv2dGeometry& g,
                            Tensor& grad_x) override {
    cuda::conv2d_backward_data(grad_y, w, g, grad_x);
  }
  void conv2d_backward_weight(const Tensor& grad_y, const Tensor& x, const Conv2dGeometry& g,
                              Tensor& grad_w, Tensor& grad_bias) override {
    cuda::conv2d_backward_weight(grad_y, x, g, grad_w, grad_bias);
  }

  void avg_pool2d(const Tensor& x, const Pool2dGeometry& g, Tensor& y) override {
    cuda::avg_pool2d(x, g, y);
  }
  void avg_pool2d_backward(const Tensor& grad_y, const Pool2dGeometry& g, Tensor& grad_x) override {
    cuda::avg_pool2d_backward(grad_y, g, grad_x);
  }
  void max_pool2d(const Tensor& x, const Pool2dGeometry& g, Tensor& y, Tensor& index) override {
    cuda::max_pool2d(x, g, y, index);
  }
  void max_pool2d_backward(const Tensor& grad_y, const Tensor& index, const Pool2dGeometry& g,
                           Tensor& grad_x) override {
    cuda::max_pool2d_backward(grad_y, index, g, grad_x);
  }
  void adaptive_avg_pool2d(const Tensor& x, const AdaptivePool2dGeometry& g, Tensor& y) override {
    cuda::adaptive_avg_pool2d(x, g, y);
  }
  void adaptive_avg_pool2d_backward(const Tensor& grad_y, const AdaptivePool2dGeometry& g,
                                    Tensor& grad_x) override {
    cuda::adaptive_avg_pool2d_backward(grad_y, g, grad_x);
  }
  void batch_norm_stats(const Tensor& x, const BatchNormLayout& l, Tensor& mean,
                        Tensor& var) override {
    cuda::batch_norm_stats(x, l, mean, var);
  }
  void batch_norm_forward(const Tensor& x, const Tensor& mean, const Tensor& var,
                          const Tensor& weight, const Tensor& bias, const BatchNormLayout& l,
                          double eps, Tensor& y) override {
    cuda::batch_norm_forward(x, mean, var, weight, bias, l, eps, y);
  }
  void batch_norm_backward(const Tensor& x, const Tensor& mean, const Tensor& var,
                           const Tensor& weight, const Tensor& grad_y, const BatchNormLayout& l,
                           double eps, bool training, Tensor& grad_x, Tensor& grad_weight,
                           Tensor& grad_bias) override {
    cuda::batch_norm_backward(x, mean, var, weight, grad_y, l, eps, training, grad_x, grad_weight,
                              grad_bias);
  }
  void layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias,
                  const LayerNormLayout& l, double eps, Tensor& y, Tensor& mean,
                  Tensor& inv_std) override {
    cuda::layer_norm(x, weight, bias, l, eps, y, mean, inv_std);
  }
  void layer_norm_backward(const Tensor& x, const Tensor& mean, const Tensor& inv_std,
                           const Tensor& weight, const Tensor& grad_y, const LayerNormLayout& l,
                           Tensor& grad_x, Tensor& grad_weight, Tensor& grad_bias) override {
    cuda::layer_norm_backward(x, mean, inv_std, weight, grad_y, l, grad_x, grad_weight, grad_bias);
  }

  void lif_forward(const Tensor& x, const Tensor& leak, const Tensor& gain, const LifLayout& l,
                   const LifParams& p, Tensor& spikes, Tensor& membrane) override {
    cuda::lif_forward(x, leak, gain, l, p, spikes, membrane);
  }
  void lif_backward(const Tensor& x, const Tensor& membrane, const Tensor& leak, const Tensor& gain,
                    const Tensor& grad_spikes, const LifLayout& l, const LifParams& p,
                    Tensor& grad_x, Tensor& grad_leak, Tensor& grad_gain) override {
    cuda::lif_backward(x, membrane, leak, gain, grad_spikes, l, p, grad_x, grad_leak, grad_gain);
  }

  void spike_reset(const Tensor& d, const LifParams& p, Tensor& h) override {
    cuda::spike_reset(d, p, h);
  }
  void spike_reset_backward(const Tensor& d, const Tensor& grad_h, const LifParams& p,
                            Tensor& grad_d) override {
    cuda::spike_reset_backward(d, grad_h, p, grad_d);
  }
  void membrane_update(const Tensor& x, const Tensor& h, const Tensor& gain, const Tensor& leak,
                       const Tensor& bias, Tensor& out) override {
    cuda::membrane_update(x, h, gain, leak, bias, out);
  }
  void membrane_update_backward(const Tensor& x, const Tensor& h, const Tensor& gain,
                                const Tensor& leak, const Tensor& grad_out, Tensor& grad_x,
                                Tensor& grad_h, Tensor& grad_gain, Tensor& grad_leak,
                                Tensor& grad_bias) override {
    cuda::membrane_update_backward(x, h, gain, leak, grad_out, grad_x, grad_h, grad_gain, grad_leak,
                                   grad_bias);
  }

  void gemm(const GemmParams& p, const Tensor& a, const Tensor& b, Tensor& c) override;
  void sgd_step(Tensor& p, const Tensor& grad, Tensor& buf, const SgdStepParams& s) override {
    const int64_t n = p.numel();
    if (n == 0) return;
    dispatch_float(p.dtype(), "sgd_step", [&](auto tag) {
      using T = decltype(tag);
      T* pb = buf.defined() ? buf.data<T>() : nullptr;
      with_sgd_flags(s, [&](auto momentum, auto nesterov, auto first) {
        sgd_step_kernel<T, momentum, nesterov, first>
            <<<blocks_for(n), kThreads>>>(p.data<T>(), grad.data<T>(), pb, n, SgdScalars<T>(s));
      });
    });
    check_launch();
  }

 private:
  void fill_range(Tensor& out, double start, double step) {
    const int64_t n = out.numel();
    if (n == 0) return;
    dispatch_all(out.dtype(), [&](auto tag) {
      using T = decltype(tag);
      fill_kernel<T><<<blocks_for(n), kThreads>>>(out.data<T>(), n, start, step);
    });
    check_launch();
  }
  void random(Tensor& out, RandomKind kind, double a, double b, uint64_t seed, uint64_t offset) {
    const int64_t n = out.numel();
    if (n == 0) return;
    dispatch_float(out.dtype(), "random fill", [&](auto tag) {
      using T = decltype(tag);
      random_kernel<T><<<blocks_for(n), kThreads>>>(out.data<T>(), n, kind, a, b, seed, offset);
    });
    check_launch();
  }
  // The cuBLAS handle of the current GPU (a handle belongs to the GPU current at its creation),
  // in the math mode allow_tf32() asks for: CUBLAS_DEFAULT_MATH computes f32 GEMMs in f32 (no
  // TF32), CUBLAS_TF32_TENSOR_OP_MATH lets them round inputs to TF32. The mode is set only when it
  // changes (remembered per handle), so the call costs a compare.
  cublasHandle_t cublas() {
    const int device = cuda::current_device();
    STAA_CHECK(device < kMaxDevices, "cuda: GPU ", device, " is beyond the ", kMaxDevices,
               " cuBLAS handles of this build");
    std::lock_guard<std::mutex> lock(cublas_mutex_);
    Cublas& c = cublas_[device];
    if (c.handle == nullptr) STAA_CUBLAS_CHECK(cublasCreate(&c.handle));
    const cublasMath_t mode = allow_tf32() ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH;
    if (!c.mode_set || c.mode != mode) {
      STAA_CUBLAS_CHECK(cublasSetMathMode(c.handle, mode));
      c.mode = mode;
      c.mode_set = true;
    }
    return c.handle;
  }

  static constexpr int kMaxDevices = 64;
  struct Cublas {
    cublasHandle_t handle = nullptr;
    cublasMath_t mode = CUBLAS_DEFAULT_MATH;
    bool mode_set = false;
  };
  std::mutex cublas_mutex_;
  std::array<Cublas, kMaxDevices> cublas_{};
};

void CudaBackend::unary(UnaryOp op, const Tensor& x, Tensor& y, double p0, double p1) {
  const int64_t n = x.numel();
  if (n == 0) return;
  dispatch_float(x.dtype(), unary_op_name(op), [&](auto tag) {
    using T = decltype(tag);
    const ScalarParams<T> p{static_cast<T>(p0), static_cast<T>(p1)};
    switch (op) {
#define STAA_CASE(name, Functor)                                                           \
  case UnaryOp::name:                                                                      \
    unary_kernel<T, Functor><<<blocks_for(n), kThreads>>>(x.data<T>(), y.data<T>(), n, p); \
    break;
      STAA_UNARY_OPS(STAA_CASE)
#undef STAA_CASE
    }
  });
  check_launch();
}

void CudaBackend::unary_backward(UnaryOp op, const Tensor& x, const Tensor& y, const Tensor& grad_y,
                                 Tensor& grad_x, double p0, double p1) {
  const int64_t n = grad_y.numel();
  if (n == 0) return;
  dispatch_float(grad_y.dtype(), unary_op_name(op), [&](auto tag) {
    using T = decltype(tag);
    const ScalarParams<T> p{static_cast<T>(p0), static_cast<T>(p1)};
    const T* px = x.defined() ? x.data<T>() : nullptr;
    const T* py = y.defined() ? y.data<T>() : nullptr;
    switch (op) {
#define STAA_CASE(name, Functor)                                                         \
  case UnaryOp::name:                                                                    \
    unary_grad_kernel<T, Functor>                                                        \
        <<<blocks_for(n), kThreads>>>(px, py, grad_y.data<T>(), grad_x.data<T>(), n, p); \
    break;
      STAA_UNARY_OPS(STAA_CASE)
#undef STAA_CASE
    }
  });
  check_launch();
}

void CudaBackend::binary(BinaryOp op, const Tensor& a, const Tensor& b, Tensor& out) {
  const int64_t n = out.numel();
  if (n == 0) return;
  const BroadcastIndex bi = broadcast_index(out.shape(), a.shape(), b.shape());
  dispatch_float(a.dtype(), binary_op_name(op), [&](auto tag) {
    using T = decltype(tag);
    switch (op) {
#define STAA_CASE(name, Functor)                                                       \
  case BinaryOp::name:                                                                 \
    binary_kernel<T, Functor>                                                          \
        <<<blocks_for(n), kThreads>>>(a.data<T>(), b.data<T>(), out.data<T>(), n, bi); \
    break;
      STAA_BINARY_OPS(STAA_CASE)
      STAA_COMPARE_OPS(STAA_CASE)
#undef STAA_CASE
    }
  });
  check_launch();
}

void CudaBackend::binary_backward(BinaryOp op, const Tensor& a, const Tensor& b,
                                  const Tensor& grad_out, Tensor& grad_a, Tensor& grad_b) {
  const int64_t n = grad_out.numel();
  if (n == 0) return;
  const BroadcastIndex bi = broadcast_index(grad_out.shape(), a.shape(), b.shape());
  dispatch_float(a.dtype(), binary_op_name(op), [&](auto tag) {
    using T = decltype(tag);
    T* ga = grad_a.defined() ? grad_a.data<T>() : nullptr;
    T* gb = grad_b.defined() ? grad_b.data<T>() : nullptr;
    switch (op) {
#define STAA_CASE(name, Functor)                                      \
  case BinaryOp::name:                                                \
    binary_grad_kernel<T, Functor><<<blocks_for(n), kThreads>>>(      \
        a.data<T>(), b.data<T>(), grad_out.data<T>(), ga, gb, n, bi); \
    break;
      STAA_BINARY_OPS(STAA_CASE)
      STAA_COMPARE_OPS(STAA_CASE)
#undef STAA_CASE
    }
  });
  check_launch();
}

// Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T: swap the operands and pass
// the row-major leading dimensions unchanged.
void CudaBackend::gemm(const GemmParams& p, const Tensor& a, const Tensor& b, Tensor& c) {
  constexpr int64_t kMaxInt = 2147483647;  // cuBLAS takes int sizes: never truncate silently
  STAA_CHECK(p.m <= kMaxInt && p.n <= kMaxInt && p.k <= kMaxInt && p.batch <= kMaxInt,
             "matmul: cuBLAS takes int sizes, got m = ", p.m, ", n = ", p.n, ", k = ", p.k,
             ", batch = ", p.batch);
  const int lda = static_cast<int>(p.trans_a ? p.m : p.k);
  const int ldb = static_cast<int>(p.trans_b ? p.k : p.n);
  const cublasOperation_t op_a = p.trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;
  const cublasOperation_t op_b = p.trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
  const int m = static_cast<int>(p.m), n = static_cast<int>(p.n), k = static_cast<int>(p.k);
  if (c.dtype() == kF32) {
    const float alpha = static_cast<float>(p.alpha), beta = static_cast<float>(p.beta);
    STAA_CUBLAS_CHECK(cublasSgemmStridedBatched(
        cublas(), op_b, op_a, n, m, k, &alpha, b.data<float>(), ldb, p.stride_b, a.data<float>(),
        lda, p.stride_a, &beta, c.data<float>(), n, p.stride_c, static_cast<int>(p.batch)));
  } else {
    STAA_CUBLAS_CHECK(cublasDgemmStridedBatched(cublas(), op_b, op_a, n, m, k, &p.alpha,
                                                b.data<double>(), ldb, p.stride_b, a.data<double>(),
                                                lda, p.stride_a, &p.beta, c.data<double>(), n,
                                                p.stride_c, static_cast<int>(p.batch)));
  }
}

}  // namespace

Backend* cuda::backend() {
  static CudaBackend instance;
  return &instance;
}

}  // namespace staa
