// CUDA conv2d (cuDNN) and batch norm against the CPU backend (label cuda; every test skips with
// the reason on a machine without a GPU): forward and both backwards through autograd with a
// random cotangent, over strides, paddings, dilations, groups, 1x1 and odd sizes, with and
// without bias, f32 and f64; deterministic mode gives bit-identical reruns; batch norm training
// and eval, forward, backward and running statistics. Layer: tests.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "autograd/ops.h"
#include "tensor/backend.h"

namespace staa {
namespace {

// Tolerances, relative to the size of what was summed. f32: cuDNN's algorithms sum in other
// orders (and tiles) than our CPU GEMM; each output is a sum of up to a few hundred products, so
// rounding stays well below 1e-5 of sum |terms| (TF32 is off: allow_tf32() defaults to false).
// f64: the same with double rounding, 1e-12.
constexpr double kTolF32 = 1e-5;
constexpr double kTolF64 = 1e-12;

double tolerance(DType dtype) {
  return dtype == kF64 ? kTolF64 : kTolF32;
}

class CudaConvNorm : public ::testing::Test {
 protected:
  void SetUp() override {
    if (cuda_backend() == nullptr) GTEST_SKIP() << "built without the CUDA backend (STAA_CUDA=OFF)";
    if (!cuda_available()) GTEST_SKIP() << "no CUDA device on this machine";
  }
};

// A leaf on `device` (a copy, never the caller's tensor), requiring grad; undefined stays so.
Tensor leaf_on(const Tensor& t, Device device) {
  if (!t.defined()) return Tensor();
  Tensor copy = device.is_cpu() ? t.clone() : t.to(device);
  return copy.set_requires_grad(true);
}

Tensor grad_on_cpu(const Tensor& t) {
  return t.defined() ? t.grad().to(Device::cpu()) : Tensor();
}

// |got - want| <= tol * (1 + bound) elementwise; bound is the magnitude of what was summed (or
// |want|). Reports the worst element once instead of one failure per element.
void expect_close(const Tensor& got, const Tensor& want, const Tensor& bound, double tol,
                  const std::string& what) {
  ASSERT_EQ(got.defined(), want.defined()) << what;
  if (!want.defined()) return;
  ASSERT_EQ(got.shape(), want.shape()) << what;
  const std::vector<double> g = got.to_vector(), w = want.to_vector(), b = bound.to_vector();
  double worst = 0;
  size_t worst_i = 0;
  for (size_t i = 0; i < g.size(); ++i) {
    const double ratio = std::abs(g[i] - w[i]) / (tol * (1 + std::abs(b[i])));
    if (std::isnan(worst)) break;
    if (std::isnan(ratio) || ratio > worst) worst = ratio, worst_i = i;  // NaN: the worst
  }
  EXPECT_TRUE(worst <= 1.0) << what << ": element " << worst_i << " is " << g[worst_i]
                            << ", the CPU gives " << w[worst_i] << " (error " << worst
                            << " x the tolerance)";
}

void expect_identical(const Tensor& a, const Tensor& b, const std::string& what) {
  ASSERT_EQ(a.defined(), b.defined()) << what;
  if (a.defined()) {
    EXPECT_EQ(a.to_vector(), b.to_vector()) << what;
  }
}

// ---- conv2d ---------------------------------------------------------------------------------

struct ConvCase {
  const char* name;
  Shape x, w;
  Conv2dOptions options;
  bool bias;
};

std::vector<ConvCase> conv_cases() {
  return {
      {"3x3 pad 1", {2, 3, 9, 9}, {4, 3, 3, 3}, {.padding = {1, 1}}, true},
      {"odd sizes, stride 2x3, pad 1x0",
       {3, 5, 11, 7},
       {6, 5, 3, 2},
       {.stride = {2, 3}, .padding = {1, 0}},
       false},
      {"dilation 2x3", {2, 4, 13, 10}, {5, 4, 3, 3}, {.padding = {2, 1}, .dilation = {2, 3}}, true},
      {"groups 3", {2, 6, 8, 8}, {9, 2, 3, 3}, {.padding = {1, 1}, .groups = 3}, true},
      {"depthwise 5x5 stride 2",
       {2, 8, 7, 9},
       {8, 1, 5, 5},
       {.stride = {2, 2}, .padding = {2, 2}, .groups = 8},
       false},
      {"1x1", {4, 16, 6, 5}, {8, 16, 1, 1}, {}, true},
      {"1x1 stride 2", {2, 7, 9, 9}, {3, 7, 1, 1}, {.stride = {2, 2}}, false},
      {"kernel covers the input", {5, 3, 7, 7}, {4, 3, 7, 7}, {}, true},
      {"1x3, one image", {1, 3, 5, 17}, {2, 3, 1, 3}, {.padding = {0, 1}}, true},
      {"larger, groups 2, stride 2",
       {4, 16, 20, 20},
       {32, 8, 3, 3},
       {.stride = {2, 2}, .padding = {1, 1}, .groups = 2},
       true},
  };
}

struct ConvInputs {
  Tensor x, w, b, grad_y;
};

ConvInputs make_conv_inputs(const ConvCase& c, DType dtype, uint64_t seed) {
  Generator gen(seed);
  ConvInputs in;
  in.x = uniform(c.x, -1, 1, gen, {dtype});
  in.w = uniform(c.w, -1, 1, gen, {dtype});
  if (c.bias) in.b = uniform({c.w[0]}, -1, 1, gen, {dtype});
  const Conv2dGeometry g = make_conv2d_geometry(c.x, c.w, c.options.stride, c.options.padding,
                                                c.options.dilation, c.options.groups);
  in.grad_y = uniform(g.out_shape(), -1, 1, gen, {dtype});
  return in;
}

ConvInputs abs_of(const ConvInputs& in) {
  return {abs(in.x), abs(in.w), in.b.defined() ? abs(in.b) : Tensor(), abs(in.grad_y)};
}

// y and the gradients of x, w, b (b's undefined without bias) for the cotangent grad_y, computed
// on `device` through autograd, returned on the CPU.
struct ConvResult {
  Tensor y, grad_x, grad_w, grad_b;
};

ConvResult run_conv(const ConvCase& c, const ConvInputs& in, Device device) {
  Tensor x = leaf_on(in.x, device), w = leaf_on(in.w, device), b = leaf_on(in.b, device);
  const Tensor y = conv2d(x, w, b, c.options);
  backward(y, in.grad_y.to(device));
  return {y.to(Device::cpu()), grad_on_cpu(x), grad_on_cpu(w), grad_on_cpu(b)};
}

void expect_conv_matches_cpu(const ConvCase& c, DType dtype) {
  SCOPED_TRACE(std::string(c.name) + (dtype == kF64 ? " f64" : " f32"));
  const ConvInputs in = make_conv_inputs(c, dtype, 11);
  const ConvResult want = run_conv(c, in, Device::cpu());
  // The same convolutions of |inputs|: for each output, the sum of |terms| it adds up.
  const ConvResult bound = run_conv(c, abs_of(in), Device::cpu());
  const ConvResult got = run_conv(c, in, Device::cuda());
  const double tol = tolerance(dtype);
  expect_close(got.y, want.y, bound.y, tol, "y");
  expect_close(got.grad_x, want.grad_x, bound.grad_x, tol, "grad_x");
  expect_close(got.grad_w, want.grad_w, bound.grad_w, tol, "grad_w");
  expect_close(got.grad_b, want.grad_b, bound.grad_b, tol, "grad_b");
}

TEST_F(CudaConvNorm, Conv2dF32MatchesCpu) {
  for (const ConvCase& c : conv_cases()) expect_conv_matches_cpu(c, kF32);
}

TEST_F(CudaConvNorm, Conv2dF64MatchesCpu) {
  for (const ConvCase& c : conv_cases()) expect_conv_matches_cpu(c, kF64);
}

TEST_F(CudaConvNorm, Conv2dWithoutWeightGradientMatchesCpu) {
  // Only x requires grad: backward-data alone (no weight or bias gradient is asked for).
  const ConvCase c = conv_cases()[3];
  const ConvInputs in = make_conv_inputs(c, kF32, 5);
  Tensor results[2];
  for (int device = 0; device < 2; ++device) {
    const Device on = device ? Device::cuda() : Device::cpu();
    Tensor x = leaf_on(in.x, on);
    const Tensor b = in.b.defined() ? in.b.to(on) : Tensor();
    backward(conv2d(x, in.w.to(on), b, c.options), in.grad_y.to(on));
    results[device] = grad_on_cpu(x);
  }
  const ConvResult bound = run_conv(c, abs_of(in), Device::cpu());
  expect_close(results[1], results[0], bound.grad_x, kTolF32, "grad_x");
}

// Sets deterministic() for a scope, then restores it.
class DeterministicScope {
 public:
  explicit DeterministicScope(bool on) : was_(deterministic()) { set_deterministic(on); }
  ~DeterministicScope() { set_deterministic(was_); }
  DeterministicScope(const DeterministicScope&) = delete;
  DeterministicScope& operator=(const DeterministicScope&) = delete;

 private:
  bool was_;
};

TEST_F(CudaConvNorm, DeterministicConv2dRerunsAreBitIdentical) {
  // A convolution large enough for cuDNN's split / atomic algorithms to be on offer.
  const ConvCase c{"deterministic", {16, 32, 28, 28}, {64, 32, 3, 3}, {.padding = {1, 1}}, true};
  DeterministicScope scope(true);
  for (DType dtype : {kF32, kF64}) {
    SCOPED_TRACE(dtype == kF64 ? "f64" : "f32");
    const ConvInputs in = make_conv_inputs(c, dtype, 23);
    const ConvResult first = run_conv(c, in, Device::cuda());
    const ConvResult second = run_conv(c, in, Device::cuda());
    expect_identical(first.y, second.y, "y");
    expect_identical(first.grad_x, second.grad_x, "grad_x");
    expect_identical(first.grad_w, second.grad_w, "grad_w");
    expect_identical(first.grad_b, second.grad_b, "grad_b");
    const ConvResult want = run_conv(c, in, Device::cpu());
    const ConvResult bound = run_conv(c, abs_of(in), Device::cpu());
    expect_close(first.y, want.y, bound.y, tolerance(dtype), "y");
    expect_close(first.grad_w, want.grad_w, bound.grad_w, tolerance(dtype), "grad_w");
  }
}

// ---- batch norm -----------------------------------------------------------------------------

struct NormCase {
  const char* name;
  Shape x;
  bool affine;
  double offset;  // added to x: statistics far from 0 test the numerics
};

std::vector<NormCase> norm_cases() {
  return {
      {"[4, 3, 5, 7]", {4, 3, 5, 7}, true, 0.0},
      {"[6, 5] (inner 1)", {6, 5}, true, 0.0},
      {"[3, 4, 10], no affine", {3, 4, 10}, false, 0.0},
      {"[16, 8, 32, 32] offset 100 (several splits per channel)", {16, 8, 32, 32}, true, 100.0},
      {"[2, 300, 3] (many channels)", {2, 300, 3}, true, 0.0},
  };
}

struct NormResult {
  Tensor y, grad_x, grad_w, grad_b, running_mean, running_var;
};

NormResult run_norm(const NormCase& c, DType dtype, bool training, Device device) {
  Generator gen(31);
  const int64_t channels = c.x[1];
  const Tensor x0 = uniform(c.x, -2, 2, gen, {dtype}) + c.offset;
  const Tensor w0 = uniform({channels}, 0.5, 1.5, gen, {dtype});
  const Tensor b0 = uniform({channels}, -1, 1, gen, {dtype});
  const Tensor mean0 = uniform({channels}, -1, 1, gen, {dtype}) + c.offset;
  const Tensor var0 = uniform({channels}, 0.5, 2, gen, {dtype});
  const Tensor grad_y = uniform(c.x, -1, 1, gen, {dtype});
  Tensor x = leaf_on(x0, device);
  Tensor w = c.affine ? leaf_on(w0, device) : Tensor();
  Tensor b = c.affine ? leaf_on(b0, device) : Tensor();
  Tensor running_mean = mean0.to(device).clone(), running_var = var0.to(device).clone();
  const Tensor y = batch_norm(x, w, b, running_mean, running_var, training, 0.1, 1e-5);
  backward(y, grad_y.to(device));
  return {y.to(Device::cpu()),
          grad_on_cpu(x),
          grad_on_cpu(w),
          grad_on_cpu(b),
          running_mean.to(Device::cpu()),
          running_var.to(Device::cpu())};
}

void expect_norm_matches_cpu(const NormCase& c, DType dtype, bool training) {
  SCOPED_TRACE(std::string(c.name) + (dtype == kF64 ? " f64" : " f32") +
               (training ? " training" : " eval"));
  const NormResult want = run_norm(c, dtype, training, Device::cpu());
  const NormResult got = run_norm(c, dtype, training, Device::cuda());
  // Both backends sum in double and round once; the bound is |want| itself.
  const double tol = tolerance(dtype);
  expect_close(got.y, want.y, want.y, tol, "y");
  expect_close(got.grad_x, want.grad_x, want.grad_x, tol, "grad_x");
  expect_close(got.grad_w, want.grad_w, want.grad_w, tol, "grad_weight");
  expect_close(got.grad_b, want.grad_b, want.grad_b, tol, "grad_bias");
  expect_close(got.running_mean, want.running_mean, want.running_mean, tol, "running_mean");
  expect_close(got.running_var, want.running_var, want.running_var, tol, "running_var");
}

TEST_F(CudaConvNorm, BatchNormTrainingMatchesCpu) {
  for (DType dtype : {kF32, kF64})
    for (const NormCase& c : norm_cases()) expect_norm_matches_cpu(c, dtype, true);
}

TEST_F(CudaConvNorm, BatchNormEvalMatchesCpu) {
  for (DType dtype : {kF32, kF64})
    for (const NormCase& c : norm_cases()) expect_norm_matches_cpu(c, dtype, false);
}

TEST_F(CudaConvNorm, BatchNormRerunsAreBitIdentical) {
  const NormCase c = norm_cases()[3];
  for (bool training : {true, false}) {
    const NormResult first = run_norm(c, kF32, training, Device::cuda());
    const NormResult second = run_norm(c, kF32, training, Device::cuda());
    expect_identical(first.y, second.y, "y");
    expect_identical(first.grad_x, second.grad_x, "grad_x");
    expect_identical(first.grad_w, second.grad_w, "grad_weight");
    expect_identical(first.grad_b, second.grad_b, "grad_bias");
    expect_identical(first.running_var, second.running_var, "running_var");
  }
}

}  // namespace
}  // namespace staa
