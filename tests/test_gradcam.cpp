// Grad-CAM on spiking maps (snn/gradcam.h): d(score)/dA against central finite differences of the
// forward with one element of the layer's output shifted through nn::ForwardHook (f64, primitive
// surrogate so the forward is smooth), then the same aggregation; the default target class; the
// model state a probe leaves; record_spikes; the error messages. Layer: tests.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "autograd/ops.h"
#include "expect_error.h"
#include "nn/nn.h"
#include "snn/gradcam.h"

namespace staa::snn {
namespace {

// A tiny network (spiking layers body.0 [8 channels, H x W] and body.4 [16, H/2 x W/2]) in f64
// whose spikes are the smooth sigmoid primitive, so that finite differences of the forward exist.
std::shared_ptr<SpikingNetwork> smooth_tiny(NeuronKind kind, int64_t T) {
  ModelOptions o;
  o.num_classes = 3;
  o.in_channels = 2;
  o.seed = 11;
  o.neuron.kind = kind;
  o.neuron.time_steps = T;
  o.neuron.surrogate = {SurrogateKind::kSigmoid, 4.0, true};
  auto model = make_model("tiny", o);
  model->to(kF64);
  return model;
}

const nn::Module* module_named(nn::Module& model, const std::string& name) {
  for (const auto& [n, m] : model.named_modules())
    if (n == name) return m;
  return nullptr;
}

// sum_b logits[b, targets[b]] with `shift` added to element `index` of the layer's output.
double shifted_score(SpikingNetwork& model, const nn::Module* layer, const Tensor& x,
                     const std::vector<int64_t>& targets, int64_t index, double shift) {
  NoGradGuard no_grad;
  model.reset_state();
  nn::ForwardHookGuard hook([&](const nn::Module& m, const Tensor&, const Tensor& y) {
    if (&m != layer) return y;
    Tensor bump = zeros(y.shape(), {kF64});
    bump.data<double>()[index] = shift;
    return add(y, bump);
  });
  const std::vector<double> logits = model(x).to_vector();
  const int64_t K = static_cast<int64_t>(logits.size() / targets.size());
  double score = 0;
  for (size_t b = 0; b < targets.size(); ++b) score += logits[b * K + targets[b]];
  return score;
}

void expect_close(const Tensor& got, const Tensor& want, double atol, double rtol,
                  const std::string& what) {
  ASSERT_EQ(got.shape(), want.shape()) << what;
  const std::vector<double> g = got.to_vector(), w = want.to_vector();
  for (size_t i = 0; i < g.size(); ++i)
    ASSERT_LE(std::abs(g[i] - w[i]), atol + rtol * std::abs(w[i]))
        << what << "[" << i << "]: " << g[i] << " vs " << w[i];
}

struct FdCase {
  const char* name;
  NeuronKind kind;
  bool frames;  // [T, B, C, H, W] input instead of a static image
  const char* layer;
};

// The heat map's gradients are d score / dA: central differences with h = 1e-6 in f64 agree to
// rounding (~1e-10 relative), far inside the tolerance, while any wrong index, time step or sample
// in the hook's plumbing gives O(1) differences (a 1e-4 relative error fails).
TEST(GradCam, MatchesFiniteDifferencesOfTheScore) {
  const FdCase cases[] = {{"lif static body.0", NeuronKind::kLif, false, "body.0"},
                          {"staa frames body.0", NeuronKind::kStaa, true, "body.0"},
                          {"staa static last", NeuronKind::kStaa, false, "last"}};
  const int64_t T = 3, B = 2;
  for (const FdCase& c : cases) {
    auto model = smooth_tiny(c.kind, T);
    Generator gen(5);
    const Tensor x = c.frames ? uniform({T, B, 2, 4, 4}, -1, 2, gen, {kF64})
                              : uniform({B, 2, 4, 4}, -1, 2, gen, {kF64});
    const std::vector<int64_t> targets{2, 0};
    const GradCam cam = gradcam(*model, c.layer, x, targets);
    EXPECT_EQ(cam.targets, targets) << c.name;
    const nn::Module* layer = module_named(*model, cam.layer);
    ASSERT_NE(layer, nullptr) << cam.layer;

    model->eval();
    const double h = 1e-6;
    Tensor g_fd = zeros(cam.activations.shape(), {kF64});
    double* g = g_fd.data<double>();
    for (int64_t i = 0; i < g_fd.numel(); ++i)
      g[i] = (shifted_score(*model, layer, x, targets, i, h) -
              shifted_score(*model, layer, x, targets, i, -h)) /
             (2 * h);
    expect_close(cam.gradients, g_fd, 1e-8, 1e-6, std::string(c.name) + " G");
    const CamParts fd = cam_from_gradients(cam.activations, g_fd);
    expect_close(cam.weights, fd.weights, 1e-8, 1e-6, std::string(c.name) + " alpha");
    expect_close(cam.raw, fd.raw, 1e-8, 1e-6, std::string(c.name) + " raw");
    // Not a vacuous agreement: the map has signal.
    EXPECT_GT(max(cam.raw).values.item(), 1e-6) << c.name;
  }
}

// The aggregation by hand on a 2-step, 1-sample, 2-channel, 1 x 2 example.
TEST(GradCam, AggregationFollowsTheFormula) {
  // A[t, 0, c, 0, x]; G chosen so alpha = {{1, -1}, {0.5, 2}} (mean over the two pixels).
  const Tensor A = from_vector(std::vector<double>{1, 0, 0, 1, 1, 1, 0, 0}, {2, 1, 2, 1, 2});
  const Tensor G = from_vector(std::vector<double>{2, 0, -1, -1, 0, 1, 4, 0}, {2, 1, 2, 1, 2});
  const CamParts parts = cam_from_gradients(A, G);
  EXPECT_EQ(parts.weights.to_vector(), (std::vector<double>{1, -1, 0.5, 2}));
  // x = 0: 1*1 + (-1)*0 + 0.5*1 + 2*0 = 1.5; x = 1: 1*0 + (-1)*1 + 0.5*1 + 0 = -0.5 -> ReLU 0.
  EXPECT_EQ(parts.raw.to_vector(), (std::vector<double>{1.5, 0}));
  EXPECT_EQ(normalize_maps(parts.raw).to_vector(), (std::vector<double>{1, 0}));
  EXPECT_EQ(normalize_maps(zeros({1, 1, 2})).to_vector(), (std::vector<double>{0, 0}));
}

// Without targets the predicted class is explained; explaining another class gives another map.
TEST(GradCam, DefaultTargetIsThePredictedClass) {
  auto model = smooth_tiny(NeuronKind::kLif, 2);
  Generator gen(9);
  const Tensor x = uniform({3, 2, 6, 6}, -1, 2, gen, {kF64});
  const GradCam cam = gradcam(*model, "body.0", x);
  const std::vector<double> logits = cam.logits.to_vector();
  ASSERT_EQ(cam.targets.size(), 3u);
  for (int64_t b = 0; b < 3; ++b)
    for (int64_t k = 0; k < 3; ++k) EXPECT_LE(logits[b * 3 + k], logits[b * 3 + cam.targets[b]]);
  const GradCam same = gradcam(*model, "body.0", x, cam.targets);
  EXPECT_EQ(same.raw.to_vector(), cam.raw.to_vector());
  std::vector<int64_t> other = cam.targets;
  for (int64_t& t : other) t = (t + 1) % 3;
  EXPECT_NE(gradcam(*model, "body.0", x, other).gradients.to_vector(), cam.gradients.to_vector());
  const std::vector<double> maps = cam.maps.to_vector();
  for (double v : maps) EXPECT_TRUE(v >= 0 && v <= 1) << v;
}

// A probe restores the training flag and requires_grad, leaves no parameter gradient and no tape,
// and records exactly the spikes Grad-CAM explains.
TEST(GradCam, LeavesTheModelAsItFoundIt) {
  auto model = smooth_tiny(NeuronKind::kStaa, 2);
  model->train();
  Generator gen(2);
  const Tensor x = uniform({2, 2, 6, 6}, -1, 2, gen, {kF64});
  const GradCam cam = gradcam(*model, "body.4", x);
  EXPECT_TRUE(model->is_training());
  for (const auto& [name, p] : model->named_parameters()) {
    EXPECT_TRUE(p.requires_grad()) << name;
    EXPECT_FALSE(p.grad().defined()) << name;
  }
  EXPECT_EQ(Tape::current().size(), 0u);
  const Tensor spikes = record_spikes(*model, "body.4", x);
  EXPECT_TRUE(model->is_training());
  EXPECT_EQ(spikes.shape(), Shape({2, 2, 16, 3, 3}));
  EXPECT_EQ(spikes.to_vector(), cam.activations.to_vector());
}

TEST(GradCam, ErrorsNameTheLayerAndWhatCame) {
  auto model = smooth_tiny(NeuronKind::kLif, 2);
  Generator gen(4);
  const Tensor x = uniform({2, 2, 6, 6}, -1, 2, gen, {kF64});
  EXPECT_EQ(resolve_spiking_layer(*model, "last"), "body.4");
  test::expect_error([&] { gradcam(*model, "body.2", x); },
                     {"'body.2' is not a spiking layer", "body.0 body.4", "last"});
  test::expect_error([&] { gradcam(*model, "body.0", x, {1}); },
                     {"1 target classes for a batch of 2"});
  test::expect_error(
      [&] {
        gradcam(*model, "body.0", x, {0, 3});
      },
      {"target class 3 is outside [0, 3)"});
  test::expect_error([&] { record_spikes(*model, "head", x); }, {"'head' is not a spiking layer"});

  // Someone's forward is waiting for its backward: the probe refuses rather than clearing it.
  Tensor w = ones({2}, {kF64}).set_requires_grad(true);
  const Tensor pending = mul(w, 2.0);
  test::expect_error([&] { gradcam(*model, "body.0", x); }, {"the tape holds 1 nodes"});
  EXPECT_EQ(Tape::current().size(), 1u);
  backward(sum(pending));
  EXPECT_EQ(w.grad().to_vector(), (std::vector<double>{2, 2}));

  // A neuron after the head's Flatten emits [T*B, K]: no spatial map to explain.
  ModelOptions o;
  o.num_classes = 3;
  o.in_channels = 2;
  o.neuron.time_steps = 2;
  Generator init(1);
  auto stem = std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::Conv2d>(2, 4, 1, init)});
  auto body = std::make_shared<nn::Sequential>(
      std::initializer_list<std::shared_ptr<nn::Module>>{make_neuron(4, o.neuron)});
  auto head = std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::AdaptiveAvgPool2d>(std::array<int64_t, 2>{1, 1}),
      std::make_shared<nn::Flatten>(), std::make_shared<nn::Linear>(4, 3, init),
      make_neuron(3, o.neuron)});
  SpikingNetwork flat("Flat", o, stem, body, head);
  test::expect_error([&] { gradcam(flat, "head.3", x.to(kF32)); },
                     {"layer 'head.3' should emit spatial maps [T*B, C, h, w]", "[4,3]"});
  EXPECT_EQ(Tape::current().size(), 0u);
}

}  // namespace
}  // namespace staa::snn
