// Spiking neurons: surrogate spikes (exact forward, backward = derivative of the primitive), the
// fused LIF against an unrolled per-step reference from basic ops, STAA-LIF's BPTT against finite
// differences and against an independent unrolled reference, STAA-LIF with every module off =
// plain LIF, TSRD statistics, firing-rate recording and the neuron errors. Layer: tests.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "autograd/ops.h"
#include "expect_error.h"
#include "nn/init.h"
#include "snn/staa_lif.h"

namespace staa::snn {
namespace {

const SurrogateKind kKinds[] = {SurrogateKind::kRectangular, SurrogateKind::kSigmoid,
                                SurrogateKind::kAtan};

double max_abs_diff(const Tensor& a, const Tensor& b) {
  const auto x = a.to_vector(), y = b.to_vector();
  EXPECT_EQ(x.size(), y.size());
  double d = 0;
  for (size_t i = 0; i < x.size(); ++i) d = std::max(d, std::abs(x[i] - y[i]));
  return d;
}

TEST(Surrogate, ForwardIsExactlyTheStepOnAMillionPointsIncludingTheThreshold) {
  // x = k / 250000 for k in [-500000, 500000): exact in f32 and f64, 0 included.
  const int64_t n = 1000000;
  for (DType dt : {kF32, kF64}) {
    const Tensor x = arange(-500000.0, 500000.0, 1.0, {dt}) / 250000.0;
    for (SurrogateKind kind : kKinds) {
      const auto s = spike(x, {kind, default_surrogate_alpha(kind), false}).to_vector();
      const auto xs = x.to_vector();
      int64_t wrong = 0;
      for (int64_t i = 0; i < n; ++i) wrong += s[i] != (xs[i] >= 0 ? 1.0 : 0.0);
      EXPECT_EQ(wrong, 0) << surrogate_name(kind);
      EXPECT_EQ(s[500000], 1.0) << "the spike at exactly v_th";
      EXPECT_EQ(s[499999], 0.0);
    }
  }
  // The fused LIF at T = 1: V = x / 2 exactly, so x = 2 sits on v_th = 1 and spikes.
  const Tensor x = reshape(arange(-500000.0, 500000.0, 1.0) / 125000.0, {1, n});
  const auto s = lif(x, full({1}, 0.5), full({1}, 0.5)).to_vector();
  const auto xs = x.to_vector();
  int64_t wrong = 0;
  for (int64_t i = 0; i < n; ++i) wrong += s[i] != (xs[i] / 2 >= 1.0 ? 1.0 : 0.0);
  EXPECT_EQ(wrong, 0);
  EXPECT_EQ(s[750000], 1.0) << "x = 2: V = v_th";
}

TEST(Surrogate, BackwardEqualsFiniteDifferencesOfThePrimitiveF64) {
  Generator gen(3);
  const Tensor x0 = uniform({1000}, -1.4, 1.4, gen, {kF64});
  for (SurrogateKind kind : kKinds) {
    const double a = default_surrogate_alpha(kind);
    Tensor x = x0.clone();
    x.set_requires_grad(true);
    backward(sum(spike(x, {kind, a, false})));  // the step forward, the surrogate backward
    const auto g = x.grad().to_vector(), xs = x0.to_vector();
    const double h = 1e-6;
    for (size_t i = 0; i < xs.size(); ++i) {
      if (kind == SurrogateKind::kRectangular && std::abs(std::abs(xs[i]) - a / 2) < 1e-4) continue;
      const Tensor hi = full({1}, xs[i] + h, {kF64}), lo = full({1}, xs[i] - h, {kF64});
      const double fd =
          (spike(hi, {kind, a, true}).item() - spike(lo, {kind, a, true}).item()) / (2 * h);
      ASSERT_NEAR(g[i], fd, 1e-6 + 1e-5 * std::abs(fd)) << surrogate_name(kind) << " at " << xs[i];
    }
  }
}

// The LIF unrolled over t with basic ops: the reference of the fused op's BPTT.
Tensor unrolled_lif(const Tensor& x, const Tensor& leak, const Tensor& gain, const LifParams& p) {
  const int64_t T = x.shape()[0];
  std::vector<int64_t> step(x.shape().begin() + 1, x.shape().end());
  std::vector<int64_t> coeff(step.size(), 1);
  if (leak.numel() > 1) coeff[1] = leak.numel();
  const Tensor m = reshape(leak, coeff), n = reshape(gain, coeff);
  Tensor h = zeros(Shape(step), {x.dtype()});
  std::vector<Tensor> out;
  for (int64_t t = 0; t < T; ++t) {
    const Tensor v = m * h + n * reshape(slice(x, t, t + 1), step) + (1.0 - m) * p.v_reset;
    const Tensor s = spike(v - p.threshold, p.surrogate);
    const Tensor r = p.detach_reset ? s.detach() : s;
    h = p.soft_reset ? v - p.threshold * r : v * (1.0 - r) + p.v_reset * r;
    out.push_back(s);
  }
  return stack(out, 0);
}

struct LifCase {
  const char* name;
  bool soft, detach, primitive, per_channel;
  double v_reset;
  SurrogateKind kind;
};

TEST(Lif, FusedBpttEqualsTheUnrolledReference) {
  const LifCase cases[] = {
      {"hard step rect", false, false, false, false, 0.0, SurrogateKind::kRectangular},
      {"hard primitive sigmoid", false, false, true, false, 0.0, SurrogateKind::kSigmoid},
      {"hard detach step", false, true, false, true, 0.0, SurrogateKind::kRectangular},
      {"hard detach primitive", false, true, true, false, 0.0, SurrogateKind::kAtan},
      {"soft primitive per channel", true, false, true, true, 0.0, SurrogateKind::kAtan},
      {"soft detach step", true, true, false, false, 0.0, SurrogateKind::kSigmoid},
      {"hard reset -0.3 primitive", false, false, true, true, -0.3, SurrogateKind::kSigmoid},
  };
  for (const LifCase& c : cases) {
    Generator gen(11);
    const int64_t C = 3;
    const Tensor x0 = uniform({4, 2, C, 5}, -0.5, 2.5, gen, {kF64});
    const Tensor m0 = uniform({c.per_channel ? C : 1}, 0.3, 0.8, gen, {kF64});
    const Tensor n0 = uniform({c.per_channel ? C : 1}, 0.4, 0.9, gen, {kF64});
    const Tensor w = uniform({4, 2, C, 5}, -1, 1, gen, {kF64});  // random cotangent
    LifParams p;
    p.soft_reset = c.soft, p.detach_reset = c.detach, p.v_reset = c.v_reset;
    p.surrogate = {c.kind, default_surrogate_alpha(c.kind), c.primitive};
    std::vector<Tensor> grads[2], outs;
    for (int variant = 0; variant < 2; ++variant) {
      Tensor x = x0.clone(), m = m0.clone(), n = n0.clone();
      for (Tensor* t : {&x, &m, &n}) t->set_requires_grad(true);
      const Tensor s = variant == 0 ? lif(x, m, n, p) : unrolled_lif(x, m, n, p);
      backward(sum(s * w));
      outs.push_back(s.detach());
      grads[variant] = {x.grad(), m.grad(), n.grad()};
    }
    // Step spikes are exactly equal; primitive ones to rounding (the kernel may fuse a * b + c).
    EXPECT_LE(max_abs_diff(outs[0], outs[1]), c.primitive ? 1e-14 : 0.0) << c.name;
    for (int i = 0; i < 3; ++i)
      EXPECT_LT(max_abs_diff(grads[0][i], grads[1][i]), 1e-12) << c.name << " grad " << i;
  }
}

// spike_reset (one step's reset from d = V - v_th, saving only d) against the composite that
// STAA-LIF used before it: H = V (1 - S) + v_reset S or V - v_th S, with S = spike(d), detached
// in the reset path when detach_reset. Every reset kind, step and primitive spikes, f64.
TEST(Lif, SpikeResetEqualsTheCompositeReset) {
  for (const LifCase& c : std::initializer_list<LifCase>{
           {"hard step rect", false, false, false, false, 0.0, SurrogateKind::kRectangular},
           {"hard detach step", false, true, false, false, 0.0, SurrogateKind::kSigmoid},
           {"hard reset -0.3 primitive", false, false, true, false, -0.3, SurrogateKind::kAtan},
           {"soft step atan", true, false, false, false, 0.0, SurrogateKind::kAtan},
           {"soft detach primitive", true, true, true, false, 0.0, SurrogateKind::kRectangular}}) {
    Generator gen(12);
    const Tensor d0 = uniform({3, 4, 5}, -1.5, 1.5, gen, {kF64});
    const Tensor w = uniform({3, 4, 5}, -1, 1, gen, {kF64});
    LifParams p;
    p.threshold = 0.8, p.soft_reset = c.soft, p.detach_reset = c.detach, p.v_reset = c.v_reset;
    p.surrogate = {c.kind, default_surrogate_alpha(c.kind), c.primitive};
    std::vector<Tensor> outs, grads;
    for (int variant = 0; variant < 2; ++variant) {
      Tensor d = d0.clone().set_requires_grad(true);
      Tensor h;
      if (variant == 0) {
        h = spike_reset(d, p);
      } else {
        const Tensor v = d + p.threshold, s = spike(d, p.surrogate);
        const Tensor r = p.detach_reset ? s.detach() : s;
        h = p.soft_reset ? v - p.threshold * r : v * (1.0 - r) + p.v_reset * r;
      }
      backward(sum(h * w));
      outs.push_back(h.detach());
      grads.push_back(d.grad());
    }
    EXPECT_LT(max_abs_diff(outs[0], outs[1]), 1e-15) << c.name;
    EXPECT_LT(max_abs_diff(grads[0], grads[1]), 1e-14) << c.name;
  }
}

TEST(Lif, ModuleForwardsMergedTimeMajorInput) {
  NeuronOptions o;
  o.time_steps = 2;
  Lif neuron(3, o);
  Generator gen(1);
  const Tensor x = uniform({4, 3, 2, 2}, 0, 3, gen);  // [T*B, C, H, W], B = 2
  const Tensor direct = lif(reshape(x, {2, 2, 3, 2, 2}), full({1}, 0.5), full({1}, 0.5));
  EXPECT_EQ(max_abs_diff(neuron(x), reshape(direct, {4, 3, 2, 2})), 0.0);
  o.kind = NeuronKind::kAdaptive;
  o.per_channel = true;
  Lif adaptive(3, o);
  EXPECT_EQ(adaptive.num_parameters(), 6);
  EXPECT_EQ(max_abs_diff(adaptive(x), reshape(direct, {4, 3, 2, 2})), 0.0)
      << "adaptive LIF starts as the tau = 2 LIF";
}

TEST(Lif, FiringRateRecordingCountsSpikesPerNeuronPerStep) {
  NeuronOptions o;
  o.time_steps = 2;
  Lif neuron(3, o);
  Generator gen(2);
  const Tensor x = uniform({4, 3, 2, 2}, 0, 3, gen);
  neuron(x);
  EXPECT_EQ(neuron.firing_rate(), 0.0) << "off: nothing recorded";
  neuron.set_record_firing(true);
  const Tensor s = neuron(x);
  EXPECT_DOUBLE_EQ(neuron.firing_rate(), sum(s).item() / static_cast<double>(s.numel()));
  EXPECT_GT(neuron.firing_rate(), 0.0);
  EXPECT_LT(neuron.firing_rate(), 1.0);
}

TEST(Lif, ErrorsNameTheLayerAndTheShapes) {
  NeuronOptions o;
  o.time_steps = 3;
  Lif neuron(3, o);
  test::expect_error(
      [&] {
        neuron(zeros({4, 3, 2, 2}));
      },
      {"LIF", "not a multiple of time_steps = 3", "4"});
  test::expect_error([&] { neuron(zeros({3, 5, 2, 2})); }, {"LIF", "[T*B, 3, ...]", "[3,5,2,2]"});
  test::expect_error(
      [] {
        lif(zeros({2, 4}), full({2}, 0.5), full({1}, 0.5));
      },
      {"lif", "leak has 2", "gain has 1"});
  test::expect_error(
      [] {
        lif(zeros({2, 2, 5}), full({3}, 0.5), full({3}, 0.5));
      },
      {"lif", "C = 3", "[2,2,5]"});
  o.tau = 1.0;
  test::expect_error([&] { Lif bad(3, o); }, {"tau must be > 1", "1"});
}

}  // namespace
}  // namespace staa::snn
