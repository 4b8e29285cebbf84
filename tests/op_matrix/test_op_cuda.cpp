// The op matrix on CUDA: every case of op_cases.cpp runs on the GPU and on the CPU from the same
// inputs, forward and backward with the case's random cotangent, in f32 and f64, and the results
// must agree (label cuda; skips with the reason on a machine without a GPU). Layer: tests.
#include <gtest/gtest.h>

#include <cmath>

#include "op_matrix/op_cases.h"
#include "tensor/backend.h"

namespace staa::test {
namespace {

const std::vector<OpCase>& cases() {
  static const std::vector<OpCase> table = all_op_cases();
  return table;
}

// Normalised mean squared error sum((got - want)^2) / sum(want^2) (plain squared error when want
// is all zeros).
double nmse(const std::vector<double>& got, const std::vector<double>& want) {
  double err = 0, norm = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    err += (got[i] - want[i]) * (got[i] - want[i]);
    norm += want[i] * want[i];
  }
  return norm > 0 ? err / norm : err;
}

// f32: the bound, which kernels that sum in another order (cuDNN, cuBLAS, tree
// reductions) meet with margin: their results differ from the CPU's by a few ulps, NMSE ~1e-12.
// f64: the same argument at double precision. A spike that flips because the two devices round
// a membrane potential within ~1e-7 of v_th differently would show up here as a large error;
// the cases' random inputs keep potentials well away from the threshold.
double tolerance(DType dtype) {
  return dtype == kF32 ? 1e-7 : 1e-20;
}

void expect_same(const Tensor& gpu, const Tensor& cpu, DType dtype, const std::string& what) {
  ASSERT_TRUE(gpu.device().is_cuda()) << what << " came back on " << gpu.device();
  ASSERT_EQ(gpu.shape(), cpu.shape()) << what;
  ASSERT_EQ(gpu.dtype(), cpu.dtype()) << what;
  const std::vector<double> want = cpu.to_vector(), got = gpu.to_vector();
  EXPECT_LE(nmse(got, want), tolerance(dtype)) << what;
}

class OpCuda : public ::testing::TestWithParam<size_t> {
 protected:
  void SetUp() override {
    if (cuda_backend() == nullptr) GTEST_SKIP() << "built without the CUDA backend (STAA_CUDA=OFF)";
    if (!cuda_available()) GTEST_SKIP() << "no CUDA device on this machine";
  }
  const OpCase& op_case() const { return cases()[GetParam()]; }
};

// The same inputs on the GPU, as fresh leaves that require grad where the CPU ones do.
std::vector<Tensor> on_gpu(const std::vector<Tensor>& xs) {
  std::vector<Tensor> out;
  for (const Tensor& x : xs) {
    Tensor g = x.detach().to(Device::cuda());
    if (x.requires_grad()) g.set_requires_grad(true);
    out.push_back(g);
  }
  return out;
}

TEST_P(OpCuda, ForwardAndBackwardMatchTheCpu) {
  const OpCase& c = op_case();
  for (DType dtype : {kF32, kF64}) {
    const std::string tag = c.label + " " + dtype_name(dtype);
    const std::vector<Tensor> cpu_in = make_inputs(c, dtype, true);
    const std::vector<Tensor> gpu_in = on_gpu(cpu_in);
    // One device at a time: backward consumes the tape, so each forward is followed by its own.
    const Tensor cpu_out = c.fn(cpu_in);
    const Tensor cot = from_vector(random_cotangent(c, cpu_out.shape()), cpu_out.shape(), {dtype});
    if (c.check_grad) backward(cpu_out, cot);
    const Tensor gpu_out = c.fn(gpu_in);
    if (c.check_grad) backward(gpu_out, cot.to(Device::cuda()));
    expect_same(gpu_out, cpu_out, dtype, tag + " forward");
    if (!c.check_grad) continue;
    for (size_t k = 0; k < cpu_in.size(); ++k) {
      if (!cpu_in[k].requires_grad()) continue;
      ASSERT_TRUE(gpu_in[k].grad().defined()) << tag << ": input " << k << " got no gradient";
      expect_same(gpu_in[k].grad(), cpu_in[k].grad(), dtype,
                  tag + " gradient of input " + std::to_string(k));
    }
  }
}

std::vector<size_t> all_cases() {
  std::vector<size_t> idx(cases().size());
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  return idx;
}

INSTANTIATE_TEST_SUITE_P(Ops, OpCuda, ::testing::ValuesIn(all_cases()),
                         [](const ::testing::TestParamInfo<size_t>& info) {
                           return cases()[info.param].label;
                         });

}  // namespace
}  // namespace staa::test
