// Autograd: accumulation, leaves, detach, grad mode, version counters, the tape trace, and a
// small network that learns. Layer: tests.
#include <gtest/gtest.h>

#include <cmath>

#include "autograd/ops.h"

namespace staa {
namespace {

Tensor leaf(std::vector<double> v, Shape s, DType d = kF64) {
  Tensor t = from_vector(v, s, {d});
  t.set_requires_grad(true);
  return t;
}

TEST(Autograd, AccumulatesWhenATensorFeedsSeveralOps) {
  Tensor x = leaf({0.5, -1.0, 2.0}, {3});
  backward(sum(x * x + exp(x) + x));
  const auto g = x.grad().to_vector();
  const std::vector<double> xs{0.5, -1.0, 2.0};
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(g[i], 2 * xs[i] + std::exp(xs[i]) + 1, 1e-12);
}

// backward() adds a slice's gradient into rows of its input's gradient in place: overlapping
// and repeated slices, of a leaf and of a computed tensor, mixed with whole-tensor uses, and a
// slice whose gradient is shared with another input (x + x).
TEST(Autograd, SlicesAddIntoTheRowsOfTheGradient) {
  Tensor x = leaf({1, 2, 3, 4, 5, 6, 7, 8}, {4, 2});
  const Tensor y = x * 2.0;  // not a leaf
  const Tensor a = slice(x, 0, 2), b = slice(x, 1, 4), c = slice(y, 2, 3), d = slice(y, 2, 4);
  backward(sum(a * 3.0) + sum(b) + sum(b) + sum(c + c) + sum(d * d) + sum(x * 0.5));
  // d/dx: a -> 3 on rows 0-1; b twice -> 2 on rows 1-3; c + c -> 2 * 2 on row 2;
  // d * d -> 2 y * 2 = 8 x on rows 2-3; x * 0.5 -> 0.5 everywhere.
  const std::vector<double> want{3.5, 3.5, 5.5, 5.5, 6.5 + 40, 6.5 + 48, 2.5 + 56, 2.5 + 64};
  EXPECT_EQ(x.grad().to_vector(), want);
}

TEST(Autograd, LeafGradsAccumulateAcrossBackwardCalls) {
  Tensor x = leaf({1.0, 2.0}, {2});
  backward(sum(x * 3.0));
  backward(sum(x * 3.0));
  EXPECT_EQ(x.grad().to_vector(), (std::vector<double>{6, 6}));
  x.set_grad(Tensor());
  backward(sum(square(x)));
  EXPECT_EQ(x.grad().to_vector(), (std::vector<double>{2, 4}));
}

// A leaf keeps the gradient a backward function allocated (no copy), but never memory another
// leaf's gradient or the caller's cotangent also holds: both leaves of a + b get grad_output.
TEST(Autograd, LeafGradientsShareNoMemory) {
  Tensor a = leaf({1.0, 2.0}, {2}), b = leaf({3.0, 4.0}, {2});
  const Tensor cot = from_vector({1.0, 1.0}, {2}, {kF64});
  backward(a + b, cot);
  EXPECT_NE(a.grad().data<double>(), b.grad().data<double>());
  EXPECT_NE(a.grad().data<double>(), cot.data<double>());
  EXPECT_NE(b.grad().data<double>(), cot.data<double>());
  backward(a + b, cot);  // accumulates in place: the shared values would double twice
  EXPECT_EQ(a.grad().to_vector(), (std::vector<double>{2, 2}));
  EXPECT_EQ(b.grad().to_vector(), (std::vector<double>{2, 2}));
  EXPECT_EQ(cot.to_vector(), (std::vector<double>{1, 1}));
}

TEST(Autograd, DetachStopsTheGradient) {
  Tensor x = leaf({3.0}, {1});
  const Tensor y = x * x;
  backward(sum(y.detach() * x));  // d/dx (c * x) with c = x^2 held constant = 9
  EXPECT_EQ(x.grad().item(), 9);
  EXPECT_FALSE(y.detach().requires_grad());
  EXPECT_TRUE(y.detach().shares_storage(y));
}

TEST(Autograd, TruncatedBpttByDetachingTheState) {
  // h_t = 0.5 h_{t-1} + w; with the state detached after step 1, dL/dw for L = h_3 counts only
  // the steps after the cut: 1 + 0.5 = 1.5 (instead of 1 + 0.5 + 0.25 = 1.75).
  Tensor w = leaf({1.0}, {1});
  Tensor h = zeros({1}, {kF64});
  for (int t = 0; t < 3; ++t) {
    h = h * 0.5 + w;
    if (t == 0) h = h.detach();
  }
  backward(sum(h));
  EXPECT_DOUBLE_EQ(w.grad().item(), 1.5);
}

TEST(Autograd, NoGradGuardRecordsNothing) {
  Tensor x = leaf({1.0}, {1});
  Tape::current().clear();
  {
    NoGradGuard guard;
    EXPECT_FALSE(grad_enabled());
    const Tensor y = exp(x);
    EXPECT_FALSE(y.requires_grad());
  }
  EXPECT_TRUE(grad_enabled());
  EXPECT_EQ(Tape::current().size(), 0u);
  EXPECT_TRUE(exp(x).requires_grad());
  Tape::current().clear();
}

TEST(Autograd, BackwardClearsTheTape) {
  Tensor x = leaf({1.0, 2.0}, {2});
  const Tensor loss = sum(relu(x));
  EXPECT_EQ(Tape::current().size(), 2u);
  backward(loss);
  EXPECT_EQ(Tape::current().size(), 0u);
}

TEST(Autograd, TapePrintShowsOpsAndShapes) {
  Tape::current().clear();
  Tensor a = leaf(std::vector<double>(6, 1.0), {2, 3});
  const Tensor b = ones({3, 4}, {kF64});
  const Tensor y = sum(matmul(a, b), {1});
  EXPECT_EQ(Tape::current().str(),
            "0 matmul [2,3],[3,4] -> [2,4] trans_a=false trans_b=false\n"
            "1 sum [2,4] -> [2] dims=[1] keepdim=false\n");
  const std::vector<Node>& nodes = Tape::current().nodes();
  ASSERT_EQ(nodes[1].attrs.size(), 2u);
  EXPECT_EQ(std::get<std::vector<int64_t>>(nodes[1].attrs[0].value), std::vector<int64_t>{1});
  Tape::current().clear();
}

TEST(Autograd, InPlaceChangeOfASavedTensorNamesTheOp) {
  Tensor x = leaf({1.0, 2.0}, {2});
  Tensor y = x + 1.0;
  const Tensor z = log(y);  // saves y
  {
    NoGradGuard guard;
    add_(y, ones({2}, {kF64}));
  }
  try {
    backward(sum(z));
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("log backward"), std::string::npos) << msg;
    EXPECT_NE(msg.find("modified in place"), std::string::npos) << msg;
  }
  Tape::current().clear();
}

TEST(Autograd, InPlaceOnATensorThatRequiresGradIsRefused) {
  Tensor x = leaf({1.0}, {1});
  EXPECT_THROW(mul_(x, 2.0), Error);
  NoGradGuard guard;
  mul_(x, 2.0);
  EXPECT_EQ(x.to_vector()[0], 2.0);
}

TEST(Autograd, ErrorsForBadRoots) {
  const Tensor plain = ones({2});
  EXPECT_THROW(backward(plain), Error);
  Tensor x = leaf({1.0, 2.0}, {2});
  EXPECT_THROW(backward(x * 2.0), Error);  // two elements and no gradient given
  Tape::current().clear();
  EXPECT_THROW(exp(x).set_requires_grad(false), Error);  // not a leaf
  Tape::current().clear();
}

TEST(Autograd, MaxReturnsArgmax) {
  const Tensor x = from_vector(std::vector<double>{1, 5, 3, 7, 2, 0}, {2, 3});
  const MaxResult r = max(x, {1});
  EXPECT_EQ(r.values.to_vector(), (std::vector<double>{5, 7}));
  EXPECT_EQ(r.indices.to_vector(), (std::vector<double>{1, 0}));
  EXPECT_EQ(r.indices.dtype(), kI64);
  const MaxResult all = max(x);
  EXPECT_EQ(all.values.item(), 7);
  EXPECT_EQ(all.indices.item(), 3);
}

TEST(Autograd, DropoutIsSeededAndScales) {
  Generator g1(11), g2(11);
  const Tensor x = ones({10000});
  const auto a = dropout(x, 0.25, g1).to_vector();
  EXPECT_EQ(a, dropout(x, 0.25, g2).to_vector());
  int zeros_seen = 0;
  for (double v : a) {
    EXPECT_TRUE(v == 0.0 || std::abs(v - 1 / 0.75) < 1e-6);
    zeros_seen += v == 0.0;
  }
  EXPECT_NEAR(zeros_seen / 10000.0, 0.25, 0.02);  // sd 0.0043
  EXPECT_EQ(dropout(x, 0.25, g1, /*training=*/false).to_vector(), x.to_vector());
}

// A two-layer perceptron overfits a small batch of 2-D points with SGD: the whole stack
// (matmul, broadcasting add, relu, cross-entropy, backward, in-place updates) has to work.
TEST(Autograd, TwoLayerNetworkOverfitsABatch) {
  Generator gen(3);
  const Tensor x = uniform({32, 2}, -1, 1, gen);
  std::vector<int64_t> labels;
  for (double v : sum(x, {1}).to_vector()) labels.push_back(v > 0 ? 1 : 0);
  const Tensor y = from_vector(labels, {32});
  Tensor w1 = normal({2, 16}, 0, 0.5, gen).set_requires_grad(true);
  Tensor b1 = zeros({16}).set_requires_grad(true);
  Tensor w2 = normal({16, 2}, 0, 0.5, gen).set_requires_grad(true);
  Tensor b2 = zeros({2}).set_requires_grad(true);
  std::vector<Tensor*> params{&w1, &b1, &w2, &b2};
  double first = 0, last = 0;
  for (int step = 0; step < 300; ++step) {
    const Tensor loss = cross_entropy(matmul(relu(matmul(x, w1) + b1), w2) + b2, y);
    if (step == 0) first = loss.item();
    last = loss.item();
    for (Tensor* p : params) p->set_grad(Tensor());
    backward(loss);
    NoGradGuard guard;
    for (Tensor* p : params) add_(*p, p->grad(), -0.5);
  }
  EXPECT_GT(first, 0.5);
  EXPECT_LT(last, 0.1);
}

}  // namespace
}  // namespace staa
