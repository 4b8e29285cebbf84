// Spiking neurons: the parameters and the layout of the fused multi-step LIF op and its shape
// rule. Layer: tensor. The op sees its input current x: [T, ...] as [T, outer, C, inner] so that
// the leak m and the gain n are one scalar (outer = 1, C = 1) or one value per channel
// (x: [T, B, C, ...], outer = B). Neurons are independent; the time loop runs inside the kernel.
#pragma once

#include <cstdint>

#include "tensor/error.h"
#include "tensor/ops/surrogate.h"
#include "tensor/shape.h"

namespace staa {

// One LIF update per step t, from H[-1] = 0 (spec §1; the adaptive LIF of Eq. 6 learns m, n):
//   V[t] = m H[t-1] + n x[t] + (1 - m) v_reset      (tau-LIF: m = 1 - 1/tau, n = 1/tau)
//   S[t] = spike(V[t] - v_th)
//   H[t] = V[t] (1 - S[t]) + v_reset S[t]          (hard reset)
//        = V[t] - v_th S[t]                         (soft reset)
struct LifParams {
  double threshold = 1.0;     // v_th
  double v_reset = 0.0;       // hard reset value (and the rest potential of the leak)
  bool soft_reset = false;    // subtract v_th instead of resetting to v_reset
  bool detach_reset = false;  // treat S as a constant in the reset path (no gradient through it)
  Surrogate surrogate;
};

// H after the reset, from the membrane V and its spike S, as one select (the CPU loops then
// vectorise): H = V - S (soft ? v_th : V - v_reset). Shared by the CPU and CUDA kernels.
template <typename T>
STAA_HOST_DEVICE inline T lif_reset(T v, T s, T threshold, T v_reset, bool soft) {
  return v - s * (soft ? threshold : v - v_reset);
}

// One step's reset from d = V - v_th (the spike_reset op): H = lif_reset(V, S) with V = d + v_th,
// S = spike(d); and its derivative g dH/dd = g (dH/dV + dH/dS S'(d)), where dH/dV = soft ? 1 :
// 1 - S and dH/dS = soft ? -v_th : v_reset - V (0 when detach_reset). Shared by the CPU and CUDA
// kernels.
template <typename T>
struct ResetScalars {
  T threshold, v_reset, alpha;
  SurrogateKind kind;
  bool soft, detach, primitive;
};
template <typename T>
inline ResetScalars<T> reset_scalars(const LifParams& p) {
  return {static_cast<T>(p.threshold), static_cast<T>(p.v_reset),
          static_cast<T>(p.surrogate.alpha), p.surrogate.kind,
          p.soft_reset, p.detach_reset, p.surrogate.primitive};
}
template <typename T>
STAA_HOST_DEVICE inline T spike_reset_forward(T d, const ResetScalars<T>& q) {
  const T s = spike_forward(d, q.kind, q.alpha, q.primitive);
  return lif_reset(d + q.threshold, s, q.threshold, q.v_reset, q.soft);
}
template <typename T>
STAA_HOST_DEVICE inline T spike_reset_grad(T d, T g, const ResetScalars<T>& q) {
  const T s = spike_forward(d, q.kind, q.alpha, q.primitive);
  const T dh_dv = q.soft ? T(1) : T(1) - s;
  const T dh_ds = q.detach ? T(0) : (q.soft ? -q.threshold : q.v_reset - (d + q.threshold));
  return g * (dh_dv + dh_ds * spike_grad(d, q.kind, q.alpha));
}

struct LifLayout {
  int64_t steps = 1;     // T
  int64_t outer = 1;     // B (per-channel coefficients), else 1
  int64_t channels = 1;  // C (per-channel coefficients), else 1
  int64_t inner = 1;     // elements per (b, c) of one step
  int64_t neurons() const { return outer * channels * inner; }
};

// x: [T, ...]; coefficients: numel 1 (scalar) or x.shape[2] (per channel of [T, B, C, ...]).
inline LifLayout make_lif_layout(const char* op, const Shape& x, int64_t coefficients) {
  STAA_CHECK(x.ndim() >= 2, op, ": expected an input of shape [T, ...] with T >= 1, got ", x);
  LifLayout l;
  l.steps = x[0];
  int64_t per_step = 1;
  for (int i = 1; i < x.ndim(); ++i) per_step *= x[i];
  if (coefficients == 1) {
    l.inner = per_step;
    return l;
  }
  STAA_CHECK(x.ndim() >= 3 && x[2] == coefficients, op,
             ": per-channel leak and gain need x of shape [T, B, C, ...] with C = ", coefficients,
             ", got ", x);
  l.outer = x[1];
  l.channels = x[2];
  l.inner = x[1] * x[2] == 0 ? 0 : per_step / (x[1] * x[2]);
  return l;
}

}  // namespace staa
