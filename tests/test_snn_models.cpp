// The model zoo: parameter counts (as tools/summary prints them) equal the spec's, MACs per time
// step, the static stem computed once, a small STAA network overfits one batch, weight-decay
// groups, the losses on per-step logits and the factory's errors. Layer: tests.
#include <gtest/gtest.h>

#include <cmath>

#include "autograd/ops.h"
#include "expect_error.h"
#include "snn/summary.h"

namespace staa::snn {
namespace {

int64_t params_of(const std::string& name, int64_t classes, NeuronKind kind = NeuronKind::kLif,
                  bool sa = true) {
  ModelOptions o;
  o.num_classes = classes;
  o.neuron.kind = kind;
  o.neuron.staa.sa = sa;
  o.neuron.time_steps = kind == NeuronKind::kStaa ? 4 : 1;  // PE: [T, C]; nothing else needs T
  auto model = make_model(name, o);
  const Summary s = summarize(*model, name, name == "resnet18" || name == "resnet34" ? 64 : 0);
  EXPECT_EQ(s.params, model->num_parameters());
  return s.params;
}

TEST(Models, ParameterCountsEqualTheSpec) {
  EXPECT_EQ(params_of("resnet20", 10), 11247946);
  EXPECT_EQ(params_of("resnet20", 100), 11294116);
  EXPECT_EQ(params_of("resnet19", 10), 12569226);
  EXPECT_EQ(params_of("vgg13", 10), 9416010);
  EXPECT_EQ(params_of("resnet18", 1000), 11689512);
  EXPECT_EQ(params_of("resnet34", 1000), 21797672);
  EXPECT_EQ(params_of("resnet20", 10, NeuronKind::kStaa, false), 12691254);
  EXPECT_EQ(params_of("resnet20", 10, NeuronKind::kAdaptive), 11247946 + 19 * 2);
}

TEST(Models, SummaryCountsMacsAndSpikingLayers) {
  ModelOptions o;
  o.neuron.time_steps = 1;  // MACs are per time step
  auto r20 = make_model("resnet20", o);
  const Summary s = summarize(*r20, "resnet20");
  EXPECT_EQ(s.spiking_layers, 19);
  EXPECT_NEAR(static_cast<double>(s.macs) / 1e6, 215.7, 0.05) << "spec §3: 215.7 M at 32x32";
  auto r19 = make_model("resnet19", o);
  const Summary s19 = summarize(*r19, "resnet19");
  EXPECT_EQ(s19.spiking_layers, 17);
  EXPECT_NEAR(static_cast<double>(s19.macs) / 1e9, 2.285, 0.0005);
  auto vgg = make_model("vgg13", o);
  EXPECT_EQ(summarize(*vgg, "vgg13").spiking_layers, 10);
  const std::string table = s.str();
  EXPECT_NE(table.find("11,247,946"), std::string::npos) << table;
  EXPECT_NE(table.find("body.8.0.conv1"), std::string::npos);
}

TEST(Models, VggsnnTakesEventFramesPerStep) {
  ModelOptions o;
  o.in_channels = 2;
  o.neuron.time_steps = 2;
  auto m = make_model("vggsnn", o);
  NoGradGuard no_grad;
  const Tensor out = m->forward_steps(zeros({2, 1, 2, 48, 48}));
  EXPECT_EQ(out.shape(), (Shape{2, 1, 10}));
}

TEST(Models, StaticInputEqualsTheSameFramesRepeated) {
  ModelOptions o;
  o.neuron.time_steps = 3;
  auto m = make_model("tiny", o);
  Generator gen(2);
  const Tensor x = uniform({2, 3, 8, 8}, -1, 1, gen);
  m->eval();
  NoGradGuard no_grad;
  const Tensor once = m->forward_steps(x);
  const Tensor repeated = m->forward_steps(stack({x, x, x}, 0));
  EXPECT_EQ(once.to_vector(), repeated.to_vector());
}

TEST(Models, SmallStaaNetworkOverfitsOneBatch) {
  ModelOptions o;
  o.num_classes = 4;
  o.neuron.kind = NeuronKind::kStaa;
  o.neuron.time_steps = 2;
  o.neuron.staa.beta = 0.1;
  o.neuron.staa.sa_ratio = 4;
  o.seed = 3;
  auto m = make_model("tiny", o);
  Generator gen(9);
  const Tensor x = uniform({8, 3, 8, 8}, -1, 1, gen);
  const Tensor y = from_vector(std::vector<int64_t>{0, 1, 2, 3, 0, 1, 2, 3}, {8});
  std::vector<Tensor> velocity;
  for (const Tensor& p : m->parameters()) velocity.push_back(zeros(p.shape()));
  double first = 0, last = 0;
  for (int step = 0; step < 150; ++step) {
    m->zero_grad();
    const Tensor loss = mean_over_time_loss(m->forward_steps(x), y);
    backward(loss);
    (step == 0 ? first : last) = loss.item();
    NoGradGuard no_grad;
    auto params = m->parameters();
    for (size_t i = 0; i < params.size(); ++i) {  // SGD, momentum 0.9, lr 0.05
      if (!params[i].grad().defined()) continue;
      mul_(velocity[i], 0.9);
      add_(velocity[i], params[i].grad());
      add_(params[i], velocity[i], -0.05);
    }
  }
  EXPECT_LT(last, 0.05 * first) << "first loss " << first << ", last " << last;
  m->eval();
  NoGradGuard no_grad;
  const auto logits = m->forward(x).to_vector();
  for (int i = 0; i < 8; ++i) {
    int best = 0;
    for (int k = 1; k < 4; ++k)
      if (logits[i * 4 + k] > logits[i * 4 + best]) best = k;
    EXPECT_EQ(best, i % 4) << "image " << i;
  }
}

TEST(Models, WeightDecayOnlyOnConvAndLinearWeights) {
  ModelOptions o;
  o.neuron.kind = NeuronKind::kStaa;
  auto m = make_model("tiny", o);
  const ParamGroups g = weight_decay_groups(*m);
  int64_t decay = 0, total = 0;
  for (const Tensor& p : g.decay) {
    decay += p.numel();
    EXPECT_GE(p.ndim(), 2);
  }
  for (const Tensor& p : g.no_decay) total += p.numel();
  EXPECT_EQ(decay + total, m->num_parameters());
  // tiny: conv 3->8 (216), conv 8->16 (1152), linear 16->10 (160), and the GC / SA 1x1 convs.
  EXPECT_GT(decay, 216 + 1152 + 160);
  for (const Tensor& p : g.no_decay)  // biases, BN, LN, M, N (1-D) and the PE [T, C]
    EXPECT_TRUE(p.ndim() == 1 || p.shape() == (Shape{4, p.shape()[1]})) << p.shape();
}

TEST(Models, LossesOnPerStepLogits) {
  Generator gen(4);
  const Tensor steps = uniform({3, 2, 5}, -1, 1, gen, {kF64});
  const Tensor y = from_vector(std::vector<int64_t>{1, 4}, {2});
  EXPECT_NEAR(mean_over_time_loss(steps, y).item(), cross_entropy(mean(steps, {0}), y).item(),
              1e-12);
  double ce = 0;
  for (int t = 0; t < 3; ++t)
    ce += cross_entropy(reshape(slice(steps, t, t + 1), {2, 5}), y).item();
  const double mse = mean(square(steps - 1.0)).item();
  EXPECT_NEAR(tet_loss(steps, y, 0.25).item(), 0.75 * ce / 3 + 0.25 * mse, 1e-12);
}

TEST(Models, FactoryErrorsNameTheChoices) {
  test::expect_error([] { make_model("resnet21", {}); }, {"unknown model 'resnet21'", "resnet20"});
  ModelOptions o;
  o.num_classes = 0;
  test::expect_error([&] { make_model("tiny", o); }, {"num_classes", "0"});
  auto m = make_model("tiny", {});
  test::expect_error(
      [&] {
        m->forward(zeros({1, 2, 8, 8}));
      },
      {"Tiny", "[B, 3, H, W]", "[1,2,8,8]"});
}

}  // namespace
}  // namespace staa::snn
