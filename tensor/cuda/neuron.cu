// CUDA fused multi-step LIF: one thread per neuron, the time loop inside (as fast neuron kernels
// do), coalesced over neurons at each step. Layer: tensor/cuda. The per-channel gradients of the
// leak and the gain are reduced per block in shared memory, then added with one atomicAdd per
// block and channel (their summation order varies between runs; everything else is exact); under
// deterministic() each neuron's sums are stored instead and one block per channel adds them in a
// fixed order.
#include <cuda_runtime.h>
#include <cub/block/block_reduce.cuh>

#include <algorithm>

#include "tensor/backend.h"
#include "tensor/cuda/cuda_check.h"
#include "tensor/cuda/neuron.h"
#include "tensor/dispatch.h"

namespace staa::cuda {

namespace {

constexpr int kThreads = 256;

template <typename T>
struct Step {
  T threshold, v_reset, alpha;
  bool soft, detach, primitive;
  SurrogateKind kind;
  int64_t channels, inner, neurons, steps;
};

template <typename T>
Step<T> make_step(const LifLayout& l, const LifParams& p) {
  return {static_cast<T>(p.threshold),
          static_cast<T>(p.v_reset),
          static_cast<T>(p.surrogate.alpha),
          p.soft_reset,
          p.detach_reset,
          p.surrogate.primitive,
          p.surrogate.kind,
          l.channels,
          l.inner,
          l.neurons(),
          l.steps};
}

template <typename T>
__device__ T reset(T v, T s, const Step<T>& q) {
  return lif_reset(v, s, q.threshold, q.v_reset, q.soft);
}

// x, spikes, membrane: [T, neurons]; leak, gain: [1] or [channels]
template <typename T>
__global__ void lif_forward_kernel(const T* x, const T* leak, const T* gain, T* spikes, T* membrane,
                                   int64_t per_channel, Step<T> q) {
  const int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (i >= q.neurons) return;
  const int64_t c = per_channel ? (i / q.inner) % q.channels : 0;
  const T m = leak[c], n = gain[c], bias = (T(1) - m) * q.v_reset;
  T h = 0;
  for (int64_t t = 0; t < q.steps; ++t) {
    const int64_t k = t * q.neurons + i;
    const T v = m * h + n * x[k] + bias;
    const T s = spike_forward(v - q.threshold, q.kind, q.alpha, q.primitive);
    spikes[k] = s;
    if (membrane) membrane[k] = v;
    h = reset(v, s, q);
  }
}

// grad_leak, grad_gain: zeroed by the caller; shared memory holds 2 * kThreads sums.
// partial (f64): [2, neurons] or null; when given, each neuron's leak and gain sums go there
// instead of into grad_leak / grad_gain (the deterministic path).
template <typename T>
__global__ void lif_backward_kernel(const T* x, const T* membrane, const T* leak, const T* gain,
                                    const T* grad_spikes, T* grad_x, T* grad_leak, T* grad_gain,
                                    double* partial, int64_t per_channel, Step<T> q) {
  __shared__ double sums[2][kThreads];
  const int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  double leak_sum = 0, gain_sum = 0;
  int64_t c = 0;
  if (i < q.neurons) {
    c = per_channel ? (i / q.inner) % q.channels : 0;
    const T m = leak[c], n = gain[c];
    T grad_h = 0;
    for (int64_t t = q.steps - 1; t >= 0; --t) {
      const int64_t k = t * q.neurons + i;
      const T v = membrane[k];
      const T s = spike_forward(v - q.threshold, q.kind, q.alpha, q.primitive);
      const T ds = spike_grad(v - q.threshold, q.kind, q.alpha);
      const T dh_ds = q.detach ? T(0) : (q.soft ? -q.threshold : q.v_reset - v);
      const T dh_dv = q.soft ? T(1) : T(1) - s;
      const T gv = (grad_spikes[k] + grad_h * dh_ds) * ds + grad_h * dh_dv;
      grad_x[k] = n * gv;
      grad_h = m * gv;
      T h_prev = 0;
      if (t > 0) {
        const T vp = membrane[k - q.neurons];
        h_prev = reset(vp, spike_forward(vp - q.threshold, q.kind, q.alpha, q.primitive), q);
      }
      leak_sum += static_cast<double>(gv) * (h_prev - q.v_reset);
      if (x) gain_sum += static_cast<double>(gv) * x[k];
    }
  }
  if (!grad_leak && !grad_gain) return;
  if (partial) {
    if (i < q.neurons) {
      partial[i] = leak_sum;
      partial[q.neurons + i] = gain_sum;
    }
    return;
  }
  // Per channel: a block spans few channels; each thread adds its sums when it is the first
  // thread of its channel within the block, after a shared-memory scan of equal channels.
  sums[0][threadIdx.x] = leak_sum;
  sums[1][threadIdx.x] = gain_sum;
  __syncthreads();
  const int64_t first = blockIdx.x * static_cast<int64_t>(blockDim.x);
  auto channel_of = [&](int64_t j) { return per_channel ? (j / q.inner) % q.channels : 0; };
  const bool leader = i < q.neurons && (threadIdx.x == 0 || channel_of(i - 1) != c);
  if (!leader) return;
  double l = 0, g = 0;
  for (int j = threadIdx.x; j < kThreads && first + j < q.neurons && channel_of(first + j) == c;
       ++j) {
    l += sums[0][j];
    g += sums[1][j];
  }
  if (grad_leak) atomicAdd(grad_leak + c, static_cast<T>(l));
  if (grad_gain) atomicAdd(grad_gain + c, static_cast<T>(g));
}

// Deterministic totals: block c' takes coefficients c = c', c' + gridDim.x, ...; its threads sum
// the neurons (b, c, i) of channel c in a fixed strided order, then a fixed-shape block reduction.
// partial (f64): [2, neurons], grad_leak, grad_gain: [coefficients] or null
template <typename T>
__global__ void lif_coefficient_grad_kernel(const double* partial, int64_t outer, int64_t channels,
                                            int64_t inner, T* grad_leak, T* grad_gain) {
  using BlockReduce = cub::BlockReduce<double, kThreads>;
  __shared__ typename BlockReduce::TempStorage temp;
  const int64_t neurons = outer * channels * inner, count = outer * inner;
  for (int64_t c = blockIdx.x; c < channels; c += gridDim.x) {
    double l = 0, g = 0;
    for (int64_t j = threadIdx.x; j < count; j += blockDim.x) {
      const int64_t k = (j / inner * channels + c) * inner + j % inner;
      l += partial[k];
      g += partial[neurons + k];
    }
    const double total_l = BlockReduce(temp).Sum(l);
    __syncthreads();
    const double total_g = BlockReduce(temp).Sum(g);
    if (threadIdx.x == 0) {
      if (grad_leak) grad_leak[c] = static_cast<T>(total_l);
      if (grad_gain) grad_gain[c] = static_cast<T>(total_g);
    }
    __syncthreads();  // temp is reused by the next channel
  }
}

int blocks_for(int64_t n) {
  return static_cast<int>((n + kThreads - 1) / kThreads);
}

}  // namespace

void lif_forward(const Tensor& x, const Tensor& leak, const Tensor& gain, const LifLayout& l,
                 const LifParams& p, Tensor& spikes, Tensor& membrane) {
  if (l.neurons() == 0) return;
  dispatch_float(x.dtype(), "lif", [&](auto tag) {
    using T = decltype(tag);
    lif_forward_kernel<T><<<blocks_for(l.neurons()), kThreads>>>(
        x.data<T>(), leak.data<T>(), gain.data<T>(), spikes.data<T>(),
        membrane.defined() ? membrane.data<T>() : nullptr, leak.numel() > 1, make_step<T>(l, p));
  });
  STAA_CUDA_CHECK(cudaGetLastError());
}

void lif_backward(const Tensor& x, const Tensor& membrane, const Tensor& leak, const Tensor& gain,
                  const Tensor& grad_spikes, const LifLayout& l, const LifParams& p, Tensor& grad_x,
                  Tensor& grad_leak, Tensor& grad_gain) {
  dispatch_float(membrane.dtype(), "lif backward", [&](auto tag) {
    using T = decltype(tag);
    for (Tensor* g : {&grad_leak, &grad_gain})
      if (g->defined()) STAA_CUDA_CHECK(cudaMemset(g->data<T>(), 0, g->nbytes()));
    if (l.neurons() == 0) return;
    T* g_leak = grad_leak.defined() ? grad_leak.data<T>() : nullptr;
    T* g_gain = grad_gain.defined() ? grad_gain.data<T>() : nullptr;
    const bool ordered = deterministic() && (g_leak || g_gain);
    Tensor partial =
        ordered ? Tensor::empty(Shape{2, l.neurons()}, kF64, membrane.device()) : Tensor();
    lif_backward_kernel<T><<<blocks_for(l.neurons()), kThreads>>>(
        grad_gain.defined() ? x.data<T>() : nullptr, membrane.data<T>(), leak.data<T>(),
        gain.data<T>(), grad_spikes.data<T>(), grad_x.data<T>(), g_leak, g_gain,
        ordered ? partial.data<double>() : nullptr, leak.numel() > 1, make_step<T>(l, p));
    STAA_CUDA_CHECK(cudaGetLastError());
    if (!ordered) return;
    const int blocks = static_cast<int>(std::min<int64_t>(l.channels, 1 << 16));
    lif_coefficient_grad_kernel<T><<<blocks, kThreads>>>(partial.data<double>(), l.outer,
                                                         l.channels, l.inner, g_leak, g_gain);
  });
  STAA_CUDA_CHECK(cudaGetLastError());
}

// ---- one step's reset (spike_reset) ------------------------------------------------------------

namespace {

// forward (g null): out = H; backward: out = grad_d. d, g, out: [n]
template <typename T>
__global__ void spike_reset_kernel(const T* d, const T* g, T* out, int64_t n, ResetScalars<T> q) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += stride) {
    out[i] = g ? spike_reset_grad(d[i], g[i], q) : spike_reset_forward(d[i], q);
  }
}

void launch_spike_reset(const Tensor& d, const Tensor& grad_h, const LifParams& p, Tensor& out) {
  const int64_t n = d.numel();
  if (n == 0) return;
  dispatch_float(d.dtype(), "spike_reset", [&](auto tag) {
    using T = decltype(tag);
    const int64_t blocks = std::min<int64_t>((n + kThreads - 1) / kThreads, int64_t{1} << 20);
    spike_reset_kernel<T><<<static_cast<int>(blocks), kThreads>>>(
        d.data<T>(), data_or_null<T>(grad_h), out.data<T>(), n, reset_scalars<T>(p));
  });
  STAA_CUDA_CHECK(cudaGetLastError());
}

}  // namespace

void spike_reset(const Tensor& d, const LifParams& p, Tensor& h) {
  launch_spike_reset(d, Tensor(), p, h);
}

void spike_reset_backward(const Tensor& d, const Tensor& grad_h, const LifParams& p,
                          Tensor& grad_d) {
  launch_spike_reset(d, grad_h, p, grad_d);
}

// ---- STAA-LIF's membrane from per-row coefficients (membrane_update) ----------------------------

namespace {

// out[r, i] = gain[r] x[r, i] + leak[r] h[r, i] + bias[r]; h null: 0. x, h, out: [rows, inner]
template <typename T>
__global__ void membrane_update_kernel(const T* x, const T* h, const T* gain, const T* leak,
                                       const T* bias, T* out, int64_t n, int64_t inner) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += stride) {
    const int64_t r = i / inner;
    out[i] = gain[r] * x[i] + (h ? leak[r] * h[i] : T(0)) + bias[r];
  }
}

// One block per row: grad_x, grad_h elementwise; the three row sums by a block reduction in
// double (a fixed order: deterministic). Null pointers: not wanted.
template <typename T>
__global__ void membrane_update_backward_kernel(const T* x, const T* h, const T* gain,
                                                const T* leak, const T* g, T* gx, T* gh, T* ga,
                                                T* gm, T* gk, int64_t rows, int64_t inner) {
  using BlockReduce = cub::BlockReduce<double, kThreads>;
  __shared__ typename BlockReduce::TempStorage temp;
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    double sum_gx = 0, sum_gh = 0, sum_g = 0;
    for (int64_t i = r * inner + threadIdx.x; i < (r + 1) * inner; i += blockDim.x) {
      const T gi = g[i];
      if (gx) gx[i] = gain[r] * gi;
      if (gh) gh[i] = leak[r] * gi;
      if (x) sum_gx += static_cast<double>(gi) * static_cast<double>(x[i]);
      if (h) sum_gh += static_cast<double>(gi) * static_cast<double>(h[i]);
      sum_g += static_cast<double>(gi);
    }
    const double total_gx = BlockReduce(temp).Sum(sum_gx);
    __syncthreads();
    const double total_gh = BlockReduce(temp).Sum(sum_gh);
    __syncthreads();
    const double total_g = BlockReduce(temp).Sum(sum_g);
    __syncthreads();
    if (threadIdx.x == 0) {
      if (ga) ga[r] = static_cast<T>(total_gx);
      if (gm) gm[r] = static_cast<T>(total_gh);
      if (gk) gk[r] = static_cast<T>(total_g);
    }
  }
}

}  // namespace

void membrane_update(const Tensor& x, const Tensor& h, const Tensor& gain, const Tensor& leak,
                     const Tensor& bias, Tensor& out) {
  const int64_t n = x.numel(), rows = gain.numel();
  if (n == 0 || rows == 0) return;
  dispatch_float(x.dtype(), "membrane_update", [&](auto tag) {
    using T = decltype(tag);
    const int64_t blocks = std::min<int64_t>((n + kThreads - 1) / kThreads, int64_t{1} << 20);
    membrane_update_kernel<T><<<static_cast<int>(blocks), kThreads>>>(
        x.data<T>(), data_or_null<T>(h), gain.data<T>(), leak.data<T>(), bias.data<T>(),
        out.data<T>(), n, n / rows);
  });
  STAA_CUDA_CHECK(cudaGetLastError());
}

void membrane_update_backward(const Tensor& x, const Tensor& h, const Tensor& gain,
                              const Tensor& leak, const Tensor& grad_out, Tensor& grad_x,
                              Tensor& grad_h, Tensor& grad_gain, Tensor& grad_leak,
                              Tensor& grad_bias) {
  const int64_t n = grad_out.numel(), rows = gain.numel();
  if (rows == 0) return;  // rows of no elements still get their (zero) sums
  dispatch_float(grad_out.dtype(), "membrane_update backward", [&](auto tag) {
    using T = decltype(tag);
    const int64_t blocks = std::min<int64_t>(rows, int64_t{1} << 16);
    membrane_update_backward_kernel<T><<<static_cast<int>(blocks), kThreads>>>(
        data_or_null<T>(x), data_or_null<T>(h), gain.data<T>(), leak.data<T>(), grad_out.data<T>(),
        mutable_or_null<T>(grad_x), mutable_or_null<T>(grad_h),
        x.defined() ? mutable_or_null<T>(grad_gain) : nullptr,
        h.defined() ? mutable_or_null<T>(grad_leak) : nullptr, mutable_or_null<T>(grad_bias), rows,
        n / rows);
  });
  STAA_CUDA_CHECK(cudaGetLastError());
}

}  // namespace staa::cuda
