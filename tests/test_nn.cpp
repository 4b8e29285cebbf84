// Tests of the nn layer: Module mechanics (registration, dotted names, modes, zero_grad, device and
// dtype moves, state dicts and their errors, printing, reset_state), init statistics, and the
// layers (Linear, Conv2d, BatchNorm2d, LayerNorm, pools, Dropout, Flatten, Sequential), ending
// with an MLP trained by plain SGD.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "autograd/ops.h"
#include "nn/nn.h"
#include "tensor/backend.h"

namespace staa {
namespace {

using nn::Module;
using nn::Sequential;
using Modules = std::vector<std::shared_ptr<Module>>;

// Expects `fn` to throw staa::Error whose message contains every string of `parts`.
template <typename Fn>
void expect_error_with(Fn fn, const std::vector<std::string>& parts) {
  try {
    fn();
    ADD_FAILURE() << "expected staa::Error";
  } catch (const Error& e) {
    const std::string message = e.what();
    for (const std::string& part : parts) {
      EXPECT_NE(message.find(part), std::string::npos) << "'" << part << "' not in: " << message;
    }
  }
}

std::vector<std::string> names_of(const std::vector<nn::NamedTensor>& named) {
  std::vector<std::string> out;
  for (const auto& [name, t] : named) out.push_back(name);
  return out;
}

std::vector<std::string> keys_of(const nn::StateDict& dict) {
  std::vector<std::string> out;
  for (const auto& [name, t] : dict) out.push_back(name);
  return out;
}

double max_abs_diff(const Tensor& a, const Tensor& b) {
  const std::vector<double> x = a.to_vector(), y = b.to_vector();
  EXPECT_EQ(x.size(), y.size());
  double m = 0;
  for (size_t i = 0; i < x.size() && i < y.size(); ++i) m = std::max(m, std::abs(x[i] - y[i]));
  return m;
}

double stddev_of(const Tensor& t) {
  const std::vector<double> v = t.to_vector();
  double mean = 0, sq = 0;
  for (double x : v) mean += x;
  mean /= static_cast<double>(v.size());
  for (double x : v) sq += (x - mean) * (x - mean);
  return std::sqrt(sq / static_cast<double>(v.size()));
}

// A block with a named child and its own parameter and buffer, for dotted names.
class Block : public Module {
 public:
  explicit Block(Generator& gen) {
    fc1 = register_module("fc1", std::make_shared<nn::Linear>(4, 3, gen));
    scale = register_parameter("scale", ones({3}));
    register_buffer("steps", zeros({1}));
  }
  Tensor forward(const Tensor& x) override { return fc1->forward(x) * scale; }
  std::string type_name() const override { return "Block"; }
  std::shared_ptr<nn::Linear> fc1;
  Tensor scale;
};

// Counts reset_state calls (a stand-in for a stateful spiking neuron).
class CountingModule : public Module {
 public:
  void reset_state() override { ++resets; }
  Tensor forward(const Tensor& x) override { return x; }
  int resets = 0;
};

std::shared_ptr<Sequential> make_mlp(Generator& gen) {
  return std::make_shared<Sequential>(Modules{std::make_shared<nn::Linear>(2, 16, gen),
                                              std::make_shared<nn::ReLU>(),
                                              std::make_shared<nn::Linear>(16, 2, gen)});
}

// ---- Module mechanics ---------------------------------------------------------------------------

TEST(Module, DottedNamesInRegistrationOrder) {
  Generator gen(1);
  Sequential layer1;
  layer1.add<Block>(gen);
  layer1.add<nn::ReLU>();
  layer1.add<Block>(gen);
  Sequential net;
  net.push_back(std::make_shared<nn::Linear>(4, 4, gen));
  auto inner = std::make_shared<Sequential>();
  inner->add<Block>(gen);
  net.push_back(inner);
  EXPECT_EQ(names_of(layer1.named_parameters()),
            (std::vector<std::string>{"0.scale", "0.fc1.weight", "0.fc1.bias", "2.scale",
                                      "2.fc1.weight", "2.fc1.bias"}));
  EXPECT_EQ(names_of(layer1.named_buffers()), (std::vector<std::string>{"0.steps", "2.steps"}));
  EXPECT_EQ(names_of(net.named_parameters()),
            (std::vector<std::string>{"0.weight", "0.bias", "1.0.scale", "1.0.fc1.weight",
                                      "1.0.fc1.bias"}));
  // Each parameter carries its dotted name (as of the last registration) for error messages.
  const auto params = net.named_parameters();
  EXPECT_EQ(params[3].second.name(), "1.0.fc1.weight");
  for (const Tensor& p : net.parameters()) EXPECT_TRUE(p.requires_grad());
  EXPECT_FALSE(layer1.named_buffers()[0].second.requires_grad());
  EXPECT_EQ(net.child("1").get(), inner.get());
  EXPECT_THROW(net.child("7"), Error);
  // A plain Module as a container, the way a ResNet names its stages.
  Module root;
  auto stage = root.register_module("layer1", std::make_shared<Sequential>());
  stage->add<Block>(gen);
  root.register_module("head", std::make_shared<nn::Linear>(3, 2, gen));
  EXPECT_EQ(names_of(root.named_parameters()),
            (std::vector<std::string>{"layer1.0.scale", "layer1.0.fc1.weight", "layer1.0.fc1.bias",
                                      "head.weight", "head.bias"}));
  EXPECT_EQ(keys_of(root.state_dict()),
            (std::vector<std::string>{"layer1.0.scale", "layer1.0.steps", "layer1.0.fc1.weight",
                                      "layer1.0.fc1.bias", "head.weight", "head.bias"}));
}

TEST(Module, RegistrationErrorsNameTheModuleAndKey) {
  Generator gen(1);
  Block block(gen);
  expect_error_with([&] { block.register_parameter("scale", ones({3})); },
                    {"Block", "scale", "already registered"});
  expect_error_with([&] { block.register_buffer("a.b", ones({3})); }, {"Block", "a.b", "'.'"});
  expect_error_with([&] { block.register_parameter("w", Tensor()); }, {"Block", "w", "undefined"});
  expect_error_with([&] { block.register_module("fc2", nullptr); }, {"Block", "fc2", "null"});
}

TEST(Module, SharedParametersAreListedOnce) {
  Generator gen(1);
  auto linear = std::make_shared<nn::Linear>(3, 3, gen);
  Sequential tied{linear, linear};
  EXPECT_EQ(names_of(tied.named_parameters()), (std::vector<std::string>{"0.weight", "0.bias"}));
  EXPECT_EQ(tied.num_parameters(), 12);
  EXPECT_EQ(tied.state_dict().size(), 4u);  // both names, as PyTorch's state_dict
}

TEST(Module, ParameterCounts) {
  Generator gen(1);
  EXPECT_EQ(nn::Conv2d(3, 16, 3, gen).num_parameters(), 448);
  EXPECT_EQ(nn::Conv2d(3, 16, 3, gen, {}, /*bias=*/false).num_parameters(), 432);
  EXPECT_EQ(nn::Conv2d(8, 16, 3, gen, {.groups = 4}).weight().shape(), Shape({16, 2, 3, 3}));
  EXPECT_EQ(nn::Linear(10, 5, gen).num_parameters(), 55);
  nn::BatchNorm2d bn(8);
  EXPECT_EQ(bn.num_parameters(), 16);
  EXPECT_EQ(names_of(bn.named_buffers()),
            (std::vector<std::string>{"running_mean", "running_var", "num_batches_tracked"}));
  EXPECT_EQ(keys_of(bn.state_dict()),
            (std::vector<std::string>{"weight", "bias", "running_mean", "running_var",
                                      "num_batches_tracked"}));
  EXPECT_EQ(nn::BatchNorm2d(8, 1e-5, 0.1, /*affine=*/false).num_parameters(), 0);
  EXPECT_EQ(nn::LayerNorm({4, 5}).num_parameters(), 40);
  EXPECT_EQ(nn::ReLU().num_parameters(), 0);
  expect_error_with([&] { nn::Conv2d(6, 4, 3, gen, {.groups = 4}); }, {"Conv2d", "groups"});
}

TEST(Module, TrainEvalPropagates) {
  Generator gen(1);
  Sequential net;
  net.add<Block>(gen);
  auto inner = net.add<Sequential>();
  auto dropout = inner->add<nn::Dropout>(0.5, 7);
  EXPECT_TRUE(net.is_training());
  net.eval();
  EXPECT_FALSE(net.is_training());
  EXPECT_FALSE(inner->is_training());
  EXPECT_FALSE(dropout->is_training());
  EXPECT_FALSE(net[0]->child("fc1")->is_training());
  net.train();
  EXPECT_TRUE(dropout->is_training());
  EXPECT_TRUE(net[0]->child("fc1")->is_training());
}

TEST(Module, ZeroGradResetsGradients) {
  Generator gen(2);
  auto net = make_mlp(gen);
  backward(sum(square(net->forward(uniform({4, 2}, -1, 1, gen)))));
  for (const Tensor& p : net->parameters()) EXPECT_TRUE(p.grad().defined()) << p.name();
  net->zero_grad();
  for (const Tensor& p : net->parameters()) EXPECT_FALSE(p.grad().defined()) << p.name();
}

TEST(Module, ResetStateIsRecursive) {
  Sequential net;
  auto a = net.add<CountingModule>();
  auto inner = net.add<Sequential>();
  auto b = inner->add<CountingModule>();
  auto c = inner->add<CountingModule>();
  net.add<nn::ReLU>();
  net.reset_state();
  net.reset_state();
  EXPECT_EQ(a->resets, 2);
  EXPECT_EQ(b->resets, 2);
  EXPECT_EQ(c->resets, 2);
  inner->reset_state();
  EXPECT_EQ(a->resets, 2);
  EXPECT_EQ(b->resets, 3);
}

// The hook replaces one layer's output for its scope: adding a zero leaf changes no value and
// gives that leaf d(out)/d(hidden) = W2^T g; the observer sees the replaced output; nested guards
// restore the outer hook, and none is left after the scopes.
TEST(Module, ForwardHookReplacesOutputForItsScope) {
  Generator gen(3);
  auto fc1 = std::make_shared<nn::Linear>(3, 4, gen), fc2 = std::make_shared<nn::Linear>(4, 2, gen);
  Sequential net{fc1, fc2};
  const Tensor x = uniform({5, 3}, -1, 1, gen), g = uniform({5, 2}, -1, 1, gen);
  const std::vector<double> plain = net(x).to_vector();

  Tensor delta, observed;
  {
    nn::ForwardHookGuard hook([&](const Module& m, const Tensor&, const Tensor& y) {
      if (&m != fc1.get()) return y;
      delta = zeros(y.shape()).set_requires_grad(true);
      return add(y, delta);
    });
    nn::ForwardObserverGuard observer([&](const Module& m, const Tensor&, const Tensor& y) {
      if (&m == fc1.get()) observed = y;
    });
    const Tensor out = net(x);
    EXPECT_EQ(out.to_vector(), plain);
    ASSERT_TRUE(delta.defined());
    EXPECT_FALSE(observed.is_leaf());  // add(y, delta), not fc1's own output
    backward(out, g);
  }
  // d(sum g * (h W2^T + b2))/dh = g W2.
  const std::vector<double> expected = matmul(g, fc2->weight()).to_vector();
  const std::vector<double> got = delta.grad().to_vector();
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i)
    EXPECT_NEAR(got[i], expected[i], 1e-5) << i;  // f32 rounding

  int outer_calls = 0;
  {
    nn::ForwardHookGuard outer([&](const Module&, const Tensor&, const Tensor& y) {
      ++outer_calls;
      return y;
    });
    {
      nn::ForwardHookGuard inner(
          [&](const Module&, const Tensor&, const Tensor& y) { return mul(y, 0.0); });
      for (double v : net(x).to_vector()) EXPECT_EQ(v, 0.0);
    }
    EXPECT_EQ(outer_calls, 0);
    EXPECT_EQ(net(x).to_vector(), plain);
    EXPECT_EQ(outer_calls, 3);  // net, fc1, fc2
  }
  EXPECT_EQ(net(x).to_vector(), plain);
  EXPECT_EQ(outer_calls, 3);
}

TEST(Module, ToMovesInPlaceKeepingHandles) {
  Generator gen(3);
  nn::Linear linear(3, 2, gen);
  const Tensor handle = linear.weight();
  const std::vector<double> before = handle.to_vector();
  linear.to(Device::cpu());  // same device: nothing changes
  EXPECT_EQ(linear.weight().to_vector(), before);
  linear.to(kF64);
  EXPECT_EQ(handle.dtype(), kF64);  // the layer's handle and ours see the cast tensor
  EXPECT_EQ(linear.weight().dtype(), kF64);
  EXPECT_TRUE(handle.requires_grad());
  EXPECT_EQ(handle.name(), "weight");
  EXPECT_LT(max_abs_diff(handle, from_vector(before, {2, 3})), 1e-7);
  const Tensor y = linear(ones({1, 3}, {kF64}));
  EXPECT_EQ(y.dtype(), kF64);
  expect_error_with([&] { linear.to(kI64); }, {"Linear", "floating"});
}

TEST(Module, ToCudaAndBackKeepsValuesGradsAndHandles) {
  if (!cuda_available()) GTEST_SKIP() << "no CUDA device";
  Generator gen(3);
  nn::BatchNorm2d bn(4);
  Tensor handle = bn.weight();
  handle.set_grad(full({4}, 0.5));
  const std::vector<double> mean_before = bn.running_mean().to_vector();
  bn.to(Device::cuda());
  EXPECT_TRUE(handle.device().is_cuda());
  EXPECT_TRUE(handle.grad().device().is_cuda());
  EXPECT_TRUE(bn.num_batches_tracked().device().is_cuda());
  EXPECT_TRUE(handle.requires_grad());
  bn.to(Device::cpu());
  EXPECT_TRUE(bn.running_mean().device().is_cpu());
  EXPECT_EQ(bn.running_mean().to_vector(), mean_before);
  EXPECT_EQ(handle.grad().to_vector(), std::vector<double>(4, 0.5));
}

TEST(Module, PrintShowsTreeShapesAndCounts) {
  Generator gen(4);
  Sequential net;
  net.add<nn::Linear>(10, 5, gen);
  net.add<nn::ReLU>();
  auto block = net.add<Block>(gen);
  net.add<nn::Dropout>(0.25);
  const std::string s = net.str();
  for (const char* part :
       {"Sequential(  # 73 parameters\n", "(0): Linear(in_features=10, out_features=5, bias=true)",
        "  # 55 parameters: weight [5,10], bias [5]\n", "(1): ReLU()\n",
        "(2): Block(  # 18 parameters in total, own: scale [3]; buffers: steps [1]\n",
        "(fc1): Linear(", "(3): Dropout(p=0.25)"}) {
    EXPECT_NE(s.find(part), std::string::npos) << "'" << part << "' not in:\n" << s;
  }
  EXPECT_EQ(s.back(), '\n');
  EXPECT_EQ(s.substr(s.size() - 2), ")\n");
}

// ---- state dicts -------------------------------------------------------------------------------

TEST(StateDict, RoundTripGivesIdenticalOutputs) {
  Generator gen_a(10), gen_b(11);
  auto a = make_mlp(gen_a);
  auto b = make_mlp(gen_b);
  const Tensor x = uniform({5, 2}, -1, 1, gen_a);
  EXPECT_GT(max_abs_diff(a->forward(x), b->forward(x)), 1e-3);
  const Tensor b_weight = (*b)[0]->named_parameters()[0].second;
  const uint64_t version = b_weight.version();
  const nn::LoadResult result = b->load_state_dict(a->state_dict());
  EXPECT_TRUE(result.missing_keys.empty());
  EXPECT_TRUE(result.unexpected_keys.empty());
  EXPECT_EQ(max_abs_diff(a->forward(x), b->forward(x)), 0.0);
  EXPECT_GT(b_weight.version(), version);  // copied in place: old handles see the new values
  EXPECT_FALSE(b_weight.shares_storage(a->named_parameters()[0].second));
  EXPECT_TRUE(b_weight.requires_grad());
  b->load_state_dict(b->state_dict());  // its own tensors: nothing to copy
  EXPECT_EQ(max_abs_diff(a->forward(x), b->forward(x)), 0.0);
  Tape::current().clear();
}

TEST(StateDict, ErrorListsEveryMissingUnexpectedAndMisshapedKey) {
  Generator gen(12);
  auto net = make_mlp(gen);
  nn::StateDict dict;
  for (const auto& [name, t] : net->state_dict()) {
    if (name == "0.bias") continue;  // missing
    if (name == "2.weight") {        // mis-shaped
      dict.insert(name, zeros({3, 16}));
    } else if (name == "2.bias") {  // wrong dtype
      dict.insert(name, zeros({2}, {kF64}));
    } else {
      dict.insert(name, t.clone());
    }
  }
  dict.insert("3.weight", zeros({1}));  // unexpected
  dict.insert("extra", zeros({1}));     // unexpected
  const std::vector<double> before = net->named_parameters()[0].second.to_vector();
  expect_error_with([&] { net->load_state_dict(dict); },
                    {"load_state_dict(Sequential)", "1 missing key [0.bias]",
                     "2 unexpected keys [3.weight, extra]", "2 mis-shaped keys",
                     "2.weight: expected [2,16] f32, found [3,16] f32",
                     "2.bias: expected [2] f32, found [2] f64"});
  // Nothing was copied by the failed load.
  EXPECT_EQ(net->named_parameters()[0].second.to_vector(), before);
  // Non-strict still refuses mis-shaped keys but tolerates missing and unexpected ones.
  expect_error_with([&] { net->load_state_dict(dict, /*strict=*/false); },
                    {"2 mis-shaped keys", "2.weight"});
  nn::StateDict partial;
  partial.insert("0.weight", zeros({16, 2}));
  partial.insert("head.weight", zeros({1}));
  const nn::LoadResult result = net->load_state_dict(partial, /*strict=*/false);
  EXPECT_EQ(result.missing_keys, (std::vector<std::string>{"0.bias", "2.weight", "2.bias"}));
  EXPECT_EQ(result.unexpected_keys, (std::vector<std::string>{"head.weight"}));
  EXPECT_EQ(max_abs_diff(net->named_parameters()[0].second, zeros({16, 2})), 0.0);
  expect_error_with([&] { dict.insert("extra", zeros({1})); }, {"extra", "twice"});
  expect_error_with([&] { dict.at("nope"); }, {"nope"});
}

// ---- init --------------------------------------------------------------------------------------

TEST(Init, GainsAndFans) {
  using nn::init::Nonlinearity;
  EXPECT_DOUBLE_EQ(nn::init::calculate_gain(Nonlinearity::kRelu), std::sqrt(2.0));
  EXPECT_DOUBLE_EQ(nn::init::calculate_gain(Nonlinearity::kLinear), 1.0);
  EXPECT_DOUBLE_EQ(nn::init::calculate_gain(Nonlinearity::kSigmoid), 1.0);
  EXPECT_DOUBLE_EQ(nn::init::calculate_gain(Nonlinearity::kTanh), 5.0 / 3.0);
  EXPECT_DOUBLE_EQ(nn::init::calculate_gain(Nonlinearity::kLeakyRelu, std::sqrt(5.0)),
                   std::sqrt(1.0 / 3.0));
  const nn::init::Fans fans = nn::init::compute_fans({64, 32, 3, 3});
  EXPECT_EQ(fans.fan_in, 288);
  EXPECT_EQ(fans.fan_out, 576);
  expect_error_with([] { nn::init::compute_fans({5}); }, {"compute_fans", ">= 2 dims", "[5]"});
}

TEST(Init, KaimingStatisticsMatchGainOverSqrtFan) {
  using nn::init::FanMode;
  using nn::init::Nonlinearity;
  Generator gen(5);
  // 294912 samples: the relative standard error of a std estimate is ~0.15%, so 3% is > 10 sigma
  // from a false failure and still catches a wrong fan or gain (the smallest mistake, fan_in vs
  // fan_out here, is a factor sqrt(2)).
  Tensor w = empty({512, 64, 3, 3});
  nn::init::kaiming_normal_(w, gen, 0, FanMode::kFanIn, Nonlinearity::kRelu);
  EXPECT_NEAR(stddev_of(w) / (std::sqrt(2.0) / std::sqrt(576.0)), 1.0, 0.03);
  nn::init::kaiming_uniform_(w, gen, 0, FanMode::kFanOut, Nonlinearity::kRelu);
  EXPECT_NEAR(stddev_of(w) / (std::sqrt(2.0) / std::sqrt(4608.0)), 1.0, 0.03);
  const double bound = std::sqrt(6.0 / 4608.0);
  for (double v : w.to_vector()) ASSERT_LE(std::abs(v), bound);
  nn::init::kaiming_normal_(w, gen, 0.2, FanMode::kFanIn, Nonlinearity::kLeakyRelu);
  EXPECT_NEAR(stddev_of(w) / (std::sqrt(2.0 / 1.04) / std::sqrt(576.0)), 1.0, 0.03);
  nn::init::normal_(w, 0, 0.5, gen);
  EXPECT_NEAR(stddev_of(w), 0.5, 0.015);
  nn::init::uniform_(w, -1, 1, gen);
  EXPECT_NEAR(stddev_of(w), 1.0 / std::sqrt(3.0), 0.017);
  nn::init::ones_(w);
  EXPECT_EQ(stddev_of(w), 0.0);
  EXPECT_EQ(w.to_vector()[123], 1.0);
  nn::init::constant_(w, 0.25);
  EXPECT_EQ(w.to_vector()[7], 0.25);
  nn::init::zeros_(w);
  EXPECT_EQ(w.to_vector()[7], 0.0);
}

TEST(Init, SeededDeterminismAndPyTorchDefaults) {
  Generator g1(9), g2(9), g3(10);
  nn::Linear a(100, 50, g1), b(100, 50, g2), c(100, 50, g3);
  EXPECT_EQ(a.weight().to_vector(), b.weight().to_vector());
  EXPECT_EQ(a.bias().to_vector(), b.bias().to_vector());
  EXPECT_NE(a.weight().to_vector(), c.weight().to_vector());
  // Linear/Conv default: U(+-1/sqrt(fan_in)) for weight and bias; the std of U(+-b) is b/sqrt(3).
  const double bound = 1.0 / std::sqrt(100.0);
  for (double v : a.weight().to_vector()) ASSERT_LE(std::abs(v), bound);
  for (double v : a.bias().to_vector()) ASSERT_LE(std::abs(v), bound);
  EXPECT_NEAR(stddev_of(a.weight()) / (bound / std::sqrt(3.0)), 1.0, 0.05);
  Generator g4(1);
  nn::Conv2d conv(16, 32, 3, g4);
  const double conv_bound = 1.0 / std::sqrt(16.0 * 9.0);
  for (double v : conv.weight().to_vector()) ASSERT_LE(std::abs(v), conv_bound);
  for (double v : conv.bias().to_vector()) ASSERT_LE(std::abs(v), conv_bound);
  EXPECT_NEAR(stddev_of(conv.weight()) / (conv_bound / std::sqrt(3.0)), 1.0, 0.05);
}

// ---- layers without the new ops -----------------------------------------------------------------

TEST(Layers, DropoutIsIdentityInEvalAndSeededInTraining) {
  Generator gen(6);
  const Tensor x = uniform({64, 64}, 1, 2, gen);
  nn::Dropout a(0.5, 123), b(0.5, 123);
  const std::vector<double> ya = a(x).to_vector(), yb = b(x).to_vector();
  EXPECT_EQ(ya, yb);  // same seed, same mask
  int64_t zeros_seen = 0;
  const std::vector<double> xs = x.to_vector();
  for (size_t i = 0; i < ya.size(); ++i) {
    if (ya[i] == 0) {
      ++zeros_seen;
    } else {
      EXPECT_NEAR(ya[i], 2 * xs[i], 1e-5);
    }
  }
  EXPECT_GT(zeros_seen, 4096 * 0.45);
  EXPECT_LT(zeros_seen, 4096 * 0.55);
  EXPECT_NE(a(x).to_vector(), ya);  // the generator advanced
  a.eval();
  EXPECT_EQ(a(x).to_vector(), xs);
  expect_error_with([] { nn::Dropout(1.0); }, {"Dropout", "[0, 1)"});
}

TEST(Layers, ActivationsFlattenAndSequentialForward) {
  const Tensor x = from_vector(std::vector<double>{-1, 2, -3, 4, 0.5, -0.5}, {1, 2, 3});
  Sequential net{std::make_shared<nn::ReLU>(), std::make_shared<nn::Flatten>()};
  const Tensor y = net(x);
  EXPECT_EQ(y.shape(), Shape({1, 6}));
  EXPECT_EQ(y.to_vector(), (std::vector<double>{0, 2, 0, 4, 0.5, 0}));
  const Tensor s = nn::Sigmoid()(x);
  EXPECT_NEAR(s.to_vector()[1], 1 / (1 + std::exp(-2.0)), 1e-6);
  EXPECT_EQ(nn::Flatten(0)(x).shape(), Shape({6}));
  EXPECT_EQ(nn::Flatten(0, 1)(x).shape(), Shape({2, 3}));
  expect_error_with([&] { nn::Flatten(3)(x); }, {"Flatten", "[1,2,3]"});
  EXPECT_EQ(Sequential()(x).to_vector(), x.to_vector());
  EXPECT_EQ(net.size(), 2u);
  EXPECT_THROW(net[2], Error);
  expect_error_with([] { Module().forward(Tensor()); }, {"Module", "forward"});
}

// ---- layers on the new ops (linear, conv2d, pools, batch_norm, layer_norm) ----------------------

TEST(Layers, LinearForwardAndShapeCheck) {
  Generator gen(7);
  nn::Linear linear(3, 2, gen);
  const Tensor x = uniform({4, 3}, -1, 1, gen);
  const Tensor expected = matmul(x, linear.weight(), false, true) + linear.bias();
  EXPECT_LT(max_abs_diff(linear(x), expected), 1e-6);
  EXPECT_EQ(linear(uniform({5, 4, 3}, -1, 1, gen)).shape(), Shape({5, 4, 2}));
  expect_error_with([&] { linear(zeros({4, 5})); }, {"Linear", "[..., 3]", "[4,5]"});
  Tape::current().clear();
}

TEST(Layers, ConvAndPoolShapes) {
  Generator gen(8);
  const Tensor x = uniform({2, 3, 8, 8}, -1, 1, gen);
  EXPECT_EQ(nn::Conv2d(3, 4, 3, gen)(x).shape(), Shape({2, 4, 6, 6}));
  EXPECT_EQ(nn::Conv2d(3, 4, 3, gen, {.stride = {2, 2}, .padding = {1, 1}})(x).shape(),
            Shape({2, 4, 4, 4}));
  EXPECT_EQ(nn::MaxPool2d(2)(x).shape(), Shape({2, 3, 4, 4}));
  EXPECT_EQ(nn::AvgPool2d(3, 1, 1)(x).shape(), Shape({2, 3, 8, 8}));
  EXPECT_EQ(nn::AdaptiveAvgPool2d({1, 1})(x).shape(), Shape({2, 3, 1, 1}));
  expect_error_with([&] { nn::Conv2d(4, 4, 3, gen)(x); }, {"Conv2d", "[N, 4, H, W]", "[2,3,8,8]"});
  expect_error_with([&] { nn::MaxPool2d(2)(zeros({3, 8, 8})); }, {"MaxPool2d", "[3,8,8]"});
  Sequential net{std::make_shared<nn::Conv2d>(3, 8, 3, gen, Conv2dOptions{.padding = {1, 1}}),
                 std::make_shared<nn::BatchNorm2d>(8),
                 std::make_shared<nn::ReLU>(),
                 std::make_shared<nn::MaxPool2d>(2),
                 std::make_shared<nn::AdaptiveAvgPool2d>(std::array<int64_t, 2>{1, 1}),
                 std::make_shared<nn::Flatten>(),
                 std::make_shared<nn::Linear>(8, 10, gen)};
  EXPECT_EQ(net(x).shape(), Shape({2, 10}));
  Tape::current().clear();
}

TEST(Layers, BatchNormRunningStatsUpdateOnlyInTraining) {
  Generator gen(9);
  nn::BatchNorm2d bn(3);
  const Tensor x = uniform({4, 3, 5, 5}, 2, 4, gen);  // mean ~3, var ~1/3
  const Tensor y = bn(x);
  EXPECT_EQ(y.shape(), x.shape());
  // Normalised with batch statistics: per-channel mean ~0.
  EXPECT_LT(std::abs(mean(y).item()), 1e-4);
  const std::vector<double> mean1 = bn.running_mean().to_vector();
  for (double m : mean1) EXPECT_NEAR(m, 0.1 * 3, 0.03);  // momentum 0.1 from 0
  EXPECT_EQ(bn.num_batches_tracked().item(), 1.0);
  bn(x);
  EXPECT_EQ(bn.num_batches_tracked().item(), 2.0);
  EXPECT_NE(bn.running_mean().to_vector(), mean1);
  bn.eval();
  const std::vector<double> mean2 = bn.running_mean().to_vector();
  const std::vector<double> var2 = bn.running_var().to_vector();
  const Tensor y_eval = bn(x);
  EXPECT_EQ(bn.running_mean().to_vector(), mean2);
  EXPECT_EQ(bn.running_var().to_vector(), var2);
  EXPECT_EQ(bn.num_batches_tracked().item(), 2.0);
  EXPECT_GT(mean(y_eval).item(), 1.0);  // running mean is still far from the batch mean
  expect_error_with([&] { bn(zeros({2, 4, 3, 3})); }, {"BatchNorm2d", "[N, 3, H, W]", "[2,4,3,3]"});
  Tape::current().clear();
}

TEST(Layers, LayerNormNormalisesTrailingDims) {
  Generator gen(10);
  nn::LayerNorm ln({4});
  const Tensor y = ln(uniform({3, 4}, 5, 9, gen));
  for (double m : mean(y, {1}).to_vector()) EXPECT_NEAR(m, 0, 1e-5);
  expect_error_with([&] { ln(zeros({3, 5})); }, {"LayerNorm", "[3,5]"});
  Tape::current().clear();
}

TEST(Layers, ConvModelStateDictRoundTrip) {
  Generator gen_a(20), gen_b(21);
  auto make = [](Generator& gen) {
    return std::make_shared<Sequential>(
        Modules{std::make_shared<nn::Conv2d>(2, 4, 3, gen), std::make_shared<nn::BatchNorm2d>(4),
                std::make_shared<nn::Flatten>(), std::make_shared<nn::Linear>(36, 3, gen)});
  };
  auto a = make(gen_a), b = make(gen_b);
  const Tensor x = uniform({2, 2, 5, 5}, -1, 1, gen_a);
  a->forward(x);  // moves a's running statistics away from their initial values
  a->eval();
  b->eval();
  b->load_state_dict(a->state_dict());
  EXPECT_EQ(max_abs_diff(a->forward(x), b->forward(x)), 0.0);
  Tape::current().clear();
}

// ---- integration: an MLP trained with plain SGD ------------------------------------------------

TEST(Integration, MlpTrainedWithSgdReachesLowLoss) {
  Generator gen(3);
  const Tensor x = uniform({32, 2}, -1, 1, gen);
  std::vector<int64_t> labels;
  for (double v : sum(x, {1}).to_vector()) labels.push_back(v > 0 ? 1 : 0);
  const Tensor y = from_vector(labels, {32});
  auto net = make_mlp(gen);
  double first = 0, last = 0;
  for (int step = 0; step < 300; ++step) {
    const Tensor loss = cross_entropy(net->forward(x), y);
    if (step == 0) first = loss.item();
    last = loss.item();
    net->zero_grad();
    backward(loss);
    NoGradGuard no_grad;
    for (Tensor& p : net->parameters()) add_(p, p.grad(), -0.5);
  }
  EXPECT_GT(first, 0.5);
  EXPECT_LT(last, 0.1);
}

// The integration check: a small CNN (conv-BN-ReLU x2, pool, linear) overfits one batch
// of 32 images with SGD + momentum, so conv, batch norm, pooling, linear and their backwards
// compose correctly in a real training loop.
TEST(Integration, SmallCnnOverfitsOneBatch) {
  Generator gen(11);
  const Tensor x = normal({32, 3, 12, 12}, 0, 1, gen);
  std::vector<int64_t> labels;
  for (int i = 0; i < 32; ++i) labels.push_back(i % 10);
  const Tensor y = from_vector(labels, {32});
  const Conv2dOptions pad1{.padding = {1, 1}};
  nn::Sequential net{std::make_shared<nn::Conv2d>(3, 16, 3, gen, pad1, /*bias=*/false),
                     std::make_shared<nn::BatchNorm2d>(16),
                     std::make_shared<nn::ReLU>(),
                     std::make_shared<nn::Conv2d>(16, 32, 3, gen, pad1, /*bias=*/false),
                     std::make_shared<nn::BatchNorm2d>(32),
                     std::make_shared<nn::ReLU>(),
                     std::make_shared<nn::MaxPool2d>(2),
                     std::make_shared<nn::Flatten>(),
                     std::make_shared<nn::Linear>(32 * 6 * 6, 10, gen)};
  std::vector<Tensor> params = net.parameters(), velocity;
  for (const Tensor& p : params) velocity.push_back(zeros(p.shape()));
  double first_loss = 0, loss_value = 0;
  int step = 0;
  for (; step < 300; ++step) {
    const Tensor loss = cross_entropy(net.forward(x), y);
    loss_value = loss.item();
    if (step == 0) first_loss = loss_value;
    if (loss_value < 1e-3) break;
    net.zero_grad();
    backward(loss);
    NoGradGuard no_grad;
    for (size_t i = 0; i < params.size(); ++i) {  // v = 0.9 v + g; p -= 0.05 v
      mul_(velocity[i], 0.9);
      add_(velocity[i], params[i].grad());
      add_(params[i], velocity[i], -0.05);
    }
  }
  Tape::current().clear();
  EXPECT_GT(first_loss, 1.5);  // about ln 10 at the start
  EXPECT_LT(loss_value, 1e-3) << "after " << step << " steps";
  std::printf("small CNN: loss %.3f -> %.2e in %d steps\n", first_loss, loss_value, step);
}

}  // namespace
}  // namespace staa
