// CPU fused multi-step LIF, forward and BPTT backward (tensor/ops/neuron.h). Layer: tensor/cpu.
// Work items are runs of up to kRun neurons of one (b, c): each keeps its neurons' state in a
// small array and walks t = 0..T-1 (backward: T-1..0), so the inner loop is a contiguous,
// vectorisable run and the state never leaves the cache. Items run in parallel (OpenMP); the
// per-channel gradients of m and n are summed per item in double, then per channel, in item order
// (deterministic whatever the thread count).
#include <algorithm>
#include <type_traits>
#include <vector>

#include "tensor/cpu/cpu_backend.h"
#include "tensor/cpu/kernel_util.h"

namespace staa::cpu {

namespace {

constexpr int64_t kRun = 256;

struct Item {
  int64_t channel;  // c of the item's (b, c)
  int64_t begin;    // offset of its first neuron within one step
  int64_t count;    // neurons in the run
};

std::vector<Item> lif_items(const LifLayout& l) {
  std::vector<Item> items;
  for (int64_t oc = 0; oc < l.outer * l.channels; ++oc)
    for (int64_t i = 0; i < l.inner; i += kRun)
      items.push_back({oc % l.channels, oc * l.inner + i, std::min(kRun, l.inner - i)});
  return items;
}

// Step parameters of one channel in T.
template <typename T>
struct StepParams {
  T m, n, bias, threshold, v_reset, alpha;
  bool soft, detach;
};

template <typename T>
StepParams<T> step_params(const LifParams& p, T m, T n) {
  const T r = static_cast<T>(p.v_reset);
  return {m,
          n,
          (T(1) - m) * r,
          static_cast<T>(p.threshold),
          r,
          static_cast<T>(p.surrogate.alpha),
          p.soft_reset,
          p.detach_reset};
}

template <typename T>
inline T reset(T v, T s, const StepParams<T>& q) {
  return lif_reset(v, s, q.threshold, q.v_reset, q.soft);
}

// The surrogate and the mode are template arguments: the inner loops then have no branches on
// them and vectorise (q by value: a reference could alias the stores, which stops that).
// x, spikes, membrane: the item's run at step 0; step stride `stride`.
template <typename T, SurrogateKind K, bool Primitive, bool Store>
void lif_forward_item(const T* x, T* spikes, T* membrane, int64_t count, int64_t steps,
                      int64_t stride, const StepParams<T> q) {
  T h[kRun];
  std::fill(h, h + count, T(0));
  for (int64_t t = 0; t < steps; ++t) {
    const T* xt = x + t * stride;
    T* st = spikes + t * stride;
    T* vt = Store ? membrane + t * stride : nullptr;
    for (int64_t i = 0; i < count; ++i) {
      const T v = q.m * h[i] + q.n * xt[i] + q.bias;
      const T s = spike_forward(v - q.threshold, K, q.alpha, Primitive);
      st[i] = s;
      if (Store) vt[i] = v;
      h[i] = reset(v, s, q);
    }
  }
}

struct GradSums {
  double leak = 0, gain = 0;
};

// Reverse recurrence of one run (see backend.h). Sums: the leak / gain gradients are wanted
// (x is read only with gain); they accumulate per neuron, then once over the run in double.
template <typename T, SurrogateKind K, bool Primitive, bool Sums>
GradSums lif_backward_item(const T* x, const T* membrane, const T* grad_spikes, T* grad_x,
                           int64_t count, int64_t steps, int64_t stride, const StepParams<T> q) {
  T grad_h[kRun], leak[kRun], gain[kRun];
  std::fill(grad_h, grad_h + count, T(0));
  if (Sums) std::fill(leak, leak + count, T(0)), std::fill(gain, gain + count, T(0));
  const T dh_ds_soft = q.detach ? T(0) : -q.threshold;
  for (int64_t t = steps - 1; t >= 0; --t) {
    const T* vt = membrane + t * stride;
    const T* gs = grad_spikes + t * stride;
    T* gx = grad_x + t * stride;
    // Selects over always-valid rows instead of branches, so the loop vectorises: H[t-1] = 0 at
    // t = 0 (its row is then step 0's, unused), and x's row when x is given.
    const bool first = t == 0, with_x = x != nullptr;
    const T* vp = first ? vt : vt - stride;
    const T* xt = with_x ? x + t * stride : vt;
    for (int64_t i = 0; i < count; ++i) {
      const T v = vt[i];
      const T s = spike_forward(v - q.threshold, K, q.alpha, Primitive);
      const T ds = spike_grad(v - q.threshold, K, q.alpha);
      const T dh_ds = q.soft ? dh_ds_soft : (q.detach ? T(0) : q.v_reset - v);
      const T dh_dv = q.soft ? T(1) : T(1) - s;
      const T gv = (gs[i] + grad_h[i] * dh_ds) * ds + grad_h[i] * dh_dv;
      gx[i] = q.n * gv;
      grad_h[i] = q.m * gv;
      if (Sums) {
        const T h_prev = reset(vp[i], spike_forward(vp[i] - q.threshold, K, q.alpha, Primitive), q);
        leak[i] += gv * ((first ? T(0) : h_prev) - q.v_reset);
        gain[i] += with_x ? gv * xt[i] : T(0);
      }
    }
  }
  GradSums sums;
  if (Sums)
    for (int64_t i = 0; i < count; ++i) sums.leak += leak[i], sums.gain += gain[i];
  return sums;
}

template <typename T>
T coefficient(const Tensor& c, int64_t channel) {
  return c.numel() == 1 ? c.data<T>()[0] : c.data<T>()[channel];
}

// Calls f(std::integral_constant<SurrogateKind, K>, std::bool_constant<Primitive>).
template <typename F>
void dispatch_surrogate(const Surrogate& s, F&& f) {
  auto with_kind = [&](auto kind) {
    if (s.primitive)
      f(kind, std::true_type{});
    else
      f(kind, std::false_type{});
  };
  switch (s.kind) {
    case SurrogateKind::kRectangular:
      return with_kind(std::integral_constant<SurrogateKind, SurrogateKind::kRectangular>{});
    case SurrogateKind::kSigmoid:
      return with_kind(std::integral_constant<SurrogateKind, SurrogateKind::kSigmoid>{});
    case SurrogateKind::kAtan:
      return with_kind(std::integral_constant<SurrogateKind, SurrogateKind::kAtan>{});
  }
}

}  // namespace

void CpuBackend::lif_forward(const Tensor& x, const Tensor& leak, const Tensor& gain,
                             const LifLayout& l, const LifParams& p, Tensor& spikes,
                             Tensor& membrane) {
  dispatch_float(x.dtype(), "lif", [&](auto tag) {
    using T = decltype(tag);
    const std::vector<Item> items = lif_items(l);
    const int64_t stride = l.neurons();
    T* v = membrane.defined() ? membrane.data<T>() : nullptr;
#pragma omp parallel for schedule(static) if (stride * l.steps > kParallelGrain)
    for (size_t k = 0; k < items.size(); ++k) {
      const Item& it = items[k];
      const auto q =
          step_params<T>(p, coefficient<T>(leak, it.channel), coefficient<T>(gain, it.channel));
      dispatch_surrogate(p.surrogate, [&](auto kind, auto primitive) {
        const T* xs = x.data<T>() + it.begin;
        T* s = spikes.data<T>() + it.begin;
        if (v)
          lif_forward_item<T, kind(), primitive(), true>(xs, s, v + it.begin, it.count, l.steps,
                                                         stride, q);
        else
          lif_forward_item<T, kind(), primitive(), false>(xs, s, nullptr, it.count, l.steps, stride,
                                                          q);
      });
    }
  });
}

void CpuBackend::lif_backward(const Tensor& x, const Tensor& membrane, const Tensor& leak,
                              const Tensor& gain, const Tensor& grad_spikes, const LifLayout& l,
                              const LifParams& p, Tensor& grad_x, Tensor& grad_leak,
                              Tensor& grad_gain) {
  dispatch_float(membrane.dtype(), "lif backward", [&](auto tag) {
    using T = decltype(tag);
    const std::vector<Item> items = lif_items(l);
    const int64_t stride = l.neurons();
    const T* xs = grad_gain.defined() ? x.data<T>() : nullptr;
    std::vector<GradSums> sums(items.size());
    const bool want_sums = grad_leak.defined() || grad_gain.defined();
#pragma omp parallel for schedule(static) if (stride * l.steps > kParallelGrain)
    for (size_t k = 0; k < items.size(); ++k) {
      const Item& it = items[k];
      const auto q =
          step_params<T>(p, coefficient<T>(leak, it.channel), coefficient<T>(gain, it.channel));
      const T* xk = xs ? xs + it.begin : nullptr;
      const T* vk = membrane.data<T>() + it.begin;
      const T* gk = grad_spikes.data<T>() + it.begin;
      T* gxk = grad_x.data<T>() + it.begin;
      dispatch_surrogate(p.surrogate, [&](auto kind, auto primitive) {
        if (want_sums)
          sums[k] = lif_backward_item<T, kind(), primitive(), true>(xk, vk, gk, gxk, it.count,
                                                                    l.steps, stride, q);
        else
          sums[k] = lif_backward_item<T, kind(), primitive(), false>(xk, vk, gk, gxk, it.count,
                                                                     l.steps, stride, q);
      });
    }
    const int64_t coefficients = std::max(leak.numel(), gain.numel());
    std::vector<double> leak_sum(coefficients, 0.0), gain_sum(coefficients, 0.0);
    for (size_t k = 0; k < items.size(); ++k) {
      const int64_t c = coefficients == 1 ? 0 : items[k].channel;
      leak_sum[c] += sums[k].leak;
      gain_sum[c] += sums[k].gain;
    }
    for (int64_t c = 0; c < coefficients; ++c) {
      if (grad_leak.defined()) grad_leak.data<T>()[c] = static_cast<T>(leak_sum[c]);
      if (grad_gain.defined()) grad_gain.data<T>()[c] = static_cast<T>(gain_sum[c]);
    }
  });
}

// ---- one step's reset (spike_reset) ------------------------------------------------------------

namespace {

// One range: the surrogate and the mode are template arguments and q a local copy, so the loops
// have no branches and vectorise. d, g, out: [n]
template <typename T, SurrogateKind K, bool Primitive>
void spike_reset_range(const T* d, const T* g, T* out, int64_t n, ResetScalars<T> q) {
  q.kind = K;
  q.primitive = Primitive;
  if (g == nullptr) {
    for (int64_t i = 0; i < n; ++i) out[i] = spike_reset_forward(d[i], q);
  } else {
    for (int64_t i = 0; i < n; ++i) out[i] = spike_reset_grad(d[i], g[i], q);
  }
}

// One range per thread (64-element aligned) when n is large.
template <typename T, SurrogateKind K, bool Primitive>
void spike_reset_loop(const T* d, const T* g, T* out, int64_t n, ResetScalars<T> q) {
  const int threads = n > kParallelGrain ? team_size() : 1;
  for_ranges(
      n, threads,
      [&](int64_t begin, int64_t end) {
        spike_reset_range<T, K, Primitive>(d + begin, g ? g + begin : nullptr, out + begin,
                                           end - begin, q);
      },
      64);
}

// forward: grad_h undefined, out = h; backward: out = grad_d.
void spike_reset_any(const Tensor& d, const Tensor& grad_h, const LifParams& p, Tensor& out) {
  dispatch_float(d.dtype(), "spike_reset", [&](auto tag) {
    using T = decltype(tag);
    const ResetScalars<T> q = reset_scalars<T>(p);
    const T* g = data_or_null<T>(grad_h);
    const int64_t n = d.numel();
    dispatch_surrogate(p.surrogate, [&](auto kind, auto primitive) {
      spike_reset_loop<T, kind(), primitive()>(d.data<T>(), g, out.data<T>(), n, q);
    });
  });
}

}  // namespace

void CpuBackend::spike_reset(const Tensor& d, const LifParams& p, Tensor& h) {
  spike_reset_any(d, Tensor(), p, h);
}

void CpuBackend::spike_reset_backward(const Tensor& d, const Tensor& grad_h, const LifParams& p,
                                      Tensor& grad_d) {
  spike_reset_any(d, grad_h, p, grad_d);
}

}  // namespace staa::cpu

// ---- STAA-LIF's membrane from per-row coefficients (membrane_update) ----------------------------

namespace staa::cpu {

void CpuBackend::membrane_update(const Tensor& x, const Tensor& h, const Tensor& gain,
                                 const Tensor& leak, const Tensor& bias, Tensor& out) {
  dispatch_float(x.dtype(), "membrane_update", [&](auto tag) {
    using T = decltype(tag);
    const int64_t rows = gain.numel(), inner = rows == 0 ? 0 : x.numel() / rows;
    const T *xs = x.data<T>(), *hs = data_or_null<T>(h);
    const T *a = gain.data<T>(), *m = leak.data<T>(), *k = bias.data<T>();
    T* o = out.data<T>();
#pragma omp parallel for schedule(static) if (x.numel() > kParallelGrain)
    for (int64_t r = 0; r < rows; ++r) {
      const T* xr = xs + r * inner;
      T* orow = o + r * inner;
      if (hs) {
        const T* hr = hs + r * inner;
        for (int64_t i = 0; i < inner; ++i) orow[i] = a[r] * xr[i] + m[r] * hr[i] + k[r];
      } else {
        for (int64_t i = 0; i < inner; ++i) orow[i] = a[r] * xr[i] + k[r];
      }
    }
  });
}

void CpuBackend::membrane_update_backward(const Tensor& x, const Tensor& h, const Tensor& gain,
                                          const Tensor& leak, const Tensor& grad_out,
                                          Tensor& grad_x, Tensor& grad_h, Tensor& grad_gain,
                                          Tensor& grad_leak, Tensor& grad_bias) {
  dispatch_float(grad_out.dtype(), "membrane_update backward", [&](auto tag) {
    using T = decltype(tag);
    const int64_t rows = gain.numel(), inner = rows == 0 ? 0 : grad_out.numel() / rows;
    const T *xs = data_or_null<T>(x), *hs = data_or_null<T>(h), *gs = grad_out.data<T>();
    const T *a = gain.data<T>(), *m = leak.data<T>();
    T *gx = mutable_or_null<T>(grad_x), *gh = mutable_or_null<T>(grad_h);
    T* ga = xs ? mutable_or_null<T>(grad_gain) : nullptr;
    T* gm = hs ? mutable_or_null<T>(grad_leak) : nullptr;
    T* gk = mutable_or_null<T>(grad_bias);
#pragma omp parallel for schedule(static) if (grad_out.numel() > kParallelGrain)
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t at = r * inner;
      const T* g = gs + at;
      if (gx)
        for (int64_t i = 0; i < inner; ++i) gx[at + i] = a[r] * g[i];
      if (gh)
        for (int64_t i = 0; i < inner; ++i) gh[at + i] = m[r] * g[i];
      if (ga) ga[r] = ordered_dot(g, xs + at, inner);
      if (gm) gm[r] = ordered_dot(g, hs + at, inner);
      if (gk) gk[r] = ordered_dot<T>(g, nullptr, inner);
    }
  });
}

}  // namespace staa::cpu
