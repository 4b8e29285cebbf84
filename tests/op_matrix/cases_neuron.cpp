// Op cases of the spiking neurons: the three surrogate spike ops, the fused multi-step LIF, one
// step's reset, STAA-LIF's membrane update and GC context, with plain double references written
// from the formulas of the spec (§1, §2), step by step. Layer: tests. Gradient checks run in
// "primitive" mode (the forward is the surrogate's smooth primitive), where finite differences
// of the forward must equal the surrogate backward.
#include <cmath>

#include "op_matrix/op_cases.h"

namespace staa::test {

namespace {

using Inputs = std::vector<Tensor>;
using Refs = std::vector<ref::Array>;

const double kPi = 3.14159265358979323846;

// The spike of x = V - v_th: the step, or the primitive of the surrogate.
double ref_spike(double x, SurrogateKind kind, double a, bool primitive) {
  if (!primitive) return x >= 0 ? 1.0 : 0.0;
  switch (kind) {
    case SurrogateKind::kRectangular:
      return std::min(1.0, std::max(0.0, x / a + 0.5));
    case SurrogateKind::kSigmoid:
      return 1.0 / (1.0 + std::exp(-a * x));
    default:
      return std::atan(kPi / 2 * a * x) / kPi + 0.5;
  }
}

// x: [T, B, C, rest...]; leak, gain: [1] or [C]. Returns the spikes.
ref::Array ref_lif(const ref::Array& x, const ref::Array& leak, const ref::Array& gain,
                   const LifParams& p) {
  const int64_t T = x.shape[0], per_step = x.numel() / T;
  const bool per_channel = leak.numel() > 1;
  const int64_t C = per_channel ? x.shape[2] : 1;
  const int64_t inner = per_channel ? per_step / (x.shape[1] * C) : per_step;
  ref::Array s{x.shape, std::vector<double>(x.numel())};
  for (int64_t i = 0; i < per_step; ++i) {
    const int64_t c = per_channel ? (i / inner) % C : 0;
    const double m = leak.v[c], n = gain.v[c];
    double h = 0;
    for (int64_t t = 0; t < T; ++t) {
      const double v = m * h + n * x.v[t * per_step + i] + (1 - m) * p.v_reset;
      const double spike =
          ref_spike(v - p.threshold, p.surrogate.kind, p.surrogate.alpha, p.surrogate.primitive);
      s.v[t * per_step + i] = spike;
      h = p.soft_reset ? v - p.threshold * spike : v * (1 - spike) + p.v_reset * spike;
    }
  }
  return s;
}

void add_spike(std::vector<OpCase>& t, const std::string& op, SurrogateKind kind, double alpha,
               bool primitive) {
  const Surrogate s{kind, alpha, primitive};
  t.push_back({op,
               op + (primitive ? "_primitive" : "_step"),
               {in(Shape{4, 6}, -1.5, 1.5)},
               [s](const Inputs& x) { return spike(x[0], s); },
               [s](const Refs& r) {
                 return ref::map(
                     r[0], [s](double v) { return ref_spike(v, s.kind, s.alpha, s.primitive); });
               },
               primitive});
}

void add_lif(std::vector<OpCase>& t, const std::string& label, const LifParams& p,
             int64_t coefficients, bool learnable) {
  auto coeff = [&](double low, double high) {
    return learnable ? in(Shape{coefficients}, low, high)
                     : buffer_in(Shape{coefficients}, low, high);
  };
  t.push_back({"lif",
               label,
               {in(Shape{4, 2, 3, 2}, -0.5, 3.0), coeff(0.3, 0.8), coeff(0.4, 0.9)},
               [p](const Inputs& x) { return lif(x[0], x[1], x[2], p); },
               [p](const Refs& r) { return ref_lif(r[0], r[1], r[2], p); }});
}

// H of spike_reset from d = V - v_th (primitive: the smooth S, so finite differences apply).
void add_spike_reset(std::vector<OpCase>& t, const std::string& label, const LifParams& p) {
  t.push_back({"spike_reset",
               label,
               {in(Shape{3, 2, 4}, -1.5, 1.5)},
               [p](const Inputs& x) { return spike_reset(x[0], p); },
               [p](const Refs& r) {
                 return ref::map(r[0], [p](double d) {
                   const double v = d + p.threshold;
                   const double s =
                       ref_spike(d, p.surrogate.kind, p.surrogate.alpha, p.surrogate.primitive);
                   return p.soft_reset ? v - p.threshold * s : v * (1 - s) + p.v_reset * s;
                 });
               },
               p.surrogate.primitive});
}

// out = gain x + leak h + bias per (b, c) of x: [B, C, rest...]; without h: gain x + bias.
ref::Array ref_membrane(const Refs& r, bool with_h) {
  const ref::Array &x = r[0], &gain = r[with_h ? 2 : 1], &leak = r[with_h ? 3 : 1];
  const ref::Array& bias = r[with_h ? 4 : 2];
  const int64_t rows = gain.numel(), inner = x.numel() / rows;
  ref::Array out{x.shape, std::vector<double>(x.numel())};
  for (int64_t i = 0; i < x.numel(); ++i) {
    const int64_t row = i / inner;
    out.v[i] = gain.v[row] * x.v[i] + (with_h ? leak.v[row] * r[1].v[i] : 0.0) + bias.v[row];
  }
  return out;
}

void add_membrane_update(std::vector<OpCase>& t) {
  const Shape x{2, 3, 2, 5}, rows{2, 3};
  t.push_back(
      {"membrane_update",
       "membrane_update",
       {in(x, -1, 1), in(x, -1, 1), in(rows, 0.2, 1.5), in(rows, 0.2, 1.5), in(rows, -1, 1)},
       [](const Inputs& v) { return membrane_update(v[0], v[1], v[2], v[3], v[4]); },
       [](const Refs& r) { return ref_membrane(r, true); }});
  t.push_back({"membrane_update",
               "membrane_update_fixed_gain_and_leak",  // x and h are not saved
               {in(x, -1, 1), in(x, -1, 1), buffer_in(rows, 0.2, 1.5), buffer_in(rows, 0.2, 1.5),
                in(rows, -1, 1)},
               [](const Inputs& v) { return membrane_update(v[0], v[1], v[2], v[3], v[4]); },
               [](const Refs& r) { return ref_membrane(r, true); }});
  t.push_back({"membrane_update",
               "membrane_update_first_step",  // h undefined: 0
               {in(Shape{3, 2, 7}, -1, 1), in(Shape{3, 2}, 0.2, 1.5), in(Shape{3, 2}, -1, 1)},
               [](const Inputs& v) { return membrane_update(v[0], Tensor(), v[1], v[1], v[2]); },
               [](const Refs& r) { return ref_membrane(r, false); }});
}

// [2, B, C]: the weighted pool of Y = y + shift over the positions with weights
// pool(key . Y + key_bias), then the plain means of Y. r: y [B, C, H, W], key [C], key_bias [1],
// then shift [C] when with_shift.
ref::Array ref_gc_context(Refs r, bool softmax_pool, bool with_shift) {
  ref::Array y = r[0];
  const ref::Array& key = r[1];
  const int64_t B = y.shape[0], C = y.shape[1], n = y.numel() / (B * C);
  if (with_shift)
    for (int64_t k = 0; k < y.numel(); ++k) y.v[k] += r[3].v[(k / n) % C];
  ref::Array out{Shape{2, B, C}, std::vector<double>(2 * B * C)};
  for (int64_t b = 0; b < B; ++b) {
    std::vector<double> w(n);
    double total = 0;
    for (int64_t i = 0; i < n; ++i) {
      double z = r[2].v[0];
      for (int64_t c = 0; c < C; ++c) z += key.v[c] * y.v[(b * C + c) * n + i];
      w[i] = softmax_pool ? std::exp(z) : 1 / (1 + std::exp(-z));
      total += w[i];
    }
    for (int64_t c = 0; c < C; ++c) {
      double pooled = 0, sum = 0;
      for (int64_t i = 0; i < n; ++i) {
        const double v = y.v[(b * C + c) * n + i];
        pooled += v * (softmax_pool ? w[i] / total : w[i]);
        sum += v;
      }
      out.v[b * C + c] = pooled;
      out.v[(B + b) * C + c] = sum / n;
    }
  }
  return out;
}

void add_gc_context(std::vector<OpCase>& t, bool softmax_pool, bool with_shift) {
  std::vector<InputSpec> inputs{in(Shape{2, 3, 2, 3}, -1, 1), in(Shape{3}, -1, 1),
                                in(Shape{1}, -0.5, 0.5)};
  if (with_shift) inputs.push_back(in(Shape{3}, -0.5, 0.5));
  t.push_back({"gc_context",
               std::string(softmax_pool ? "gc_context_softmax" : "gc_context_sigmoid") +
                   (with_shift ? "_shift" : ""),
               inputs,
               [=](const Inputs& v) {
                 return gc_context(v[0], with_shift ? v[3] : Tensor(), v[1], v[2], softmax_pool);
               },
               [=](const Refs& r) { return ref_gc_context(r, softmax_pool, with_shift); }});
}

LifParams lif_params(SurrogateKind kind, bool soft, double v_reset = 0.0) {
  LifParams p;
  p.soft_reset = soft;
  p.v_reset = v_reset;
  p.surrogate = {kind, default_surrogate_alpha(kind), true};
  return p;
}

}  // namespace

void neuron_cases(std::vector<OpCase>& t) {
  add_spike(t, "spike_rectangular", SurrogateKind::kRectangular, 1.0, true);
  add_spike(t, "spike_rectangular", SurrogateKind::kRectangular, 1.0, false);
  add_spike(t, "spike_sigmoid", SurrogateKind::kSigmoid, 4.0, true);
  add_spike(t, "spike_sigmoid", SurrogateKind::kSigmoid, 4.0, false);
  add_spike(t, "spike_atan", SurrogateKind::kAtan, 2.0, true);
  add_spike(t, "spike_atan", SurrogateKind::kAtan, 2.0, false);

  using K = SurrogateKind;
  add_lif(t, "lif_hard_sigmoid_fixed", lif_params(K::kSigmoid, false), 1, false);
  add_lif(t, "lif_hard_rect_learnable", lif_params(K::kRectangular, false), 1, true);
  add_lif(t, "lif_hard_reset_value", lif_params(K::kSigmoid, false, -0.2), 1, true);
  add_lif(t, "lif_soft_atan_per_channel", lif_params(K::kAtan, true), 3, true);
  // detach_reset is not the true gradient, so finite differences cannot check it: tests/
  // test_snn.cpp checks it against an unrolled reference that detaches the same way.

  add_spike_reset(t, "spike_reset_hard_rect", lif_params(K::kRectangular, false));
  add_spike_reset(t, "spike_reset_hard_sigmoid_reset_value", lif_params(K::kSigmoid, false, -0.2));
  LifParams soft = lif_params(K::kAtan, true);
  soft.threshold = 0.7;
  add_spike_reset(t, "spike_reset_soft_atan_threshold", soft);
  LifParams step = lif_params(K::kRectangular, false);
  step.surrogate.primitive = false;  // forward only: the step has no finite-difference gradient
  add_spike_reset(t, "spike_reset_hard_step", step);
  // detach_reset and the surrogate gradient of the step: tests/test_snn.cpp, against the
  // composite V (1 - S).

  add_membrane_update(t);
  add_gc_context(t, false, false);
  add_gc_context(t, true, false);
  add_gc_context(t, false, true);
  add_gc_context(t, true, true);
}

}  // namespace staa::test
