// STAA-LIF: BPTT (T = 4, primitive mode, f64) against finite differences and against an
// independent per-step reference written with other basic ops (1x1 conv2d, sums, a hand-written
// layer norm); every module off = plain LIF; TSRD statistics and rules. Layer: tests.
#include <gtest/gtest.h>

#include <cmath>

#include "autograd/ops.h"
#include "expect_error.h"
#include "nn/init.h"
#include "snn/staa_lif.h"

namespace staa::snn {
namespace {

NeuronOptions staa_options(int64_t T) {
  NeuronOptions o;
  o.kind = NeuronKind::kStaa;
  o.time_steps = T;
  o.staa.sa_ratio = 2;  // C = 4: a 2-wide SA bottleneck
  o.staa.gc_ratio = 2;
  o.staa.tsrd = false;
  o.surrogate = {SurrogateKind::kSigmoid, 4.0, true};
  o.seed = 5;
  return o;
}

// Random parameters everywhere (conv_v and pos start at 0 otherwise), in f64.
void randomise(nn::Module& m, uint64_t seed) {
  Generator gen(seed);
  m.to(kF64);
  for (Tensor p : m.parameters()) nn::init::normal_(p, 0.2, 0.3, gen);
}

double max_abs_diff(const Tensor& a, const Tensor& b) {
  const auto x = a.to_vector(), y = b.to_vector();
  double d = 0;
  for (size_t i = 0; i < x.size(); ++i) d = std::max(d, std::abs(x[i] - y[i]));
  return d;
}

const nn::Conv2d& conv(nn::Module& block, const char* name) {
  return dynamic_cast<const nn::Conv2d&>(*block.child(name));
}

// GC with conv2d for every 1x1 conv and a hand-written layer norm.
Tensor gc_ref(nn::Module& gc, const Tensor& y, GcPool pool) {
  const int64_t B = y.shape()[0], C = y.shape()[1], H = y.shape()[2], W = y.shape()[3];
  const nn::Conv2d &k = conv(gc, "conv_k"), &q = conv(gc, "conv_q"), &v = conv(gc, "conv_v");
  const Tensor logits = conv2d(y, k.weight(), k.bias());  // [B, 1, H, W]
  const Tensor weights = pool == GcPool::kSigmoid
                             ? sigmoid(logits)
                             : reshape(softmax(reshape(logits, {B, H * W}), 1), {B, 1, H, W});
  const Tensor context = sum(y * weights, {2, 3}, true);                      // [B, C, 1, 1]
  const Tensor wq = reshape(conv2d(context, q.weight(), q.bias()), {B, -1});  // [B, h]
  const Tensor mu = mean(wq, {1}, true);
  const Tensor var = mean(square(wq - mu), {1}, true);
  const auto& ln = dynamic_cast<const nn::LayerNorm&>(*gc.child("ln"));
  const Tensor normed = (wq - mu) / sqrt(var + 1e-5) * ln.weight() + ln.bias();
  const Tensor h = reshape(relu(normed), {B, -1, 1, 1});
  return y + reshape(conv2d(h, v.weight(), v.bias()), {B, C, 1, 1});
}

Tensor sa_ref(nn::Module& sa, const Tensor& u, double alpha) {
  const nn::Conv2d &c1 = conv(sa, "conv1"), &c2 = conv(sa, "conv2");
  const Tensor pooled = mean(u, {2, 3}, true) * alpha;
  return u * sigmoid(conv2d(relu(conv2d(pooled, c1.weight(), c1.bias())), c2.weight(), c2.bias()));
}

// STAA-LIF of spec §2, step by step, every map built, with the modules the options turn on;
// drop_after_zero: TSRD drops every step t > 0 (beta = 1, every sample). x: [T, B, C, H, W]
Tensor staa_ref(StaaLif& n, const Tensor& x, bool drop_after_zero = false) {
  const NeuronOptions& o = n.options();
  const StaaOptions& so = o.staa;
  const int64_t T = x.shape()[0], C = x.shape()[2];
  std::vector<int64_t> step(x.shape().begin() + 1, x.shape().end());
  const auto params = n.named_parameters();
  auto param = [&](const std::string& name) {
    for (const auto& [k, v] : params)
      if (k == name) return v;
    return Tensor();
  };
  auto channel = [](const Tensor& p) { return reshape(p, {1, p.numel(), 1, 1}); };
  const Tensor pos = param("pos"), M = channel(param("M")), N = channel(param("N"));
  Tensor h = zeros(Shape(step), {kF64});
  std::vector<Tensor> out;
  for (int64_t t = 0; t < T; ++t) {
    const Tensor input = reshape(slice(x, t, t + 1), step);
    const Tensor xt = so.pe ? input + reshape(slice(pos, t, t + 1), {1, C, 1, 1}) : input;
    Tensor v;
    if (drop_after_zero && t > 0) {
      v = M * h + N * (so.tsrd_skips_pe ? input : xt);
    } else {
      Tensor u = M * h + N * xt;
      if (so.gc) {
        const Tensor g1 = gc_ref(*n.child("gc1"), xt, so.gc_pool);
        const Tensor g2 = gc_ref(*n.child("gc2"), h, so.gc_pool);
        u = so.mn_in_gc ? N * g1 + M * g2 : g1 + g2;
      }
      v = so.sa ? sa_ref(*n.child("sa"), u, so.alpha) : u;
    }
    const Tensor s = spike(v - o.threshold, o.surrogate);
    h = v * (1.0 - s);
    out.push_back(s);
  }
  return stack(out, 0);
}

// The loss sum(out * w) and the gradients of x and every parameter, from STAA-LIF or from the
// reference (M or N without a gradient count as zeros).
struct LossAndGrads {
  double loss;
  std::vector<std::vector<double>> grads;
};
LossAndGrads loss_and_grads(StaaLif& n, Tensor& x, const Tensor& w, bool reference,
                            bool drop_after_zero = false) {
  n.zero_grad();
  x.set_grad(Tensor());
  const Tensor loss = sum((reference ? staa_ref(n, x, drop_after_zero) : n.forward_time(x)) * w);
  backward(loss);
  LossAndGrads r{loss.item(), {x.grad().to_vector()}};
  for (const Tensor& p : n.parameters())
    r.grads.push_back(p.grad().defined() ? p.grad().to_vector()
                                         : std::vector<double>(p.numel(), 0.0));
  return r;
}

// A 4-channel STAA-LIF of options `o` with random parameters (seed) on a random [3, 2, 4, 3, 3]
// input in f64: loss and every gradient equal the reference's.
void expect_reference_equal(const NeuronOptions& o, uint64_t seed, bool drop_after_zero,
                            const std::string& what) {
  StaaLif n(4, o);
  randomise(n, seed);
  Generator gen(seed + 1);
  Tensor x = uniform({3, 2, 4, 3, 3}, -0.5, 2.5, gen, {kF64});
  const Tensor w = uniform({3, 2, 4, 3, 3}, -1, 1, gen, {kF64});
  x.set_requires_grad(true);
  const LossAndGrads got = loss_and_grads(n, x, w, false);
  const LossAndGrads want = loss_and_grads(n, x, w, true, drop_after_zero);
  EXPECT_NEAR(got.loss, want.loss, 1e-12) << what;
  for (size_t i = 0; i < got.grads.size(); ++i)
    for (size_t j = 0; j < got.grads[i].size(); ++j)
      ASSERT_NEAR(got.grads[i][j], want.grads[i][j], 1e-10)
          << what << ": leaf " << i << " (0: x) element " << j;
}

TEST(StaaLif, BpttEqualsTheUnrolledReferenceAndFiniteDifferences) {
  const int64_t T = 4;
  StaaLif neuron(4, staa_options(T));
  randomise(neuron, 7);
  Generator gen(8);
  Tensor x = uniform({T, 2, 4, 3, 3}, -0.5, 2.5, gen, {kF64});
  const Tensor w = uniform({T, 2, 4, 3, 3}, -1, 1, gen, {kF64});
  x.set_requires_grad(true);
  auto loss = [&](bool reference) {
    return sum((reference ? staa_ref(neuron, x) : neuron.forward_time(x)) * w);
  };
  std::vector<Tensor> leaves{x};
  for (const Tensor& p : neuron.parameters()) leaves.push_back(p);
  std::vector<std::vector<double>> grads[2];
  for (int reference = 0; reference < 2; ++reference) {
    neuron.zero_grad();
    x.set_grad(Tensor());
    backward(loss(reference == 1));
    for (const Tensor& l : leaves)  // M and N only act in dropped steps: no gradient here
      grads[reference].push_back(l.grad().defined() ? l.grad().to_vector()
                                                    : std::vector<double>(l.numel(), 0.0));
  }
  EXPECT_NEAR(loss(false).item(), loss(true).item(), 1e-12);
  for (size_t i = 0; i < leaves.size(); ++i)
    for (size_t j = 0; j < grads[0][i].size(); ++j)
      ASSERT_NEAR(grads[0][i][j], grads[1][i][j], 1e-10) << "leaf " << i << " element " << j;
  // Finite differences on every 3rd element of every leaf (the design's tolerance).
  NoGradGuard no_grad;
  const double h = 1e-6;
  for (size_t i = 0; i < leaves.size(); ++i) {
    double* data = leaves[i].data<double>();
    for (int64_t j = 0; j < leaves[i].numel(); j += 3) {
      const double keep = data[j];
      data[j] = keep + h;
      const double up = loss(false).item();
      data[j] = keep - h;
      const double down = loss(false).item();
      data[j] = keep;
      const double fd = (up - down) / (2 * h);
      ASSERT_LE(std::abs(grads[0][i][j] - fd), 1e-5 + 1e-3 * std::abs(fd))
          << "leaf " << i << " element " << j << ": autograd " << grads[0][i][j] << ", fd " << fd;
    }
  }
}

// Every other module combination, GC pooling and M / N placement, against the reference.
TEST(StaaLif, ModuleVariantsEqualTheUnrolledReference) {
  struct Variant {
    const char* name;
    bool gc, pe, sa, mn_in_gc, per_channel;
    GcPool pool;
  };
  const Variant variants[] = {
      {"mn_in_gc, softmax, per-channel", true, true, true, true, true, GcPool::kSoftmax},
      {"SA without GC", false, true, true, false, true, GcPool::kSigmoid},
      {"GC without SA or PE", true, false, false, false, false, GcPool::kSigmoid},
      {"GC and SA without PE, mn_in_gc", true, false, true, true, false, GcPool::kSigmoid},
  };
  for (const Variant& v : variants) {
    NeuronOptions o = staa_options(3);
    o.staa.gc = v.gc;
    o.staa.pe = v.pe;
    o.staa.sa = v.sa;
    o.staa.mn_in_gc = v.mn_in_gc;
    o.staa.gc_pool = v.pool;
    o.per_channel = v.per_channel;
    expect_reference_equal(o, 11, false, v.name);
  }
}

// TSRD with beta = 1 drops every step after t = 0 for the whole batch or for every sample; the
// drop may skip PE. Outputs and gradients equal the reference's plain steps.
TEST(StaaLif, DroppedStepsEqualTheReferenceInBothGranularities) {
  for (TsrdGranularity g : {TsrdGranularity::kBatch, TsrdGranularity::kSample}) {
    for (bool skips_pe : {false, true}) {
      NeuronOptions o = staa_options(3);
      o.staa.tsrd = true;
      o.staa.beta = 1.0;
      o.staa.tsrd_granularity = g;
      o.staa.tsrd_skips_pe = skips_pe;
      o.per_channel = true;
      expect_reference_equal(o, 13, true,
                             std::string(g == TsrdGranularity::kBatch ? "batch" : "sample") +
                                 (skips_pe ? ", skips PE" : ""));
    }
  }
}

TEST(StaaLif, EveryModuleOffGivesPlainLifExactly) {
  NeuronOptions o;
  o.kind = NeuronKind::kStaa;
  o.time_steps = 4;
  o.staa = {.gc = false, .pe = false, .sa = false, .tsrd = false};
  StaaLif staa(6, o);
  EXPECT_EQ(staa.num_parameters(), 2) << "only M and N";
  o.kind = NeuronKind::kLif;
  Lif plain(6, o);
  Generator gen(4);
  const Tensor x = uniform({4 * 3, 6, 5, 5}, -1, 3, gen);
  const Tensor a = staa(x), b = plain(x);
  EXPECT_EQ(a.to_vector(), b.to_vector());
  EXPECT_GT(sum(a).item(), 0.0);
}

TEST(StaaLif, ParametersOfEachModule) {
  NeuronOptions o;
  o.kind = NeuronKind::kStaa;
  o.time_steps = 4;
  o.staa.sa = false;
  StaaLif n(64, o);  // GC: (64 + 1) + (64 * 16 + 16) + 2 * 16 + (16 * 64 + 64) = 2225
  EXPECT_EQ(n.num_parameters(), 2 * 2225 + 4 * 64 + 2);
  o.staa.sa = true;
  o.per_channel = true;
  StaaLif with_sa(64, o);  // SA: (64 * 4 + 4) + (4 * 64 + 64) = 580
  EXPECT_EQ(with_sa.num_parameters(), 2 * 2225 + 4 * 64 + 2 * 64 + 580);
}

// Drops per forward of a [T, B] input with beta, counted by the sampler.
TEST(StaaLif, TsrdDropsBetaOfTheStepsNeverAtStepZeroNeverInEval) {
  for (TsrdGranularity g : {TsrdGranularity::kBatch, TsrdGranularity::kSample}) {
    NeuronOptions o;
    o.kind = NeuronKind::kStaa;
    o.time_steps = 5;
    o.staa = {.gc = false, .pe = false, .sa = false, .tsrd = true, .beta = 0.3};
    o.staa.tsrd_granularity = g;
    o.seed = 21;
    StaaLif n(2, o);
    const int64_t B = g == TsrdGranularity::kBatch ? 1 : 4;
    const Tensor x = zeros({5 * B, 2, 1, 1});
    while (n.tsrd().draws() < 10000) n(x);
    const double p = static_cast<double>(n.tsrd().drops()) / n.tsrd().draws();
    const double sigma = std::sqrt(0.3 * 0.7 / n.tsrd().draws());
    EXPECT_LT(std::abs(p - 0.3), 3 * sigma) << "dropped fraction " << p;
    EXPECT_EQ(n.tsrd().draws() % (4 * B), 0) << "T - 1 = 4 draws per sample: never at t = 0";
    n.eval();
    const int64_t before = n.tsrd().draws();
    n(x);
    EXPECT_EQ(n.tsrd().draws(), before) << "no TSRD in eval";
  }
}

TEST(StaaLif, DroppedStepsBypassGcAndSa) {
  // beta = 1: every step after t = 0 is the plain aggregation M H + N X; t = 0 runs GC and SA.
  NeuronOptions o = staa_options(3);
  o.staa.tsrd = true;
  o.staa.beta = 1.0;
  StaaLif n(4, o);
  randomise(n, 3);
  Generator gen(6);
  const Tensor x = uniform({3, 2, 4, 3, 3}, -1, 3, gen, {kF64});
  NoGradGuard no_grad;
  const Tensor got = n.forward_time(x);
  EXPECT_LT(max_abs_diff(got, staa_ref(n, x, true)), 1e-12);
  EXPECT_GT(max_abs_diff(got, staa_ref(n, x, false)), 1e-3) << "the drops changed the output";
  n.eval();
  EXPECT_LT(max_abs_diff(n.forward_time(x), staa_ref(n, x, false)), 1e-12) << "eval: no drops";
}

TEST(StaaLif, TsrdStreamPositionTravelsWithTheStateDict) {
  NeuronOptions o = staa_options(4);
  o.surrogate.primitive = false;
  o.staa.tsrd = true;
  o.staa.beta = 0.5;
  StaaLif a(4, o), b(4, o);
  Generator gen(12);
  const Tensor x = uniform({4 * 2, 4, 3, 3}, -1, 3, gen);
  for (int i = 0; i < 3; ++i) a(x);  // a's stream moves on
  b.load_state_dict(a.state_dict());
  EXPECT_EQ(a(x).to_vector(), b(x).to_vector()) << "the same drops after loading";
  EXPECT_EQ(a.tsrd().offset(), b.tsrd().offset());
  EXPECT_GT(a.tsrd().offset(), 0u);
}

TEST(StaaLif, LoadingAnOlderStateRewindsTheTsrdStream) {
  // The position lives on the host and is mirrored into the buffer; loading a state_dict (into
  // the same layer, mid-run) must still be seen by the next forward.
  NeuronOptions o = staa_options(4);
  o.staa.tsrd = true;
  o.staa.beta = 0.5;
  StaaLif a(4, o);
  Generator gen(13);
  const Tensor x = uniform({4 * 2, 4, 3, 3}, -1, 3, gen);
  a(x);
  nn::StateDict saved;
  for (const auto& [name, t] : a.state_dict()) saved.insert(name, t.clone());
  const uint64_t at = a.tsrd().offset();
  const std::vector<double> next = a(x).to_vector();
  EXPECT_GT(a.tsrd().offset(), at);
  EXPECT_EQ(saved.at("tsrd_offset").to_vector(), std::vector<double>{static_cast<double>(at)});
  a.load_state_dict(saved);
  EXPECT_EQ(a(x).to_vector(), next) << "the same draws again after rewinding";
}

}  // namespace
}  // namespace staa::snn
