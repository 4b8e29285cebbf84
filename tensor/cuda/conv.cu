// CUDA conv2d forward, backward-data and backward-weight through cuDNN's legacy convolution API
// (libcudnn_cnn): NCHW, f32 and f64, cross-correlation, groups. The bias add and the bias gradient
// are own kernels (the gradient a fixed-order per-channel sum: deterministic). Layer: tensor/cuda.
// Algorithms come from the cudnnGet*Algorithm_v7 heuristics (no trial runs, so the choice depends
// on the shape and the device only, and deterministic mode gives the same bits in every process),
// chosen once per key (device, direction, dtype, geometry, deterministic, allow_tf32) and cached.
// f32 uses CUDNN_FMA_MATH unless allow_tf32(); workspaces come from the caching allocator.
#include <cuda_runtime.h>
#include <cudnn.h>
#include <cub/block/block_reduce.cuh>

#include <algorithm>
#include <array>
#include <climits>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include "tensor/allocator.h"
#include "tensor/cuda/cuda_check.h"
#include "tensor/cuda/kernels.h"
#include "tensor/cuda/launch.h"
#include "tensor/cuda/memory.h"
#include "tensor/dispatch.h"

// Every cuDNN call outside the algorithm trials: throws staa::Error naming the op and the call.
#define STAA_CUDNN_CHECK(op, call)                                  \
  do {                                                              \
    const cudnnStatus_t st_ = (call);                               \
    STAA_CHECK(st_ == CUDNN_STATUS_SUCCESS, op, ": cudnn: ", #call, \
               " failed: ", cudnnGetErrorString(st_));              \
  } while (0)

// Inside an algorithm trial: returns the failed call and its status to the caller, which tries
// the next algorithm (run_convolution).
#define STAA_CUDNN_TRY(call)                                     \
  do {                                                           \
    const cudnnStatus_t st_ = (call);                            \
    if (st_ != CUDNN_STATUS_SUCCESS) return Attempt{st_, #call}; \
  } while (0)

namespace staa::cuda {

namespace {

// ---- handle, descriptors, workspace -------------------------------------------------------------

// The cuDNN handle of the current device, created on first use and kept for the process (never
// destroyed: destruction at exit may run after the CUDA context is gone). It runs on the default
// stream, like every kernel of tensor/cuda.
cudnnHandle_t cudnn_handle(const char* op) {
  static std::mutex mutex;
  static auto* handles = new std::unordered_map<int, cudnnHandle_t>();
  const int device = current_device();
  std::lock_guard<std::mutex> lock(mutex);
  auto it = handles->find(device);
  if (it == handles->end()) {
    cudnnHandle_t handle = nullptr;
    STAA_CUDNN_CHECK(op, cudnnCreate(&handle));
    it = handles->emplace(device, handle).first;
  }
  return it->second;
}

// RAII owner of one cuDNN descriptor.
template <typename D, cudnnStatus_t (*Create)(D*), cudnnStatus_t (*Destroy)(D)>
class Descriptor {
 public:
  explicit Descriptor(const char* op) { STAA_CUDNN_CHECK(op, Create(&desc_)); }
  ~Descriptor() { Destroy(desc_); }
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  operator D() const { return desc_; }

 private:
  D desc_ = nullptr;
};

using TensorDescriptor =
    Descriptor<cudnnTensorDescriptor_t, cudnnCreateTensorDescriptor, cudnnDestroyTensorDescriptor>;
using FilterDescriptor =
    Descriptor<cudnnFilterDescriptor_t, cudnnCreateFilterDescriptor, cudnnDestroyFilterDescriptor>;
using ConvolutionDescriptor =
    Descriptor<cudnnConvolutionDescriptor_t, cudnnCreateConvolutionDescriptor,
               cudnnDestroyConvolutionDescriptor>;

// cuDNN's descriptors take int dims.
int to_int(const char* op, int64_t v, const char* what) {
  STAA_CHECK(v <= INT_MAX, op, ": ", what, " = ", v, " exceeds cuDNN's int range");
  return static_cast<int>(v);
}

std::string describe(const Conv2dGeometry& g, DType dtype) {
  std::ostringstream s;
  s << dtype << " x " << Shape{g.n, g.c_in, g.h, g.w} << ", weight "
    << Shape{g.c_out, g.c_in_group(), g.kh, g.kw} << ", stride " << g.stride_h << "x" << g.stride_w
    << ", padding " << g.pad_h << "x" << g.pad_w << ", dilation " << g.dil_h << "x" << g.dil_w
    << ", groups " << g.groups;
  return s.str();
}

// The math type every convolution descriptor starts with: f32 without TF32 is CUDNN_FMA_MATH
// (CUDNN_DEFAULT_MATH lets Ampere+ round f32 to TF32, which breaks parity with the CPU).
cudnnMathType_t base_math(DType dtype) {
  return dtype == kF32 && !allow_tf32() ? CUDNN_FMA_MATH : CUDNN_DEFAULT_MATH;
}

// x: [N, C_in, H, W], y: [N, C_out, OH, OW] (packed NCHW), w: [C_out, C_in / G, KH, KW].
struct ConvDescriptors {
  TensorDescriptor x, y;
  FilterDescriptor w;
  ConvolutionDescriptor conv;

  ConvDescriptors(const char* op, const Conv2dGeometry& g, DType dtype)
      : x(op), y(op), w(op), conv(op) {
    const cudnnDataType_t t = dtype == kF64 ? CUDNN_DATA_DOUBLE : CUDNN_DATA_FLOAT;
    auto dim = [op](int64_t v) { return to_int(op, v, "a convolution dim"); };
    STAA_CUDNN_CHECK(op, cudnnSetTensor4dDescriptor(x, CUDNN_TENSOR_NCHW, t, dim(g.n), dim(g.c_in),
                                                    dim(g.h), dim(g.w)));
    STAA_CUDNN_CHECK(op, cudnnSetTensor4dDescriptor(y, CUDNN_TENSOR_NCHW, t, dim(g.n), dim(g.c_out),
                                                    dim(g.out_h), dim(g.out_w)));
    STAA_CUDNN_CHECK(op, cudnnSetFilter4dDescriptor(w, t, CUDNN_TENSOR_NCHW, dim(g.c_out),
                                                    dim(g.c_in_group()), dim(g.kh), dim(g.kw)));
    STAA_CUDNN_CHECK(op, cudnnSetConvolution2dDescriptor(
                             conv, dim(g.pad_h), dim(g.pad_w), dim(g.stride_h), dim(g.stride_w),
                             dim(g.dil_h), dim(g.dil_w), CUDNN_CROSS_CORRELATION, t));
    STAA_CUDNN_CHECK(op, cudnnSetConvolutionGroupCount(conv, dim(g.groups)));
    STAA_CUDNN_CHECK(op, cudnnSetConvolutionMathType(conv, base_math(dtype)));
  }
};

// A device scratch block from the caching allocator, returned at scope exit. Every call runs on
// the default stream, so a block handed out again is only touched after this call's kernels.
class Workspace {
 public:
  explicit Workspace(size_t bytes)
      : bytes_(bytes),
        allocator_(cuda_allocator(current_device())),
        ptr_(bytes > 0 ? allocator_->allocate(bytes) : nullptr) {}
  ~Workspace() {
    if (ptr_ != nullptr) allocator_->deallocate(ptr_, bytes_);
  }
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;
  void* data() const { return ptr_; }
  size_t bytes() const { return bytes_; }

 private:
  size_t bytes_;
  Allocator* allocator_;
  void* ptr_;
};

// alpha = 1 and beta = 0 in the scalar type cuDNN expects (double for f64 data, else float).
const void* one(DType dtype) {
  static const float f = 1.0f;
  static const double d = 1.0;
  return dtype == kF64 ? static_cast<const void*>(&d) : static_cast<const void*>(&f);
}
const void* zero(DType dtype) {
  static const float f = 0.0f;
  static const double d = 0.0;
  return dtype == kF64 ? static_cast<const void*>(&d) : static_cast<const void*>(&f);
}

// ---- algorithm choice and cache ---------------------------------------------------------------

enum class Pass : int64_t { kForward, kBackwardData, kBackwardFilter };

const char* pass_op(Pass pass) {
  switch (pass) {
    case Pass::kForward:
      return "conv2d";
    case Pass::kBackwardData:
      return "conv2d_backward_data";
    case Pass::kBackwardFilter:
      return "conv2d_backward_weight";
  }
  return "conv2d";
}

struct Algo {
  int id = 0;  // a cudnnConvolution{Fwd,BwdData,BwdFilter}Algo_t
  cudnnMathType_t math = CUDNN_DEFAULT_MATH;
};

// What one trial of an algorithm came to: its status and the call that returned it.
struct Attempt {
  cudnnStatus_t status = CUDNN_STATUS_SUCCESS;
  const char* call = "";
};

using AlgoKey = std::array<int64_t, 19>;

AlgoKey algo_key(Pass pass, const Conv2dGeometry& g, DType dtype) {
  return {current_device(),
          static_cast<int64_t>(pass),
          static_cast<int64_t>(dtype),
          deterministic(),
          allow_tf32(),
          g.n,
          g.c_in,
          g.h,
          g.w,
          g.c_out,
          g.kh,
          g.kw,
          g.stride_h,
          g.stride_w,
          g.pad_h,
          g.pad_w,
          g.dil_h,
          g.dil_w,
          g.groups};
}

std::mutex& cache_mutex() {
  static std::mutex mutex;
  return mutex;
}
std::map<AlgoKey, Algo>& algo_cache() {
  static auto* cache = new std::map<AlgoKey, Algo>();
  return *cache;
}

std::optional<Algo> cached_algo(const AlgoKey& key) {
  std::lock_guard<std::mutex> lock(cache_mutex());
  const auto it = algo_cache().find(key);
  if (it == algo_cache().end()) return std::nullopt;
  return it->second;
}

void store_algo(const AlgoKey& key, Algo algo) {
  std::lock_guard<std::mutex> lock(cache_mutex());
  algo_cache().emplace(key, algo);
}

// The heuristic's results (fastest first) that may run here: supported, deterministic when
// deterministic() is on, run with FMA math for f32 unless allow_tf32() (no tensor-op math), never
// the fp16 down-conversion.
template <typename Perf>
std::vector<Algo> usable_algos(const std::vector<Perf>& perf, int count, DType dtype) {
  const bool need_deterministic = deterministic();
  const bool need_fma = dtype == kF32 && !allow_tf32();
  std::vector<Algo> algos;
  for (int i = 0; i < count; ++i) {
    const Perf& p = perf[i];
    if (p.status != CUDNN_STATUS_SUCCESS) continue;
    if (need_deterministic && p.determinism != CUDNN_DETERMINISTIC) continue;
    if (p.mathType == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION) continue;
    if (need_fma && p.mathType == CUDNN_TENSOR_OP_MATH) continue;
    // Without TF32 an algorithm runs under FMA math whatever type the heuristic reported for it
    // (some cuDNN versions report the default type for plain FMA kernels); one that cannot run
    // so fails its first attempt and the next candidate is tried.
    algos.push_back({static_cast<int>(p.algo), need_fma ? CUDNN_FMA_MATH : p.mathType});
  }
  return algos;
}

std::vector<Algo> forward_algos(cudnnHandle_t h, const ConvDescriptors& d, DType dtype) {
  const char* op = "conv2d";
  int max = 0, count = 0;
  STAA_CUDNN_CHECK(op, cudnnGetConvolutionForwardAlgorithmMaxCount(h, &max));
  std::vector<cudnnConvolutionFwdAlgoPerf_t> perf(static_cast<size_t>(max));
  STAA_CUDNN_CHECK(op, cudnnGetConvolutionForwardAlgorithm_v7(h, d.x, d.w, d.conv, d.y, max, &count,
                                                              perf.data()));
  return usable_algos(perf, count, dtype);
}

std::vector<Algo> backward_data_algos(cudnnHandle_t h, const ConvDescriptors& d, DType dtype) {
  const char* op = "conv2d_backward_data";
  int max = 0, count = 0;
  STAA_CUDNN_CHECK(op, cudnnGetConvolutionBackwardDataAlgorithmMaxCount(h, &max));
  std::vector<cudnnConvolutionBwdDataAlgoPerf_t> perf(static_cast<size_t>(max));
  STAA_CUDNN_CHECK(op, cudnnGetConvolutionBackwardDataAlgorithm_v7(h, d.w, d.y, d.conv, d.x, max,
                                                                   &count, perf.data()));
  return usable_algos(perf, count, dtype);
}

std::vector<Algo> backward_filter_algos(cudnnHandle_t h, const ConvDescriptors& d, DType dtype) {
  const char* op = "conv2d_backward_weight";
  int max = 0, count = 0;
  STAA_CUDNN_CHECK(op, cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(h, &max));
  std::vector<cudnnConvolutionBwdFilterAlgoPerf_t> perf(static_cast<size_t>(max));
  STAA_CUDNN_CHECK(op, cudnnGetConvolutionBackwardFilterAlgorithm_v7(h, d.x, d.y, d.conv, d.w, max,
                                                                     &count, perf.data()));
  return usable_algos(perf, count, dtype);
}

// cuDNN's output size must be the geometry's (checked once per key, when choosing).
void check_output_dims(const char* op, const ConvDescriptors& d, const Conv2dGeometry& g) {
  int n = 0, c = 0, h = 0, w = 0;
  STAA_CUDNN_CHECK(op, cudnnGetConvolution2dForwardOutputDim(d.conv, d.x, d.w, &n, &c, &h, &w));
  STAA_CHECK(n == g.n && c == g.c_out && h == g.out_h && w == g.out_w, op, ": cuDNN computes an ",
             "output of ", Shape{n, c, h, w}, ", the geometry ", g.out_shape());
}

// Runs `run(algo)` with the cached algorithm of this key; the first time, with the heuristic's
// candidates (and the plain one) in order until one runs, and caches that one (a candidate that
// fails, e.g. one the heuristic offers for f64 but that only runs f32, or whose workspace does not
// fit, moves on to the next; when none runs, the first failure is reported). run returns the
// Attempt of its cuDNN calls.
template <typename Run>
void run_convolution(Pass pass, const Conv2dGeometry& g, DType dtype, cudnnHandle_t h,
                     const ConvDescriptors& d, Run&& run) {
  const char* op = pass_op(pass);
  const AlgoKey key = algo_key(pass, g, dtype);
  if (const std::optional<Algo> algo = cached_algo(key)) {
    const Attempt a = run(*algo);
    STAA_CHECK(a.status == CUDNN_STATUS_SUCCESS, op, ": cudnn: ", a.call,
               " failed: ", cudnnGetErrorString(a.status), " (", describe(g, dtype), ")");
    return;
  }
  check_output_dims(op, d, g);
  std::vector<Algo> algos = pass == Pass::kForward        ? forward_algos(h, d, dtype)
                            : pass == Pass::kBackwardData ? backward_data_algos(h, d, dtype)
                                                          : backward_filter_algos(h, d, dtype);
  // Last, unless the heuristic offered it: the plain algorithm of the pass, which takes every
  // dtype, group count and dilation and is deterministic (forward IMPLICIT_GEMM, backward
  // ALGO_1), should nothing the heuristic offers pass the filters of usable_algos or run.
  const Algo plain{pass == Pass::kForward        ? int{CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM}
                   : pass == Pass::kBackwardData ? int{CUDNN_CONVOLUTION_BWD_DATA_ALGO_1}
                                                 : int{CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1},
                   dtype == kF32 && !allow_tf32() ? CUDNN_FMA_MATH : CUDNN_DEFAULT_MATH};
  if (std::none_of(algos.begin(), algos.end(), [&](const Algo& a) { return a.id == plain.id; }))
    algos.push_back(plain);
  // A candidate whose workspace cannot be allocated (its error is thrown by the allocator) is
  // passed over like one that fails.
  std::string first_failure;
  for (const Algo& algo : algos) {
    std::string failure;
    try {
      const Attempt a = run(algo);
      if (a.status == CUDNN_STATUS_SUCCESS) {
        store_algo(key, algo);
        return;
      }
      failure = std::string("cudnn: ") + a.call + " failed: " + cudnnGetErrorString(a.status);
    } catch (const Error& e) {
      failure = e.what();
    }
    if (first_failure.empty()) first_failure = failure;
  }
  STAA_FAIL(op, ": ", first_failure, " (", describe(g, dtype), "; ", algos.size(),
            " candidate algorithms tried)");
}

// ---- bias kernels -----------------------------------------------------------------------------

// y[n, c, p] += bias[c]. y: [N, C, P] (n_total = N * C * P elements), bias: [C]
template <typename T>
__global__ void add_bias_kernel(T* y, const T* bias, int64_t channels, int64_t plane,
                                int64_t n_total) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n_total;
       i += stride) {
    y[i] += bias[(i / plane) % channels];
  }
}

// grad_bias[c] = sum over n, p of grad_y[n, c, p]: one block per channel, each thread sums a
// fixed strided subset in double, then a fixed-shape block reduction (no atomics: the same bits
// on every run). grad_y: [N, C, P], grad_bias: [C]
template <typename T>
__global__ void bias_grad_kernel(const T* grad_y, T* grad_bias, int64_t batch, int64_t channels,
                                 int64_t plane) {
  using BlockReduce = cub::BlockReduce<double, kThreads>;
  __shared__ typename BlockReduce::TempStorage temp;
  const int64_t count = batch * plane;
  const int64_t step = blockDim.x, step_n = step / plane, step_p = step % plane;
  for (int64_t c = blockIdx.x; c < channels; c += gridDim.x) {
    double sum = 0;
    int64_t j = threadIdx.x, n = j / plane, p = j % plane;
    for (; j < count; j += step) {
      sum += static_cast<double>(grad_y[(n * channels + c) * plane + p]);
      n += step_n;
      p += step_p;
      if (p >= plane) {
        p -= plane;
        ++n;
      }
    }
    const double total = BlockReduce(temp).Sum(sum);
    if (threadIdx.x == 0) grad_bias[c] = static_cast<T>(total);
    __syncthreads();  // temp is reused by the next channel
  }
}

constexpr int kMaxChannelBlocks = 1 << 16;

template <typename T>
void add_bias(const Tensor& bias, const Conv2dGeometry& g, Tensor& y) {
  const int64_t n = y.numel();
  add_bias_kernel<T>
      <<<blocks_for(n), kThreads>>>(y.data<T>(), bias.data<T>(), g.c_out, g.out_plane(), n);
  check_launch();
}

template <typename T>
void bias_grad(const Tensor& grad_y, const Conv2dGeometry& g, Tensor& grad_bias) {
  if (g.c_out == 0) return;
  const int blocks = static_cast<int>(std::min<int64_t>(g.c_out, kMaxChannelBlocks));
  bias_grad_kernel<T>
      <<<blocks, kThreads>>>(grad_y.data<T>(), grad_bias.data<T>(), g.n, g.c_out, g.out_plane());
  check_launch();
}

void set_zero(Tensor& t) {
  STAA_CUDA_CHECK(cudaMemset(t.raw_data(), 0, t.nbytes()));
}

}  // namespace

void conv2d(const Tensor& x, const Tensor& w, const Tensor& bias, const Conv2dGeometry& g,
            Tensor& y) {
  if (y.numel() == 0) return;
  const DType dtype = x.dtype();
  dispatch_float(dtype, "conv2d", [&](auto tag) {
    using T = decltype(tag);
    if (w.numel() == 0) {  // no input channels: y is the bias alone
      set_zero(y);
    } else {
      cudnnHandle_t h = cudnn_handle("conv2d");
      ConvDescriptors d("conv2d", g, dtype);
      run_convolution(Pass::kForward, g, dtype, h, d, [&](const Algo& a) {
        const auto algo = static_cast<cudnnConvolutionFwdAlgo_t>(a.id);
        size_t bytes = 0;
        STAA_CUDNN_TRY(cudnnSetConvolutionMathType(d.conv, a.math));
        STAA_CUDNN_TRY(
            cudnnGetConvolutionForwardWorkspaceSize(h, d.x, d.w, d.conv, d.y, algo, &bytes));
        Workspace ws(bytes);
        STAA_CUDNN_TRY(cudnnConvolutionForward(h, one(dtype), d.x, x.raw_data(), d.w, w.raw_data(),
                                               d.conv, algo, ws.data(), ws.bytes(), zero(dtype),
                                               d.y, y.raw_data()));
        return Attempt{};
      });
    }
    if (bias.defined()) add_bias<T>(bias, g, y);
  });
}

void conv2d_backward_data(const Tensor& grad_y, const Tensor& w, const Conv2dGeometry& g,
                          Tensor& grad_x) {
  if (grad_x.numel() == 0) return;
  if (grad_y.numel() == 0 || w.numel() == 0) {  // no output position reads x
    set_zero(grad_x);
    return;
  }
  const DType dtype = grad_y.dtype();
  dispatch_float(dtype, "conv2d_backward_data", [&](auto) {
    cudnnHandle_t h = cudnn_handle("conv2d_backward_data");
    ConvDescriptors d("conv2d_backward_data", g, dtype);
    run_convolution(Pass::kBackwardData, g, dtype, h, d, [&](const Algo& a) {
      const auto algo = static_cast<cudnnConvolutionBwdDataAlgo_t>(a.id);
      size_t bytes = 0;
      STAA_CUDNN_TRY(cudnnSetConvolutionMathType(d.conv, a.math));
      STAA_CUDNN_TRY(
          cudnnGetConvolutionBackwardDataWorkspaceSize(h, d.w, d.y, d.conv, d.x, algo, &bytes));
      Workspace ws(bytes);
      STAA_CUDNN_TRY(cudnnConvolutionBackwardData(h, one(dtype), d.w, w.raw_data(), d.y,
                                                  grad_y.raw_data(), d.conv, algo, ws.data(),
                                                  ws.bytes(), zero(dtype), d.x, grad_x.raw_data()));
      return Attempt{};
    });
  });
}

void conv2d_backward_weight(const Tensor& grad_y, const Tensor& x, const Conv2dGeometry& g,
                            Tensor& grad_w, Tensor& grad_bias) {
  const DType dtype = grad_y.dtype();
  dispatch_float(dtype, "conv2d_backward_weight", [&](auto tag) {
    using T = decltype(tag);
    if (grad_w.defined() && grad_w.numel() > 0) {
      if (grad_y.numel() == 0) {  // an empty batch
        set_zero(grad_w);
      } else {
        cudnnHandle_t h = cudnn_handle("conv2d_backward_weight");
        ConvDescriptors d("conv2d_backward_weight", g, dtype);
        run_convolution(Pass::kBackwardFilter, g, dtype, h, d, [&](const Algo& a) {
          const auto algo = static_cast<cudnnConvolutionBwdFilterAlgo_t>(a.id);
          size_t bytes = 0;
          STAA_CUDNN_TRY(cudnnSetConvolutionMathType(d.conv, a.math));
          STAA_CUDNN_TRY(cudnnGetConvolutionBackwardFilterWorkspaceSize(h, d.x, d.y, d.conv, d.w,
                                                                        algo, &bytes));
          Workspace ws(bytes);
          STAA_CUDNN_TRY(cudnnConvolutionBackwardFilter(
              h, one(dtype), d.x, x.raw_data(), d.y, grad_y.raw_data(), d.conv, algo, ws.data(),
              ws.bytes(), zero(dtype), d.w, grad_w.raw_data()));
          return Attempt{};
        });
      }
    }
    if (grad_bias.defined()) bias_grad<T>(grad_y, g, grad_bias);
  });
}

}  // namespace staa::cuda
