// CUDA parity: the ops the CUDA backend implements give the CPU's results (label cuda; every
// test skips with the reason on a machine without a GPU). Layer: tests.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "autograd/ops.h"
#include "tensor/backend.h"
#include "tensor/cuda_api.h"

namespace staa {
namespace {

// ||got - want|| / ||want|| over the whole tensor (NMSE-style; absolute when want is 0).
double relative_error(const Tensor& got, const Tensor& want) {
  EXPECT_EQ(got.shape(), want.shape());
  const auto g = got.to_vector(), w = want.to_vector();
  if (g.size() != w.size()) return INFINITY;
  double diff = 0, norm = 0;
  for (size_t i = 0; i < g.size(); ++i) {
    diff += (g[i] - w[i]) * (g[i] - w[i]);
    norm += w[i] * w[i];
  }
  return std::sqrt(diff) / (norm > 0 ? std::sqrt(norm) : 1.0);
}

// The kernels of reduce.cu, shape.cu and pool.cu differ from the CPU's only in summation order
// (f64: rounding at 1e-16, kept well under 1e-12) and, in f32, in float vs double accumulation
// and the device's exp / log (a few ulps, kept under 1e-5).
double tolerance(DType dtype) {
  return dtype == kF64 ? 1e-12 : 1e-5;
}

using Fn = std::function<Tensor(const std::vector<Tensor>&)>;

// Runs f on the CPU and on CUDA copies of `inputs` (floating ones require grad), back-propagates
// one random cotangent on both, and compares the outputs and every floating input's gradient.
// exact: the CUDA gradients must equal the CPU's bit for bit (deterministic kernels that add in
// the CPU's order).
void expect_parity(const std::vector<Tensor>& inputs, const Fn& f, const std::string& what,
                   bool exact = false) {
  Tensor outs[2];
  std::vector<Tensor> grads[2];
  for (int device = 0; device < 2; ++device) {
    std::vector<Tensor> xs;
    for (const Tensor& t : inputs) {
      Tensor c = device ? t.to(Device::cuda()) : t.clone();
      if (c.dtype() != kI64) c.set_requires_grad(true);
      xs.push_back(c);
    }
    const Tensor y = f(xs);
    Generator gen(99);
    const Tensor cotangent = uniform(y.shape(), -1, 1, gen, {y.dtype()});
    backward(y, device ? cotangent.to(Device::cuda()) : cotangent);
    outs[device] = y.to(Device::cpu());
    for (const Tensor& x : xs)
      if (x.dtype() != kI64) grads[device].push_back(x.grad().to(Device::cpu()));
  }
  const double tol = tolerance(outs[0].dtype());
  EXPECT_LE(relative_error(outs[1], outs[0]), tol) << what << ": forward";
  for (size_t i = 0; i < grads[0].size(); ++i) {
    EXPECT_LE(relative_error(grads[1][i], grads[0][i]), tol) << what << ": grad of input " << i;
    if (exact) {
      EXPECT_EQ(grads[1][i].to_vector(), grads[0][i].to_vector()) << what << ": exact";
    }
  }
}

std::string name_of(DType dtype) {
  return dtype == kF64 ? "f64" : "f32";
}

// Restores the process-wide deterministic setting when a test ends.
struct DeterministicGuard {
  bool saved = deterministic();
  explicit DeterministicGuard(bool on) { set_deterministic(on); }
  ~DeterministicGuard() { set_deterministic(saved); }
};

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
  // (the CUDA kernel sums the leak / gain gradients with atomics, in another order, or under
  // deterministic() per channel in a fixed order).
  Generator gen(4);
  const Tensor x = uniform({4, 3, 5, 7}, -0.5, 2.5, gen, {kF64});
  const Tensor m = uniform({5}, 0.3, 0.8, gen, {kF64}), n = uniform({5}, 0.4, 0.9, gen, {kF64});
  const Tensor w = uniform({4, 3, 5, 7}, -1, 1, gen, {kF64});
  for (const auto& [soft, det] :
       std::vector<std::pair<bool, bool>>{{false, false}, {true, false}, {false, true}}) {
    const DeterministicGuard guard(det);
    LifParams p;
    p.soft_reset = soft;
    std::vector<Tensor> grads[2], spikes;
    for (int device = 0; device < 2; ++device) {
      auto on = [&](const Tensor& t) {
        return (device ? gpu(t) : t.clone()).set_requires_grad(true);
      };
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

// Rows of no elements (x: [2, 3, 0]) still get their parameter gradients, all zero (the kernel
// once returned before writing them, leaving whatever the allocator's block held).
TEST_F(Cuda, MembraneUpdateOfEmptyRowsGivesZeroParameterGradients) {
  Generator gen(12);
  auto leaf = [](const Tensor& t) { return gpu(t).set_requires_grad(true); };
  const Tensor x = leaf(zeros({2, 3, 0})), h = leaf(zeros({2, 3, 0}));
  const Tensor gain = leaf(uniform({2, 3}, 0.2, 1.5, gen)),
               leak = leaf(uniform({2, 3}, 0.2, 1.5, gen));
  const Tensor bias = leaf(uniform({2, 3}, -1, 1, gen));
  backward(sum(membrane_update(x, h, gain, leak, bias)));
  for (const Tensor* p : {&gain, &leak, &bias}) {
    ASSERT_TRUE(p->grad().defined());
    EXPECT_EQ(p->grad().to(Device::cpu()).to_vector(), std::vector<double>(6, 0.0));
  }
}

TEST_F(Cuda, SumMeanMaxMatchCpu) {
  // Shapes and dims that reach both reduce kernels: a thread per output (short reductions, or a
  // kept last dim with many outputs) and a block per output (long contiguous runs, or few outputs).
  struct Case {
    Shape shape;
    std::vector<int64_t> dims;
  };
  const std::vector<Case> cases = {
      {{4, 5, 6, 7}, {}},     {{4, 5, 6, 7}, {0}},     {{4, 5, 6, 7}, {1, 3}}, {{4, 5, 6, 7}, {3}},
      {{4, 5, 6, 7}, {0, 2}}, {{4, 5, 6, 7}, {2, 3}},  {{3, 3000}, {1}},       {{2000, 3}, {0}},
      {{300, 5000}, {0}},     {{6, 70, 2, 9}, {1, 3}}, {{1, 5, 1}, {0, 2}},
  };
  for (DType dtype : {kF32, kF64}) {
    Generator gen(11);
    for (const Case& c : cases) {
      const Tensor x = uniform(c.shape, -1, 1, gen, {dtype});
      const std::string what = name_of(dtype) + " " + ::testing::PrintToString(c.dims);
      expect_parity(
          {x}, [&](const std::vector<Tensor>& v) { return sum(v[0], c.dims); }, "sum " + what);
      expect_parity(
          {x}, [&](const std::vector<Tensor>& v) { return mean(v[0], c.dims, true); },
          "mean " + what);
      // Continuous random inputs: no ties at the max.
      expect_parity(
          {x}, [&](const std::vector<Tensor>& v) { return max(v[0], c.dims).values; },
          "max " + what);
      EXPECT_EQ(max(gpu(x), c.dims).indices.to(Device::cpu()).to_vector(),
                max(x, c.dims).indices.to_vector())
          << "max indices " << what;
    }
  }
}

TEST_F(Cuda, MaxTiesGoToTheFirstPosition) {
  // All equal: the lowest row-major position within the reduced dims wins, in both kernels
  // ([2, 3000] over dim 1 takes the block kernel).
  struct Case {
    Shape shape;
    std::vector<int64_t> dims;
  };
  for (const Case& c : std::vector<Case>{{{3, 4, 5}, {1}},
                                         {{3, 4, 5}, {0, 2}},
                                         {{3, 4, 5}, {}},
                                         {{2, 3000}, {1}},
                                         {{2, 3000}, {}}}) {
    const Tensor x = full(c.shape, 0.5, {kF64});
    EXPECT_EQ(max(gpu(x), c.dims).indices.to(Device::cpu()).to_vector(),
              max(x, c.dims).indices.to_vector());
  }
}

TEST_F(Cuda, PermuteExpandMatchCpu) {
  for (DType dtype : {kF32, kF64}) {
    Generator gen(12);
    const std::string d = name_of(dtype);
    const Tensor x = uniform({2, 3, 4, 5}, -1, 1, gen, {dtype});
    expect_parity(
        {x},
        [](const std::vector<Tensor>& v) {
          return permute(v[0], {2, 0, 3, 1});
        },
        "permute " + d);
    expect_parity(
        {x}, [](const std::vector<Tensor>& v) { return transpose(v[0], 1, 3); }, "transpose " + d);
    const Tensor b = uniform({3, 1, 5}, -1, 1, gen, {dtype});
    expect_parity(
        {b},
        [](const std::vector<Tensor>& v) {
          return expand(v[0], {2, 3, 4, 5});
        },
        "expand " + d);
    const Tensor a = uniform({4, 1}, -1, 1, gen, {dtype}),
                 c = uniform({3, 1, 6}, -1, 1, gen, {dtype});
    expect_parity(
        {a, c}, [](const std::vector<Tensor>& v) { return v[0] * v[1]; }, "broadcast " + d);
  }
  const Tensor ix = from_vector(std::vector<int64_t>{0, 1, 2, 3, 4, 5}, {2, 3});
  EXPECT_EQ(permute(gpu(ix), {1, 0}).to(Device::cpu()).to_vector(),
            permute(ix, {1, 0}).to_vector());
}

TEST_F(Cuda, IndexSelectAndGatherMatchCpu) {
  // Repeated indices make the backward add into one row; both the atomic and the deterministic
  // (ordered, bit-identical to the CPU) kernels run.
  for (bool det : {false, true}) {
    const DeterministicGuard guard(det);
    for (DType dtype : {kF32, kF64}) {
      Generator gen(13);
      const std::string d = name_of(dtype) + (det ? " deterministic" : " atomic");
      const Tensor x = uniform({4, 5, 6}, -1, 1, gen, {dtype});
      const Tensor index = from_vector(std::vector<int64_t>{3, 0, 3, 2, 3, 1, 0}, {7});
      for (int64_t dim : {0, 1, 2}) {
        expect_parity(
            {x, index},
            [dim](const std::vector<Tensor>& v) { return index_select(v[0], dim, v[1]); },
            "index_select dim " + std::to_string(dim) + " " + d, det);
      }
      std::vector<int64_t> idx(4 * 8 * 6);
      for (size_t i = 0; i < idx.size(); ++i) idx[i] = static_cast<int64_t>((i * 7 + i / 5) % 5);
      const Tensor gather_index = from_vector(idx, {4, 8, 6});
      expect_parity(
          {x, gather_index}, [](const std::vector<Tensor>& v) { return gather(v[0], 1, v[1]); },
          "gather dim 1 " + d, det);
      std::vector<int64_t> last(4 * 5 * 3);
      for (size_t i = 0; i < last.size(); ++i) last[i] = static_cast<int64_t>((i * 5 + 3) % 6);
      expect_parity(
          {x, from_vector(last, {4, 5, 3})},
          [](const std::vector<Tensor>& v) { return gather(v[0], 2, v[1]); }, "gather dim 2 " + d,
          det);
    }
  }
}

TEST_F(Cuda, SoftmaxAndLogSoftmaxMatchCpu) {
  // A thread per slice (strided or short rows), a warp per row (<= 1024) and a block per row.
  struct Case {
    Shape shape;
    int64_t dim;
  };
  const std::vector<Case> cases = {{{7, 10}, 1},   {{5, 300}, 1},  {{3, 3000}, 1},
                                   {{4, 6, 5}, 1}, {{4, 6, 5}, 0}, {{2, 40}, -1}};
  for (DType dtype : {kF32, kF64}) {
    Generator gen(14);
    for (const Case& c : cases) {
      const Tensor x = uniform(c.shape, -4, 4, gen, {dtype});
      const std::string what = name_of(dtype) + " dim " + std::to_string(c.dim) + " of " +
                               ::testing::PrintToString(c.shape.numel());
      expect_parity(
          {x}, [&](const std::vector<Tensor>& v) { return softmax(v[0], c.dim); },
          "softmax " + what);
      expect_parity(
          {x}, [&](const std::vector<Tensor>& v) { return log_softmax(v[0], c.dim); },
          "log_softmax " + what);
    }
  }
}

TEST_F(Cuda, LayerNormMatchesCpu) {
  // A warp per row (cols <= 1024) and a block per row; [700, 16] splits the weight / bias sums
  // into several row chunks.
  struct Case {
    Shape shape;
    int normalized_ndim;
  };
  const std::vector<Case> cases = {{{6, 40}, 1}, {{3, 4, 600}, 2}, {{700, 16}, 1}, {{2, 5, 7}, 3}};
  for (DType dtype : {kF32, kF64}) {
    Generator gen(15);
    for (const Case& c : cases) {
      const Tensor x = uniform(c.shape, -2, 3, gen, {dtype});
      Shape features;
      for (int i = c.shape.ndim() - c.normalized_ndim; i < c.shape.ndim(); ++i)
        features.push_back(c.shape[i]);
      const Tensor w = uniform(features, 0.5, 1.5, gen, {dtype});
      const Tensor b = uniform(features, -0.5, 0.5, gen, {dtype});
      const std::string what = name_of(dtype) + " " + std::to_string(c.shape.numel());
      const int nd = c.normalized_ndim;
      expect_parity(
          {x, w, b},
          [nd](const std::vector<Tensor>& v) { return layer_norm(v[0], nd, v[1], v[2]); },
          "layer_norm affine " + what);
      expect_parity(
          {x},
          [nd](const std::vector<Tensor>& v) { return layer_norm(v[0], nd, Tensor(), Tensor()); },
          "layer_norm " + what);
    }
  }
}

TEST_F(Cuda, PoolingMatchesCpu) {
  // Odd sizes so that ceil_mode adds a window; padding with and without counting it.
  struct Case {
    std::array<int64_t, 2> kernel, stride, padding;
    bool ceil_mode, count_include_pad;
  };
  const std::vector<Case> cases = {
      {{2, 2}, {0, 0}, {0, 0}, false, true}, {{3, 3}, {2, 2}, {1, 1}, false, true},
      {{3, 3}, {2, 2}, {1, 1}, true, true},  {{3, 3}, {2, 2}, {1, 1}, true, false},
      {{3, 2}, {2, 1}, {0, 1}, true, false}, {{5, 4}, {3, 3}, {2, 2}, true, true},
  };
  for (DType dtype : {kF32, kF64}) {
    Generator gen(16);
    const Tensor x = uniform({2, 3, 11, 13}, -1, 1, gen, {dtype});
    for (size_t i = 0; i < cases.size(); ++i) {
      const Case& c = cases[i];
      Pool2dOptions o;
      o.kernel = c.kernel, o.stride = c.stride, o.padding = c.padding;
      o.ceil_mode = c.ceil_mode, o.count_include_pad = c.count_include_pad;
      const std::string what = name_of(dtype) + " case " + std::to_string(i);
      expect_parity(
          {x}, [o](const std::vector<Tensor>& v) { return avg_pool2d(v[0], o); },
          "avg_pool2d " + what);
      // Continuous random inputs: no ties within a window.
      expect_parity(
          {x}, [o](const std::vector<Tensor>& v) { return max_pool2d(v[0], o); },
          "max_pool2d " + what);
    }
    for (std::array<int64_t, 2> out : {std::array<int64_t, 2>{1, 1}, {3, 5}, {4, 13}, {17, 6}}) {
      expect_parity(
          {x}, [out](const std::vector<Tensor>& v) { return adaptive_avg_pool2d(v[0], out); },
          "adaptive_avg_pool2d " + name_of(dtype) + " " + std::to_string(out[0]) + "x" +
              std::to_string(out[1]));
    }
  }
}

// The cuda_emulated CTest entry runs this binary with STAA_EMULATE_CUDA=1: the emulated device
// must then be on, or every test here would skip and the entry would pass without testing.
TEST(CudaEmulation, IsOnWhenAskedForWithoutAGpu) {
  const char* env = std::getenv("STAA_EMULATE_CUDA");
  if (env == nullptr || std::string(env) != "1") GTEST_SKIP() << "STAA_EMULATE_CUDA is not 1";
  if (cuda_emulated()) {
    EXPECT_TRUE(cuda_available());
    EXPECT_EQ(cuda_device_count(), 1);
    const Tensor x = full({3}, 2.0, {kF32, Device::cuda()});
    EXPECT_TRUE(x.device().is_cuda());
    EXPECT_EQ((x * 2.0).to_vector(), std::vector<double>(3, 4.0));
  } else {
    EXPECT_GT(cuda_device_count(), 0) << "STAA_EMULATE_CUDA=1 without a GPU must emulate one";
  }
}

}  // namespace
}  // namespace staa
