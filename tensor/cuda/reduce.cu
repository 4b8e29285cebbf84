// CUDA reductions (sum, max with argmax) over a merged ReduceLayout, softmax / log_softmax along
// the middle dim of [outer, size, inner], and layer norm with its backward. Layer: tensor/cuda.
// No atomics: every sum runs in an order fixed by the shapes alone (per-thread loops, then a fixed
// shuffle / shared-memory tree), so results are bit-identical from run to run. Sums accumulate in
// double; the max's first-wins tie rule and the formulas follow tensor/cpu (reduce.cpp,
// softmax.cpp, norm.cpp).
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>

#include "tensor/cuda/kernels.h"
#include "tensor/cuda/launch.h"
#include "tensor/dispatch.h"

namespace staa::cuda {

namespace {

constexpr int kWarp = 32;
constexpr unsigned kFullMask = 0xffffffffu;

// Grid-stride index of this thread, and the stride.
// ---- group reductions -------------------------------------------------------------------------
// kGroup consecutive threads share one slice: 1 (a thread walks it alone), a warp (32) or the
// whole block (kThreads). The combine order is fixed and every thread of the group gets the same
// result. scratch: [kThreads / kWarp] in shared memory.

struct Add {
  template <typename V>
  __device__ V operator()(V a, V b) const {
    return a + b;
  }
};
struct Max {
  template <typename V>
  __device__ V operator()(V a, V b) const {
    return b > a ? b : a;
  }
};

template <int kGroup, typename V, typename Op>
__device__ V group_reduce(V v, double* scratch, Op op) {
  if constexpr (kGroup == 1) {
    return v;
  } else {
    for (int s = kWarp / 2; s > 0; s >>= 1) v = op(v, __shfl_down_sync(kFullMask, v, s));
    if constexpr (kGroup == kWarp) {
      return __shfl_sync(kFullMask, v, 0);
    } else {
      static_assert(kGroup == kThreads, "a group is one thread, a warp or the block");
      if (threadIdx.x % kWarp == 0) scratch[threadIdx.x / kWarp] = static_cast<double>(v);
      __syncthreads();
      V total = static_cast<V>(scratch[0]);
      for (int w = 1; w < kThreads / kWarp; ++w) total = op(total, static_cast<V>(scratch[w]));
      __syncthreads();  // scratch is free again for the next call
      return total;
    }
  }
}

// Blocks for `slices` slices of kGroup threads each (grid-stride kernels cover the rest).
template <int kGroup>
int blocks_for_slices(int64_t slices) {
  return blocks_for((slices + kThreads / kGroup - 1) / (kThreads / kGroup) * kThreads);
}

// ---- reduce -----------------------------------------------------------------------------------

// Offsets into x of the kept and the reduced merged dims of a ReduceLayout: output o and reduced
// position r (row-major over the reduced dims) address x[kept_offset(o) + red_offset(r)].
struct ReduceIndexer {
  int kept_nd = 0, red_nd = 0;
  int64_t kept_sizes[Shape::kMaxDims], kept_strides[Shape::kMaxDims];
  int64_t red_sizes[Shape::kMaxDims], red_strides[Shape::kMaxDims];

  __device__ static int64_t offset(int64_t index, int nd, const int64_t* sizes,
                                   const int64_t* strides) {
    int64_t off = 0;
    for (int d = nd - 1; d >= 0; --d) {
      off += (index % sizes[d]) * strides[d];
      index /= sizes[d];
    }
    return off;
  }
  __device__ int64_t kept_offset(int64_t o) const {
    return offset(o, kept_nd, kept_sizes, kept_strides);
  }
  __device__ int64_t red_offset(int64_t r) const {
    return offset(r, red_nd, red_sizes, red_strides);
  }
};

ReduceIndexer make_indexer(const ReduceLayout& l) {
  const int nd = static_cast<int>(l.sizes.size());
  STAA_CHECK(nd <= Shape::kMaxDims, "reduce: layout has ", nd, " merged dims");
  int64_t strides[Shape::kMaxDims];
  int64_t stride = 1;
  for (int i = nd - 1; i >= 0; --i) {
    strides[i] = stride;
    stride *= l.sizes[i];
  }
  ReduceIndexer ix;
  for (int i = 0; i < nd; ++i) {
    if (l.reduced[i]) {
      ix.red_sizes[ix.red_nd] = l.sizes[i];
      ix.red_strides[ix.red_nd++] = strides[i];
    } else {
      ix.kept_sizes[ix.kept_nd] = l.sizes[i];
      ix.kept_strides[ix.kept_nd++] = strides[i];
    }
  }
  return ix;
}

// A max candidate: value and reduced position (-1: none yet).
template <typename T>
struct ArgMax {
  T value;
  int64_t at;
};

// A fixed total order on candidates, so that any combine tree picks the same winner as the CPU's
// in-order scan: numbers beat NaN, a larger value wins, then the earlier position (first wins
// ties). The CPU keeps a NaN at position 0; the block kernel applies that rule at the end.
template <typename T>
__device__ bool beats(const ArgMax<T>& a, const ArgMax<T>& b) {
  if (a.at < 0) return false;
  if (b.at < 0) return true;
  const bool a_nan = isnan(a.value), b_nan = isnan(b.value);
  if (a_nan != b_nan) return b_nan;
  if (!a_nan && a.value != b.value) return a.value > b.value;
  return a.at < b.at;
}

// One thread per output, reduced positions walked in order (the CPU's scan exactly).
// x: layout.sizes, out: [out_count], index (i64): [out_count] or null for kSum
template <typename T>
__global__ void reduce_thread_kernel(ReduceOp op, const T* x, ReduceIndexer ix, int64_t out_count,
                                     int64_t reduce_count, T* out, int64_t* index) {
  for (int64_t o = thread_index(); o < out_count; o += thread_stride()) {
    const T* xo = x + ix.kept_offset(o);
    if (op == ReduceOp::kSum) {
      double acc = 0;
      for (int64_t r = 0; r < reduce_count; ++r) acc += xo[ix.red_offset(r)];
      out[o] = static_cast<T>(acc);
    } else {
      T best = static_cast<T>(-INFINITY);
      int64_t best_at = 0;
      for (int64_t r = 0; r < reduce_count; ++r) {
        const T v = xo[ix.red_offset(r)];
        if (r == 0 || v > best) {
          best = v;
          best_at = r;
        }
      }
      out[o] = best;
      index[o] = best_at;
    }
  }
}

// One block per output: thread t takes positions t, t + kThreads, ...; then a shared-memory
// tree. Launched with kThreads threads and reduce_count >= 1.
// x: layout.sizes, out: [out_count], index (i64): [out_count] or null for kSum
template <typename T>
__global__ void reduce_block_kernel(ReduceOp op, const T* x, ReduceIndexer ix, int64_t out_count,
                                    int64_t reduce_count, T* out, int64_t* index) {
  __shared__ double sums[kThreads];
  __shared__ T values[kThreads];
  __shared__ int64_t ats[kThreads];
  const int t = threadIdx.x;
  for (int64_t o = blockIdx.x; o < out_count; o += gridDim.x) {
    const T* xo = x + ix.kept_offset(o);
    double acc = 0;
    ArgMax<T> best{T(0), -1};
    for (int64_t r = t; r < reduce_count; r += kThreads) {
      if (op == ReduceOp::kSum) {
        acc += xo[ix.red_offset(r)];
      } else {
        const ArgMax<T> c{xo[ix.red_offset(r)], r};
        if (beats(c, best)) best = c;
      }
    }
    sums[t] = acc, values[t] = best.value, ats[t] = best.at;
    __syncthreads();
    for (int s = kThreads / 2; s > 0; s >>= 1) {
      if (t < s) {
        sums[t] += sums[t + s];
        if (beats(ArgMax<T>{values[t + s], ats[t + s]}, ArgMax<T>{values[t], ats[t]})) {
          values[t] = values[t + s];
          ats[t] = ats[t + s];
        }
      }
      __syncthreads();
    }
    if (t == 0) {
      if (op == ReduceOp::kSum) {
        out[o] = static_cast<T>(sums[0]);
      } else {
        const bool first_nan = isnan(xo[0]);  // red_offset(0) == 0
        out[o] = first_nan ? xo[0] : values[0];
        index[o] = first_nan ? 0 : ats[0];
      }
    }
    __syncthreads();  // shared memory is reused by the next output
  }
}

// A block per output when there is enough to share and either the runs are contiguous (last
// merged dim reduced: coalesced) or too few outputs to fill the GPU; else a thread per output
// (coalesced over outputs when the last merged dim is kept).
bool use_block_per_output(const ReduceLayout& l) {
  if (l.reduce_count < 64) return false;
  return l.reduced.back() || l.out_count < 4096;
}

// grad_x[kept(o) + red(index[o])] = grad_out[o]: distinct outputs own distinct elements.
// grad_out, index (i64): [out_count], grad_x: layout.sizes (zeroed before)
template <typename T>
__global__ void reduce_max_backward_kernel(const T* grad_out, const int64_t* index,
                                           ReduceIndexer ix, int64_t out_count, T* grad_x) {
  for (int64_t o = thread_index(); o < out_count; o += thread_stride())
    grad_x[ix.kept_offset(o) + ix.red_offset(index[o])] = grad_out[o];
}

// ---- softmax ----------------------------------------------------------------------------------

// One slice: x[j * step] for j < size, walked by the kGroup threads of a group from `lane`.
// Forward as tensor/cpu/softmax.cpp: m = max, s = sum exp(x - m) (double),
// y = x - m - log s (log) or exp(x - m) / s.
template <int kGroup, typename T>
__device__ void softmax_slice(const T* x, T* y, int64_t size, int64_t step, int lane, bool log,
                              double* scratch) {
  T m = static_cast<T>(-INFINITY);
  for (int64_t j = lane; j < size; j += kGroup) m = Max()(m, x[j * step]);
  m = group_reduce<kGroup>(m, scratch, Max());
  double s = 0;
  for (int64_t j = lane; j < size; j += kGroup) s += ::exp(static_cast<double>(x[j * step] - m));
  s = group_reduce<kGroup>(s, scratch, Add());
  if (log) {
    const T log_sum = static_cast<T>(::log(s));
    for (int64_t j = lane; j < size; j += kGroup) y[j * step] = x[j * step] - m - log_sum;
  } else {
    const double inv = 1.0 / s;
    for (int64_t j = lane; j < size; j += kGroup)
      y[j * step] = static_cast<T>(::exp(static_cast<double>(x[j * step] - m)) * inv);
  }
}

// Backward of one slice. softmax: dy_j/dx_k = y_j (d_jk - y_k), so
// grad_x = y * (g - sum(g * y)); log_softmax: dy_j/dx_k = d_jk - softmax_k = d_jk - exp(y_k), so
// grad_x = g - exp(y) * sum(g).
template <int kGroup, typename T>
__device__ void softmax_grad_slice(const T* y, const T* g, T* gx, int64_t size, int64_t step,
                                   int lane, bool log, double* scratch) {
  double dot = 0;
  for (int64_t j = lane; j < size; j += kGroup)
    dot += log ? static_cast<double>(g[j * step]) : static_cast<double>(g[j * step]) * y[j * step];
  dot = group_reduce<kGroup>(dot, scratch, Add());
  for (int64_t j = lane; j < size; j += kGroup) {
    const int64_t k = j * step;
    gx[k] = log ? static_cast<T>(g[k] - ::exp(y[k]) * dot) : static_cast<T>(y[k] * (g[k] - dot));
  }
}

// Forward (grad_y null: in = x, out = y) or backward (in = y, out = grad_x) over every slice of
// [outer, size, inner]; slice t starts at (t / inner) * size * inner + t % inner, stride inner.
// in, grad_y, out: [outer, size, inner]
template <typename T, int kGroup>
__global__ void softmax_kernel(const T* in, const T* grad_y, T* out, DimLayout l, bool log) {
  __shared__ double scratch[kThreads / kWarp];
  constexpr int kSlicesPerBlock = kThreads / kGroup;
  const int lane = threadIdx.x % kGroup;
  const int64_t slices = l.outer * l.inner;
  for (int64_t t = blockIdx.x * static_cast<int64_t>(kSlicesPerBlock) + threadIdx.x / kGroup;
       t < slices; t += static_cast<int64_t>(gridDim.x) * kSlicesPerBlock) {
    const int64_t base = (t / l.inner) * l.size * l.inner + t % l.inner;
    if (grad_y) {
      softmax_grad_slice<kGroup>(in + base, grad_y + base, out + base, l.size, l.inner, lane, log,
                                 scratch);
    } else {
      softmax_slice<kGroup>(in + base, out + base, l.size, l.inner, lane, log, scratch);
    }
  }
}

// Threads per slice: one when slices are strided (inner > 1: coalesced over inner) or short,
// a warp for contiguous rows up to 1024, the block beyond.
template <typename T>
void launch_softmax(const T* in, const T* grad_y, T* out, const DimLayout& l, bool log) {
  const int64_t slices = l.outer * l.inner;
  if (slices == 0 || l.size == 0) return;
  if (l.inner > 1 || l.size <= kWarp) {
    softmax_kernel<T, 1><<<blocks_for_slices<1>(slices), kThreads>>>(in, grad_y, out, l, log);
  } else if (l.size <= 1024) {
    softmax_kernel<T, kWarp>
        <<<blocks_for_slices<kWarp>(slices), kThreads>>>(in, grad_y, out, l, log);
  } else {
    softmax_kernel<T, kThreads>
        <<<blocks_for_slices<kThreads>(slices), kThreads>>>(in, grad_y, out, l, log);
  }
  check_launch();
}

// ---- layer norm -------------------------------------------------------------------------------

// Per row (kGroup threads): shifted sums by x[0] in double, as tensor/cpu/norm.cpp; then
// y = (x - mean) * inv_std * weight + bias.
// x, y: [rows, cols], weight, bias: [cols] or null, mean, inv_std: [rows]
template <typename T, int kGroup>
__global__ void layer_norm_kernel(const T* x, const T* weight, const T* bias, int64_t rows,
                                  int64_t cols, double eps, T* y, T* mean, T* inv_std) {
  __shared__ double scratch[kThreads / kWarp];
  constexpr int kRowsPerBlock = kThreads / kGroup;
  const int lane = threadIdx.x % kGroup;
  for (int64_t r = blockIdx.x * static_cast<int64_t>(kRowsPerBlock) + threadIdx.x / kGroup;
       r < rows; r += static_cast<int64_t>(gridDim.x) * kRowsPerBlock) {
    const T* xr = x + r * cols;
    const double shift = xr[0];
    double sum = 0, sum_sq = 0;
    for (int64_t j = lane; j < cols; j += kGroup) {
      const double d = xr[j] - shift;
      sum += d;
      sum_sq += d * d;
    }
    sum = group_reduce<kGroup>(sum, scratch, Add());
    sum_sq = group_reduce<kGroup>(sum_sq, scratch, Add());
    const double shifted_mean = sum / static_cast<double>(cols);
    const double m = shift + shifted_mean;
    const double var = fmax(sum_sq / static_cast<double>(cols) - shifted_mean * shifted_mean, 0.0);
    const double is = 1.0 / sqrt(var + eps);
    if (lane == 0) {
      mean[r] = static_cast<T>(m);
      inv_std[r] = static_cast<T>(is);
    }
    for (int64_t j = lane; j < cols; j += kGroup) {
      const double x_hat = (xr[j] - m) * is;
      y[r * cols + j] =
          static_cast<T>(x_hat * (weight ? weight[j] : T(1)) + (bias ? bias[j] : T(0)));
    }
  }
}

// y = x_hat * w + b with x_hat = (x - mean) * inv_std: with h = g * w,
// dL/dx_hat = h and dx_hat_k/dx_j = inv_std * (d_jk - 1/N - x_hat_j x_hat_k / N), so
// grad_x = inv_std * (h - mean(h) - x_hat * mean(h * x_hat)) (autograd/README.md, "Batch norm
// and layer norm"). x, grad_y, grad_x: [rows, cols], mean, inv_std: [rows], weight: [cols] or null
template <typename T, int kGroup>
__global__ void layer_norm_grad_x_kernel(const T* x, const T* mean, const T* inv_std,
                                         const T* weight, const T* grad_y, int64_t rows,
                                         int64_t cols, T* grad_x) {
  __shared__ double scratch[kThreads / kWarp];
  constexpr int kRowsPerBlock = kThreads / kGroup;
  const int lane = threadIdx.x % kGroup;
  for (int64_t r = blockIdx.x * static_cast<int64_t>(kRowsPerBlock) + threadIdx.x / kGroup;
       r < rows; r += static_cast<int64_t>(gridDim.x) * kRowsPerBlock) {
    const T *xr = x + r * cols, *gr = grad_y + r * cols;
    const double m = mean[r], is = inv_std[r];
    double sum_h = 0, sum_h_xhat = 0;
    for (int64_t j = lane; j < cols; j += kGroup) {
      const double h = gr[j] * (weight ? static_cast<double>(weight[j]) : 1.0);
      sum_h += h;
      sum_h_xhat += h * (xr[j] - m) * is;
    }
    const double mean_h = group_reduce<kGroup>(sum_h, scratch, Add()) / cols;
    const double mean_h_xhat = group_reduce<kGroup>(sum_h_xhat, scratch, Add()) / cols;
    for (int64_t j = lane; j < cols; j += kGroup) {
      const double h = gr[j] * (weight ? static_cast<double>(weight[j]) : 1.0);
      const double x_hat = (xr[j] - m) * is;
      grad_x[r * cols + j] = static_cast<T>(is * (h - mean_h - x_hat * mean_h_xhat));
    }
  }
}

// Stage 1 of grad_weight = sum_r g * x_hat, grad_bias = sum_r g: block row blockIdx.y sums its
// chunk of rows [y * rows_per_chunk, ...) in order, one thread per column.
// x, grad_y: [rows, cols], mean, inv_std: [rows], partial_w, partial_b (f64): [chunks, cols]
template <typename T>
__global__ void layer_norm_affine_partial_kernel(const T* x, const T* mean, const T* inv_std,
                                                 const T* grad_y, int64_t rows, int64_t cols,
                                                 int64_t rows_per_chunk, double* partial_w,
                                                 double* partial_b) {
  const int64_t j = thread_index();
  if (j >= cols) return;
  const int64_t r0 = blockIdx.y * rows_per_chunk,
                r1 = r0 + rows_per_chunk < rows ? r0 + rows_per_chunk : rows;
  double gw = 0, gb = 0;
  for (int64_t r = r0; r < r1; ++r) {
    const double g = grad_y[r * cols + j];
    gw += g * (x[r * cols + j] - static_cast<double>(mean[r])) * static_cast<double>(inv_std[r]);
    gb += g;
  }
  partial_w[blockIdx.y * cols + j] = gw;
  partial_b[blockIdx.y * cols + j] = gb;
}

// Stage 2: each column sums its chunks in order. partial_w, partial_b (f64): [chunks, cols],
// grad_weight, grad_bias: [cols] or null
template <typename T>
__global__ void layer_norm_affine_total_kernel(const double* partial_w, const double* partial_b,
                                               int64_t chunks, int64_t cols, T* grad_weight,
                                               T* grad_bias) {
  const int64_t j = thread_index();
  if (j >= cols) return;
  double gw = 0, gb = 0;
  for (int64_t c = 0; c < chunks; ++c) {
    gw += partial_w[c * cols + j];
    gb += partial_b[c * cols + j];
  }
  if (grad_weight) grad_weight[j] = static_cast<T>(gw);
  if (grad_bias) grad_bias[j] = static_cast<T>(gb);
}

template <typename T>
void layer_norm_affine_backward(const Tensor& x, const Tensor& mean, const Tensor& inv_std,
                                const Tensor& grad_y, const LayerNormLayout& l, T* grad_weight,
                                T* grad_bias) {
  // About 2^18 threads over (columns x row chunks), chunks of at least 32 rows.
  const int64_t max_chunks = std::max<int64_t>((l.rows + 31) / 32, 1);
  const int64_t chunks = std::clamp<int64_t>(((int64_t{1} << 18) + l.cols - 1) / l.cols, 1,
                                             std::min<int64_t>(max_chunks, 65535));
  const int64_t rows_per_chunk = (l.rows + chunks - 1) / chunks;
  Tensor partial_w = Tensor::empty(Shape{chunks, l.cols}, kF64, x.device());
  Tensor partial_b = Tensor::empty(Shape{chunks, l.cols}, kF64, x.device());
  const dim3 grid(static_cast<unsigned>((l.cols + kThreads - 1) / kThreads),
                  static_cast<unsigned>(chunks));
  layer_norm_affine_partial_kernel<T><<<grid, kThreads>>>(
      x.data<T>(), mean.data<T>(), inv_std.data<T>(), grad_y.data<T>(), l.rows, l.cols,
      rows_per_chunk, partial_w.data<double>(), partial_b.data<double>());
  check_launch();
  layer_norm_affine_total_kernel<T><<<blocks_for(l.cols), kThreads>>>(
      partial_w.data<double>(), partial_b.data<double>(), chunks, l.cols, grad_weight, grad_bias);
  check_launch();
}

}  // namespace

void reduce(ReduceOp op, const Tensor& x, const ReduceLayout& layout, Tensor& out, Tensor& index) {
  if (layout.out_count == 0) return;
  const ReduceIndexer ix = make_indexer(layout);
  dispatch_float(x.dtype(), op == ReduceOp::kSum ? "sum" : "max", [&](auto tag) {
    using T = decltype(tag);
    int64_t* idx = op == ReduceOp::kMax ? index.data<int64_t>() : nullptr;
    if (use_block_per_output(layout)) {
      const int grid = static_cast<int>(std::min<int64_t>(layout.out_count, int64_t{1} << 30));
      reduce_block_kernel<T><<<grid, kThreads>>>(op, x.data<T>(), ix, layout.out_count,
                                                 layout.reduce_count, out.data<T>(), idx);
    } else {
      reduce_thread_kernel<T><<<blocks_for(layout.out_count), kThreads>>>(
          op, x.data<T>(), ix, layout.out_count, layout.reduce_count, out.data<T>(), idx);
    }
  });
  check_launch();
}

void reduce_max_backward(const Tensor& grad_out, const Tensor& index, const ReduceLayout& layout,
                         Tensor& grad_x) {
  if (grad_x.numel() == 0) return;
  STAA_CUDA_CHECK(cudaMemset(grad_x.raw_data(), 0, grad_x.nbytes()));
  if (layout.out_count == 0) return;
  const ReduceIndexer ix = make_indexer(layout);
  dispatch_float(grad_out.dtype(), "max backward", [&](auto tag) {
    using T = decltype(tag);
    reduce_max_backward_kernel<T><<<blocks_for(layout.out_count), kThreads>>>(
        grad_out.data<T>(), index.data<int64_t>(), ix, layout.out_count, grad_x.data<T>());
  });
  check_launch();
}

void softmax(const Tensor& x, const DimLayout& layout, bool log, Tensor& y) {
  dispatch_float(x.dtype(), log ? "log_softmax" : "softmax", [&](auto tag) {
    using T = decltype(tag);
    launch_softmax<T>(x.data<T>(), nullptr, y.data<T>(), layout, log);
  });
}

void softmax_backward(const Tensor& y, const Tensor& grad_y, const DimLayout& layout, bool log,
                      Tensor& grad_x) {
  dispatch_float(y.dtype(), log ? "log_softmax backward" : "softmax backward", [&](auto tag) {
    using T = decltype(tag);
    launch_softmax<T>(y.data<T>(), grad_y.data<T>(), grad_x.data<T>(), layout, log);
  });
}

void layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, const LayerNormLayout& l,
                double eps, Tensor& y, Tensor& mean, Tensor& inv_std) {
  if (l.rows == 0 || l.cols == 0) return;
  dispatch_float(x.dtype(), "layer_norm", [&](auto tag) {
    using T = decltype(tag);
    const T *w = data_or_null<T>(weight), *b = data_or_null<T>(bias);
    if (l.cols <= 1024) {
      layer_norm_kernel<T, kWarp><<<blocks_for_slices<kWarp>(l.rows), kThreads>>>(
          x.data<T>(), w, b, l.rows, l.cols, eps, y.data<T>(), mean.data<T>(), inv_std.data<T>());
    } else {
      layer_norm_kernel<T, kThreads><<<blocks_for_slices<kThreads>(l.rows), kThreads>>>(
          x.data<T>(), w, b, l.rows, l.cols, eps, y.data<T>(), mean.data<T>(), inv_std.data<T>());
    }
  });
  check_launch();
}

void layer_norm_backward(const Tensor& x, const Tensor& mean, const Tensor& inv_std,
                         const Tensor& weight, const Tensor& grad_y, const LayerNormLayout& l,
                         Tensor& grad_x, Tensor& grad_weight, Tensor& grad_bias) {
  if (l.cols == 0) return;  // rows == 0 still writes zero grad_weight / grad_bias
  dispatch_float(x.dtype(), "layer_norm backward", [&](auto tag) {
    using T = decltype(tag);
    if (grad_x.defined()) {
      const T* w = data_or_null<T>(weight);
      if (l.cols <= 1024) {
        layer_norm_grad_x_kernel<T, kWarp><<<blocks_for_slices<kWarp>(l.rows), kThreads>>>(
            x.data<T>(), mean.data<T>(), inv_std.data<T>(), w, grad_y.data<T>(), l.rows, l.cols,
            grad_x.data<T>());
      } else {
        layer_norm_grad_x_kernel<T, kThreads><<<blocks_for_slices<kThreads>(l.rows), kThreads>>>(
            x.data<T>(), mean.data<T>(), inv_std.data<T>(), w, grad_y.data<T>(), l.rows, l.cols,
            grad_x.data<T>());
      }
      check_launch();
    }
    if (grad_weight.defined() || grad_bias.defined()) {
      layer_norm_affine_backward<T>(x, mean, inv_std, grad_y, l,
                                    grad_weight.defined() ? grad_weight.data<T>() : nullptr,
                                    grad_bias.defined() ? grad_bias.data<T>() : nullptr);
    }
  });
}

}  // namespace staa::cuda
