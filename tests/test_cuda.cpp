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

TEST_F(Cuda, LifForwardAndBpttMatchCpu) {
  // f64, per-channel learnable leak and gain, hard and soft reset: spikes equal, gradients close
  // (the CUDA kernel sums the leak / gain gradients with atomics, in another order).
  Generator gen(4);
  const Tensor x = uniform({4, 3, 5, 7}, -0.5, 2.5, gen, {kF64});
  const Tensor m = uniform({5}, 0.3, 0.8, gen, {kF64}), n = uniform({5}, 0.4, 0.9, gen, {kF64});
  const Tensor w = uniform({4, 3, 5, 7}, -1, 1, gen, {kF64});
  for (bool soft : {false, true}) {
    LifParams p;
    p.soft_reset = soft;
    std::vector<Tensor> grads[2], spikes;
    for (int device = 0; device < 2; ++device) {
      auto on = [&](const Tensor& t) { return (device ? gpu(t) : t.clone()).set_requires_grad(true); };
      Tensor xd = on(x), md = on(m), nd = on(n);
      const Tensor s = lif(xd, md, nd, p);
      backward(sum(s * (device ? gpu(w) : w)));
      spikes.push_back(s.to(Device::cpu()));
      grads[device] = {xd.grad().to(Device::cpu()), md.grad().to(Device::cpu()),
                       nd.grad().to(Device::cpu())};
    }
    EXPECT_EQ(spikes[0].to_vector(), spikes[1].to_vector());
    for (int i = 0; i < 3; ++i) expect_near(grads[1][i], grads[0][i], 1e-12);
  }
}

}  // namespace
}  // namespace staa
