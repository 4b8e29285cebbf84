// CUDA parity: the ops the CUDA backend implements give the CPU's results (label cuda; every
// test skips with the reason on a machine without a GPU). Layer: tests.
#include <gtest/gtest.h>

#include <cmath>

#include "autograd/ops.h"
#include "tensor/backend.h"

namespace staa {
namespace {

class Cuda : public ::testing::Test {
 protected:
  void SetUp() override {
    if (cuda_backend() == nullptr) GTEST_SKIP() << "built without the CUDA backend (STAA_CUDA=OFF)";
    if (!cuda_available()) GTEST_SKIP() << "no CUDA device on this machine";
  }
  static Tensor gpu(const Tensor& t) { return t.to(Device::cuda()); }
  static void expect_near(const Tensor& got, const Tensor& want, double tol) {
    const auto g = got.to_vector(), w = want.to_vector();
    ASSERT_EQ(got.shape(), want.shape());
    for (size_t i = 0; i < g.size(); ++i) EXPECT_NEAR(g[i], w[i], tol * (1 + std::abs(w[i]))) << i;
  }
};

TEST_F(Cuda, RoundTripAndCast) {
  Generator gen(1);
  const Tensor x = uniform({5, 7}, -1, 1, gen);
  EXPECT_EQ(gpu(x).to(Device::cpu()).to_vector(), x.to_vector());
  EXPECT_EQ(gpu(x).to(kF64).to(Device::cpu()).to_vector(), x.to(kF64).to_vector());
}

TEST_F(Cuda, RandomFillsMatchTheCpuStream) {
  Generator a(77), b(77);
  const Tensor cpu = uniform({1000}, 0, 1, a, {kF64});
  const Tensor cuda = uniform({1000}, 0, 1, b, {kF64, Device::cuda()});
  EXPECT_EQ(cuda.to(Device::cpu()).to_vector(), cpu.to_vector());
}

TEST_F(Cuda, ElementwiseForwardAndBackwardMatchCpu) {
  Generator gen(2);
  const Tensor a = uniform({4, 1, 6}, 0.5, 2, gen), b = uniform({3, 6}, 0.5, 2, gen);
  auto run = [](const Tensor& x, const Tensor& y) {
    return sigmoid(x) * log(y) + maximum(x, y) / (x + 1.0) - sqrt(y);
  };
  expect_near(run(gpu(a), gpu(b)).to(Device::cpu()), run(a, b), 1e-5);
}

TEST_F(Cuda, MatmulMatchesCpu) {
  Generator gen(3);
  const Tensor a = uniform({2, 33, 17}, -1, 1, gen), b = uniform({2, 19, 17}, -1, 1, gen);
  expect_near(matmul(gpu(a), gpu(b), false, true).to(Device::cpu()), matmul(a, b, false, true),
              1e-4);
}

}  // namespace
}  // namespace staa
