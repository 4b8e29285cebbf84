// Tests of pooling and normalisation beyond the op matrix: batch norm's running statistics
// (momentum update, unbiased variance, version bumps, nothing recorded), eval mode, PyTorch's
// pooling output sizes and adaptive windows, max pooling's first-wins ties, and the error
// messages of pooling, batch norm, layer norm and linear. Layer: tests.
#include <gtest/gtest.h>

#include <cmath>

#include "autograd/ops.h"
#include "expect_error.h"
#include "tensor/ops/pool.h"

namespace staa {
namespace {

using test::expect_error;

// x: [N, C, H, W] with x[n, c, h, w] = 0.1 * n * (c + 1) + 0.3 * h - 0.2 * w + c.
Tensor ramp(int64_t N, int64_t C, int64_t H, int64_t W, DType dtype) {
  std::vector<double> v;
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t h = 0; h < H; ++h)
        for (int64_t w = 0; w < W; ++w) v.push_back(0.1 * n * (c + 1) + 0.3 * h - 0.2 * w + c);
  return from_vector(v, Shape{N, C, H, W}, {dtype});
}

// Per-channel mean and unbiased variance of x: [N, C, H, W], in double.
void channel_stats(const Tensor& x, std::vector<double>& mean, std::vector<double>& var) {
  const Shape& s = x.shape();
  const int64_t C = s[1], inner = s[2] * s[3], M = s[0] * inner;
  const std::vector<double> v = x.to_vector();
  mean.assign(C, 0.0), var.assign(C, 0.0);
  for (size_t e = 0; e < v.size(); ++e) mean[(e / inner) % C] += v[e] / M;
  for (size_t e = 0; e < v.size(); ++e) {
    const int64_t c = (e / inner) % C;
    var[c] += std::pow(v[e] - mean[c], 2);
  }
  for (double& x_var : var) x_var /= static_cast<double>(M - 1);
}

TEST(BatchNormRunningStats, TrainingUpdatesWithMomentumAndUnbiasedVariance) {
  for (DType dtype : {kF32, kF64}) {
    Tensor x = ramp(3, 2, 2, 3, dtype).set_requires_grad(true);
    Tensor weight = ones({2}, {dtype}).set_requires_grad(true);
    Tensor bias = zeros({2}, {dtype}).set_requires_grad(true);
    Tensor running_mean = full({2}, 0.5, {dtype}), running_var = full({2}, 2.0, {dtype});
    const uint64_t mean_version = running_mean.version(), var_version = running_var.version();
    Tape::current().clear();
    Tensor y = batch_norm(x, weight, bias, running_mean, running_var, true, 0.25, 1e-5);
    // One node: the running-statistics update is not recorded and does not require grad.
    EXPECT_EQ(Tape::current().size(), 1u);
    EXPECT_FALSE(running_mean.requires_grad());
    EXPECT_GT(running_mean.version(), mean_version);
    EXPECT_GT(running_var.version(), var_version);
    std::vector<double> mean, var;
    channel_stats(x.detach(), mean, var);
    const std::vector<double> rm = running_mean.to_vector(), rv = running_var.to_vector();
    const double tol = dtype == kF32 ? 2e-6 : 1e-14;  // f32: rounding of x and of the stats
    for (int c = 0; c < 2; ++c) {
      EXPECT_NEAR(rm[c], 0.75 * 0.5 + 0.25 * mean[c], tol) << "channel " << c;
      EXPECT_NEAR(rv[c], 0.75 * 2.0 + 0.25 * var[c], tol) << "channel " << c;
    }
    Tape::current().clear();
  }
}

// f32 batch norm sums rows in float lanes, blocks of 512 elements, totals in double: on planes of
// 1600 elements (three blocks and a tail) with a mean of 100 and unit spread, the statistics and
// the whole backward stay within f32 rounding of the same computation in f64.
TEST(BatchNormRunningStats, F32SumsOfLongRowsMatchF64) {
  Generator gen(5);
  const Tensor x64 = normal({3, 2, 40, 40}, 100.0, 1.0, gen, {kF64});
  const Tensor g64 = normal(x64.shape(), 0.0, 1.0, gen, {kF64});
  std::vector<double> stats[2], grads[2];
  for (DType dtype : {kF32, kF64}) {
    const int k = dtype == kF32 ? 0 : 1;
    Tensor x = x64.to(dtype).set_requires_grad(true);
    Tensor weight = full({2}, 1.5, {dtype}).set_requires_grad(true);
    Tensor rm = zeros({2}, {dtype}), rv = zeros({2}, {dtype});
    backward(batch_norm(x, weight, Tensor(), rm, rv, true, 1.0, 1e-5), g64.to(dtype));
    for (const Tensor& t : {rm, rv}) {
      const std::vector<double> v = t.to_vector();
      stats[k].insert(stats[k].end(), v.begin(), v.end());
    }
    for (const Tensor& t : {x.grad(), weight.grad()}) {
      const std::vector<double> v = t.to_vector();
      grads[k].insert(grads[k].end(), v.begin(), v.end());
    }
  }
  for (size_t i = 0; i < stats[0].size(); ++i)
    EXPECT_NEAR(stats[0][i], stats[1][i], 2e-6 * std::abs(stats[1][i])) << "statistic " << i;
  double scale = 0;
  for (double v : grads[1]) scale = std::max(scale, std::abs(v));
  for (size_t i = 0; i < grads[0].size(); ++i)
    ASSERT_NEAR(grads[0][i], grads[1][i], 1e-4 * scale) << "gradient element " << i;
}

TEST(BatchNormRunningStats, EvalUsesRunningStatsAndLeavesThemAlone) {
  Tensor x = ramp(2, 2, 2, 2, kF64);
  Tensor running_mean = from_vector(std::vector<double>{0.5, -1.0}, Shape{2}, {kF64});
  Tensor running_var = from_vector(std::vector<double>{4.0, 0.25}, Shape{2}, {kF64});
  const uint64_t version = running_mean.version();
  const std::vector<double> y =
      batch_norm(x, Tensor(), Tensor(), running_mean, running_var, false, 0.1, 0.0).to_vector();
  EXPECT_EQ(running_mean.version(), version);
  const std::vector<double> xv = x.to_vector();
  for (size_t e = 0; e < xv.size(); ++e) {
    const int c = static_cast<int>((e / 4) % 2);
    const double want = c == 0 ? (xv[e] - 0.5) / 2.0 : (xv[e] + 1.0) / 0.5;
    EXPECT_NEAR(y[e], want, 1e-12) << "element " << e;
  }
}

TEST(PoolGeometry, OutputSizesFollowPyTorch) {
  // (in, kernel, stride, pad, ceil_mode) -> out
  EXPECT_EQ(pool_output_size(5, 2, 2, 1, true), 3);  // a 4th window would start in the padding
  EXPECT_EQ(pool_output_size(5, 2, 2, 1, false), 3);
  EXPECT_EQ(pool_output_size(6, 3, 2, 1, true), 4);
  EXPECT_EQ(pool_output_size(6, 3, 2, 1, false), 3);
  EXPECT_EQ(pool_output_size(8, 3, 2, 0, true), 4);
  EXPECT_EQ(pool_output_size(8, 3, 2, 0, false), 3);
  EXPECT_EQ(pool_output_size(32, 3, 2, 1, false), 16);
  EXPECT_EQ(avg_pool2d(zeros({1, 1, 7, 6}), {{3, 2}, {2, 1}, {1, 1}, true, true}).shape(),
            (Shape{1, 1, 4, 7}));
}

TEST(PoolGeometry, AdaptiveWindowsOverlapForNonDivisibleSizes) {
  // 5 -> 3: [0, 2), [1, 4), [3, 5)
  const int64_t starts[] = {0, 1, 3}, ends[] = {2, 4, 5};
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(adaptive_start(i, 5, 3), starts[i]);
    EXPECT_EQ(adaptive_end(i, 5, 3), ends[i]);
  }
}

TEST(MaxPool, FirstMaximumWinsTiesInTheGradient) {
  Tensor x = ones({1, 1, 2, 4}, {kF64}).set_requires_grad(true);
  backward(sum(max_pool2d(x, {{2, 2}})));
  EXPECT_EQ(x.grad().to_vector(), (std::vector<double>{1, 0, 1, 0, 0, 0, 0, 0}));
}

TEST(PoolNormErrors, PoolingArguments) {
  const Tensor x = zeros({1, 2, 5, 5});
  expect_error(
      [&] {
        avg_pool2d(x, {{0, 2}});
      },
      {"avg_pool2d", "kernel must be positive", "[0,2]"});
  expect_error(
      [&] {
        max_pool2d(x, {{2, 2}, {-1, 1}});
      },
      {"max_pool2d", "stride must be positive", "[-1,1]"});
  expect_error(
      [&] {
        avg_pool2d(x, {{3, 3}, {1, 1}, {2, 1}});
      },
      {"avg_pool2d", "padding must be in [0, kernel / 2]", "padding [2,1]", "[3,3]"});
  expect_error(
      [&] {
        max_pool2d(zeros({2, 5, 5}), {{2, 2}});
      },
      {"max_pool2d", "[N, C, H, W]", "[2,5,5]"});
  expect_error([&] { max_pool2d(x, {{6, 6}}); }, {"max_pool2d", "smaller than the kernel"});
  expect_error(
      [&] {
        adaptive_avg_pool2d(x, {0, 2});
      },
      {"adaptive_avg_pool2d", "output size must be positive", "[0,2]"});
}

TEST(PoolNormErrors, BatchNormChannelCounts) {
  const Tensor x = zeros({4, 3, 2, 2});
  Tensor rm = zeros({3}), rv = ones({3}), bad = zeros({4});
  expect_error([&] { batch_norm(x, ones({4}), Tensor(), rm, rv, true); },
               {"batch_norm", "weight of shape [3]", "[4,3,2,2]", "got [4]"});
  expect_error([&] { batch_norm(x, Tensor(), zeros({2}), rm, rv, true); },
               {"batch_norm", "bias of shape [3]", "got [2]"});
  expect_error([&] { batch_norm(x, Tensor(), Tensor(), bad, rv, false); },
               {"batch_norm", "running_mean of shape [3]", "got [4]"});
  expect_error([&] { batch_norm(x, Tensor(), Tensor(), rm, bad, false); },
               {"batch_norm", "running_var of shape [3]", "got [4]"});
  Tensor rm64 = zeros({3}, {kF64});
  expect_error([&] { batch_norm(x, Tensor(), Tensor(), rm64, rv, true); },
               {"batch_norm", "running_mean", "f32", "f64"});
  Tensor none;
  expect_error([&] { batch_norm(x, Tensor(), Tensor(), none, none, false); },
               {"batch_norm", "eval mode needs running_mean and running_var"});
  expect_error(
      [&] {
        batch_norm(zeros({1, 3}), Tensor(), Tensor(), rm, rv, true);
      },
      {"batch_norm", "more than 1 value per channel", "[1,3]"});
  expect_error([&] { batch_norm(zeros({3}), Tensor(), Tensor(), rm, rv, true); },
               {"batch_norm", "[N, C, ...]", "[3]"});
}

TEST(PoolNormErrors, LayerNormShapes) {
  const Tensor x = zeros({2, 3, 4});
  expect_error([&] { layer_norm(x, 2, ones({4}), Tensor()); },
               {"layer_norm", "weight of shape [3,4]", "[2,3,4]", "got [4]"});
  expect_error([&] { layer_norm(x, 1, Tensor(), zeros({3})); },
               {"layer_norm", "bias of shape [4]", "got [3]"});
  expect_error([&] { layer_norm(x, 4, Tensor(), Tensor()); },
               {"layer_norm", "normalized_ndim must be in [1, 3]", "got 4"});
}

TEST(PoolNormErrors, LinearFeatures) {
  expect_error(
      [] {
        linear(zeros({2, 5}), zeros({3, 4}), Tensor());
      },
      {"linear", "x of shape [..., 4]", "[3,4]", "got [2,5]"});
  expect_error(
      [] {
        linear(zeros({2, 4}), zeros({3, 4}), zeros({4}));
      },
      {"linear", "bias of shape [3]", "got [4]"});
  expect_error(
      [] {
        linear(zeros({2, 4}), zeros({4}), Tensor());
      },
      {"linear", "weight of shape [out, in]", "[4]"});
}

TEST(Linear, VectorInputGivesVectorOutput) {
  const Tensor y = linear(ones({3}), ones({2, 3}), full({2}, 0.5));
  EXPECT_EQ(y.shape(), Shape{2});
  EXPECT_EQ(y.to_vector(), (std::vector<double>{3.5, 3.5}));
}

}  // namespace
}  // namespace staa
