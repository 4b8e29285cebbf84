// CUDA batch norm: statistics, forward, backward. Layer: tensor/cuda. Own kernels, not cuDNN's
// batch norm: our interface splits statistics / forward / backward and has an eval-mode backward
// (constant running statistics), which cuDNN's backward (batch statistics only) cannot give.
// Channel c of x: [outer, C, inner] has M = outer * inner elements, cut into S splits of one
// block each (S from the shape only). Sums are in double, per thread in a fixed order, then a
// fixed-shape block reduction, then the S partials in order: no atomics, the same bits every run.
// Statistics are shifted sums like the CPU's (tensor/cpu/norm.cpp); the backward sweeps memory
// twice: one reduction of sum(g), sum(g * x_hat), then one elementwise pass for grad_x.
#include <cuda_runtime.h>
#include <cub/block/block_reduce.cuh>

#include <algorithm>

#include "tensor/creation.h"
#include "tensor/cuda/cuda_check.h"
#include "tensor/cuda/kernels.h"
#include "tensor/cuda/launch.h"
#include "tensor/dispatch.h"

namespace staa::cuda {

namespace {

// Elements per block: reductions give each thread at least kReducePerThread elements and use at
// most kMaxReduceSplits blocks per channel (their partials are summed by one thread); elementwise
// passes give each thread about kElementsPerThread.
constexpr int64_t kReducePerThread = 16;
constexpr int64_t kMaxReduceSplits = 64;
constexpr int64_t kElementsPerThread = 8;
constexpr int64_t kMaxGridY = 65535;

// The shape of a channel-split launch: grid (splits, min(C, kMaxGridY)), blocks of kThreads.
struct ChannelSplits {
  int64_t outer, channels, inner;  // x: [outer, channels, inner]
  int64_t splits;                  // blocks per channel
  int64_t chunk;                   // elements of a channel per split (the last may have fewer)
};

ChannelSplits channel_splits(const BatchNormLayout& l, int64_t per_thread, int64_t max_splits) {
  const int64_t m = l.count(), per_block = kThreads * per_thread;
  const int64_t splits = std::clamp<int64_t>((m + per_block - 1) / per_block, 1, max_splits);
  return {l.outer, l.channels, l.inner, splits, std::max<int64_t>((m + splits - 1) / splits, 1)};
}

dim3 grid_of(const ChannelSplits& q) {
  return dim3(static_cast<unsigned>(q.splits),
              static_cast<unsigned>(std::min<int64_t>(q.channels, kMaxGridY)));
}

// Calls f(k) for this thread's elements of split blockIdx.x of channel c, k = the address
// (n * C + c) * inner + i of element j = n * inner + i: j = begin + threadIdx.x, then steps of
// blockDim.x (n and i advance without a division per element).
template <typename F>
__device__ void for_split(const ChannelSplits& q, int64_t c, F&& f) {
  const int64_t m = q.outer * q.inner;
  const int64_t begin = blockIdx.x * q.chunk, end = min(m, begin + q.chunk);
  int64_t j = begin + threadIdx.x;
  if (j >= end) return;  // also every thread of an empty channel (inner may be 0)
  const int64_t step = blockDim.x, step_n = step / q.inner, step_i = step % q.inner;
  int64_t n = j / q.inner, i = j - n * q.inner;
  for (; j < end; j += step) {
    f((n * q.channels + c) * q.inner + i);
    n += step_n;
    i += step_i;
    if (i >= q.inner) {
      i -= q.inner;
      ++n;
    }
  }
}

using BlockReduce = cub::BlockReduce<double, kThreads>;

// Block totals of (s0, s1) into partial[(c * splits + split) * 2 + {0, 1}].
__device__ void store_partials(const ChannelSplits& q, int64_t c, double s0, double s1,
                               typename BlockReduce::TempStorage& temp, double* partial) {
  const double t0 = BlockReduce(temp).Sum(s0);
  __syncthreads();
  const double t1 = BlockReduce(temp).Sum(s1);
  if (threadIdx.x == 0) {
    partial[(c * q.splits + blockIdx.x) * 2] = t0;
    partial[(c * q.splits + blockIdx.x) * 2 + 1] = t1;
  }
  __syncthreads();  // temp is reused by the block's next channel
}

// Partial sums of d and d^2, d = x - x[first element of the channel] (the shift keeps the
// one-pass variance exact in double). x: [outer, C, inner], partial: [C, splits, 2]
template <typename T>
__global__ void stats_partial_kernel(const T* x, ChannelSplits q, double* partial) {
  __shared__ typename BlockReduce::TempStorage temp;
  const bool any = q.outer * q.inner > 0;
  for (int64_t c = blockIdx.y; c < q.channels; c += gridDim.y) {
    const double shift = any ? static_cast<double>(x[c * q.inner]) : 0.0;
    double sum = 0, sum_sq = 0;
    for_split(q, c, [&](int64_t k) {
      const double d = static_cast<double>(x[k]) - shift;
      sum += d;
      sum_sq += d * d;
    });
    store_partials(q, c, sum, sum_sq, temp, partial);
  }
}

// mean and biased var per channel from the partials, as the CPU's moments().
// partial: [C, splits, 2], mean, var: [C]
template <typename T>
__global__ void stats_finish_kernel(const T* x, const double* partial, ChannelSplits q, T* mean,
                                    T* var) {
  const int64_t c = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (c >= q.channels) return;
  const int64_t m = q.outer * q.inner;
  double sum = 0, sum_sq = 0;
  for (int64_t s = 0; s < q.splits; ++s) {
    sum += partial[(c * q.splits + s) * 2];
    sum_sq += partial[(c * q.splits + s) * 2 + 1];
  }
  const double shift = m > 0 ? static_cast<double>(x[c * q.inner]) : 0.0;
  const double mean_shifted = sum / static_cast<double>(m);
  mean[c] = static_cast<T>(shift + mean_shifted);
  var[c] = static_cast<T>(fmax(sum_sq / static_cast<double>(m) - mean_shifted * mean_shifted, 0.0));
}

// y = (x - mean) * scale + b, scale = inv_std * weight, in T like the CPU. weight, bias may be
// null. x, y: [outer, C, inner], mean, var, weight, bias: [C]
template <typename T>
__global__ void forward_kernel(const T* x, const T* mean, const T* var, const T* weight,
                               const T* bias, ChannelSplits q, double eps, T* y) {
  for (int64_t c = blockIdx.y; c < q.channels; c += gridDim.y) {
    const double inv_std = 1.0 / sqrt(static_cast<double>(var[c]) + eps);
    const T scale = static_cast<T>(inv_std * (weight ? static_cast<double>(weight[c]) : 1.0));
    const T m = mean[c], b = bias ? bias[c] : T(0);
    for_split(q, c, [&](int64_t k) { y[k] = (x[k] - m) * scale + b; });
  }
}

// Partial sums of g and g * x_hat, x_hat = (x - mean) * inv_std in double.
// x, grad_y: [outer, C, inner], mean, var: [C], partial: [C, splits, 2]
template <typename T>
__global__ void backward_partial_kernel(const T* x, const T* grad_y, const T* mean, const T* var,
                                        ChannelSplits q, double eps, double* partial) {
  __shared__ typename BlockReduce::TempStorage temp;
  for (int64_t c = blockIdx.y; c < q.channels; c += gridDim.y) {
    const double m = mean[c], inv_std = 1.0 / sqrt(static_cast<double>(var[c]) + eps);
    double sum_g = 0, sum_g_xhat = 0;
    for_split(q, c, [&](int64_t k) {
      const double g = grad_y[k];
      sum_g += g;
      sum_g_xhat += g * (static_cast<double>(x[k]) - m) * inv_std;
    });
    store_partials(q, c, sum_g, sum_g_xhat, temp, partial);
  }
}

// Per-channel coefficients of grad_x (see the Backend comment), and grad_weight = sum(g * x_hat),
// grad_bias = sum(g) when wanted. partial: [C, splits, 2] or null (sums not needed: 0),
// coef: [C, 5] = mean, inv_std, scale = inv_std * w, mean_g, mean_g_xhat (both 0 in eval).
template <typename T>
__global__ void backward_finish_kernel(const double* partial, const T* mean, const T* var,
                                       const T* weight, ChannelSplits q, double eps, bool training,
                                       T* grad_weight, T* grad_bias, double* coef) {
  const int64_t c = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (c >= q.channels) return;
  double sum_g = 0, sum_g_xhat = 0;
  for (int64_t s = 0; partial && s < q.splits; ++s) {
    sum_g += partial[(c * q.splits + s) * 2];
    sum_g_xhat += partial[(c * q.splits + s) * 2 + 1];
  }
  if (grad_weight) grad_weight[c] = static_cast<T>(sum_g_xhat);
  if (grad_bias) grad_bias[c] = static_cast<T>(sum_g);
  const double count = static_cast<double>(q.outer * q.inner);
  const double inv_std = 1.0 / sqrt(static_cast<double>(var[c]) + eps);
  double* k = coef + c * 5;
  k[0] = mean[c];
  k[1] = inv_std;
  k[2] = inv_std * (weight ? static_cast<double>(weight[c]) : 1.0);
  k[3] = training ? sum_g / count : 0.0;
  k[4] = training ? sum_g_xhat / count : 0.0;
}

// grad_x = scale * (g - mean_g - x_hat * mean_g_xhat), in double like the CPU.
// x, grad_y, grad_x: [outer, C, inner], coef: [C, 5]
template <typename T>
__global__ void grad_x_kernel(const T* x, const T* grad_y, const double* coef, ChannelSplits q,
                              T* grad_x) {
  for (int64_t c = blockIdx.y; c < q.channels; c += gridDim.y) {
    const double* k = coef + c * 5;
    const double m = k[0], inv_std = k[1], scale = k[2], mean_g = k[3], mean_g_xhat = k[4];
    for_split(q, c, [&](int64_t e) {
      const double x_hat = (static_cast<double>(x[e]) - m) * inv_std;
      grad_x[e] =
          static_cast<T>(scale * (static_cast<double>(grad_y[e]) - mean_g - x_hat * mean_g_xhat));
    });
  }
}

// Double scratch on x's device (the caching allocator serves it; stream order makes reuse safe).
Tensor scratch(int64_t count, const Tensor& like) {
  return empty(Shape{count}, {kF64, like.device()});
}

int channel_blocks(int64_t channels) {
  return static_cast<int>((channels + kThreads - 1) / kThreads);
}

}  // namespace

void batch_norm_stats(const Tensor& x, const BatchNormLayout& l, Tensor& mean, Tensor& var) {
  if (l.channels == 0) return;
  dispatch_float(x.dtype(), "batch_norm", [&](auto tag) {
    using T = decltype(tag);
    const ChannelSplits q = channel_splits(l, kReducePerThread, kMaxReduceSplits);
    Tensor partial = scratch(q.channels * q.splits * 2, x);
    stats_partial_kernel<T><<<grid_of(q), kThreads>>>(x.data<T>(), q, partial.data<double>());
    check_launch();
    stats_finish_kernel<T><<<channel_blocks(q.channels), kThreads>>>(
        x.data<T>(), partial.data<double>(), q, mean.data<T>(), var.data<T>());
    check_launch();
  });
}

void batch_norm_forward(const Tensor& x, const Tensor& mean, const Tensor& var,
                        const Tensor& weight, const Tensor& bias, const BatchNormLayout& l,
                        double eps, Tensor& y) {
  if (x.numel() == 0) return;
  dispatch_float(x.dtype(), "batch_norm", [&](auto tag) {
    using T = decltype(tag);
    const ChannelSplits q = channel_splits(l, kElementsPerThread, int64_t{1} << 30);
    forward_kernel<T><<<grid_of(q), kThreads>>>(x.data<T>(), mean.data<T>(), var.data<T>(),
                                                data_or_null<T>(weight), data_or_null<T>(bias), q,
                                                eps, y.data<T>());
    check_launch();
  });
}

void batch_norm_backward(const Tensor& x, const Tensor& mean, const Tensor& var,
                         const Tensor& weight, const Tensor& grad_y, const BatchNormLayout& l,
                         double eps, bool training, Tensor& grad_x, Tensor& grad_weight,
                         Tensor& grad_bias) {
  if (l.channels == 0) return;
  dispatch_float(x.dtype(), "batch_norm backward", [&](auto tag) {
    using T = decltype(tag);
    const bool want_x = grad_x.defined() && grad_x.numel() > 0;
    const bool need_sums = grad_weight.defined() || grad_bias.defined() || (want_x && training);
    if (!want_x && !need_sums) return;
    const ChannelSplits rq = channel_splits(l, kReducePerThread, kMaxReduceSplits);
    Tensor partial = need_sums ? scratch(rq.channels * rq.splits * 2, x) : Tensor();
    Tensor coef = scratch(rq.channels * 5, x);
    if (need_sums) {
      backward_partial_kernel<T><<<grid_of(rq), kThreads>>>(x.data<T>(), grad_y.data<T>(),
                                                            mean.data<T>(), var.data<T>(), rq, eps,
                                                            partial.data<double>());
      check_launch();
    }
    backward_finish_kernel<T><<<channel_blocks(rq.channels), kThreads>>>(
        need_sums ? partial.data<double>() : nullptr, mean.data<T>(), var.data<T>(),
        data_or_null<T>(weight), rq, eps, training, mutable_or_null<T>(grad_weight),
        mutable_or_null<T>(grad_bias), coef.data<double>());
    check_launch();
    if (!want_x) return;
    const ChannelSplits eq = channel_splits(l, kElementsPerThread, int64_t{1} << 30);
    grad_x_kernel<T><<<grid_of(eq), kThreads>>>(x.data<T>(), grad_y.data<T>(), coef.data<double>(),
                                                eq, grad_x.data<T>());
    check_launch();
  });
}

}  // namespace staa::cuda
