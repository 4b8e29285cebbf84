// The op matrix: for every case of op_cases.cpp, forward against the plain reference (f32 and
// f64), backward with a random cotangent (f32 against f64), and the f64 finite-difference gradient
// check; plus the coverage check that every op in the op list has a case. Layer: tests.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <set>

#include "op_matrix/op_cases.h"

namespace staa::test {
namespace {

const std::vector<OpCase>& cases() {
  static const std::vector<OpCase> table = all_op_cases();
  return table;
}

std::vector<ref::Array> refs_of(const std::vector<Tensor>& xs) {
  std::vector<ref::Array> r;
  for (const Tensor& x : xs) r.push_back(ref::Array::of(x));
  return r;
}

void expect_close(const std::vector<double>& got, const std::vector<double>& want, double atol,
                  double rtol, const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_LE(std::abs(got[i] - want[i]), atol + rtol * std::abs(want[i]))
        << what << " element " << i << ": got " << got[i] << ", want " << want[i];
  }
}

class OpMatrix : public ::testing::TestWithParam<size_t> {
 protected:
  const OpCase& op_case() const { return cases()[GetParam()]; }
};
// The cases of ops with a gradient.
class OpGrad : public OpMatrix {};

TEST_P(OpMatrix, ForwardMatchesReference) {
  const OpCase& c = op_case();
  for (DType dtype : {kF32, kF64}) {
    const std::vector<Tensor> xs = make_inputs(c, dtype, false);
    const Tensor y = c.fn(xs);
    // The reference sees the inputs as the kernel saw them (after rounding to dtype).
    const ref::Array want = c.reference(refs_of(xs));
    ASSERT_EQ(y.shape(), want.shape) << c.label;
    EXPECT_EQ(y.dtype(), dtype);
    // f32: a few ulps of the largest intermediate (sums of up to ~30 terms of size <= 10);
    // f64: the same argument at double precision.
    const double atol = dtype == kF32 ? 2e-5 : 1e-12, rtol = dtype == kF32 ? 2e-5 : 1e-12;
    expect_close(y.to_vector(), want.v, atol, rtol, c.label + " " + dtype_name(dtype));
  }
}

// Runs the case on fresh leaves and backpropagates `cotangent`; returns each input's gradient.
std::vector<Tensor> gradients(const OpCase& c, DType dtype, const std::vector<double>& cotangent) {
  std::vector<Tensor> xs = make_inputs(c, dtype, true);
  const Tensor y = c.fn(xs);
  backward(y, from_vector(cotangent, y.shape(), {dtype}));
  std::vector<Tensor> grads;
  for (const Tensor& x : xs) grads.push_back(x.requires_grad() ? x.grad() : Tensor());
  return grads;
}

TEST_P(OpGrad, GradientMatchesFiniteDifferencesF64) {
  const OpCase& c = op_case();
  std::vector<Tensor> xs = make_inputs(c, kF64, false);
  Shape out_shape;
  {
    NoGradGuard no_grad;
    out_shape = c.fn(xs).shape();
  }
  const std::vector<double> cot = random_cotangent(c, out_shape);
  const std::vector<Tensor> grads = gradients(c, kF64, cot);
  // L(x) = sum(f(x) * cotangent); central differences with h = 1e-6.
  auto loss = [&](const std::vector<Tensor>& in) {
    NoGradGuard no_grad;
    const std::vector<double> y = c.fn(in).to_vector();
    double l = 0;
    for (size_t i = 0; i < y.size(); ++i) l += y[i] * cot[i];
    return l;
  };
  constexpr double h = 1e-6;
  for (size_t k = 0; k < xs.size(); ++k) {
    if (c.inputs[k].index_high > 0 || !c.inputs[k].differentiable) continue;
    ASSERT_TRUE(grads[k].defined()) << c.label << ": input " << k << " got no gradient";
    const std::vector<double> g = grads[k].to_vector();
    double* p = xs[k].data<double>();
    for (int64_t i = 0; i < xs[k].numel(); ++i) {
      const double saved = p[i];
      p[i] = saved + h;
      const double up = loss(xs);
      p[i] = saved - h;
      const double down = loss(xs);
      p[i] = saved;
      const double numeric = (up - down) / (2 * h);
      EXPECT_LE(std::abs(g[i] - numeric), 1e-5 + 1e-3 * std::abs(numeric))
          << c.label << " input " << k << " element " << i << ": autograd " << g[i]
          << ", finite differences " << numeric;
    }
  }
}

TEST_P(OpGrad, BackwardF32MatchesF64WithRandomCotangent) {
  const OpCase& c = op_case();
  Shape out_shape;
  {
    NoGradGuard no_grad;
    out_shape = c.fn(make_inputs(c, kF64, false)).shape();
  }
  const std::vector<double> cot = random_cotangent(c, out_shape);
  const std::vector<Tensor> g32 = gradients(c, kF32, cot), g64 = gradients(c, kF64, cot);
  for (size_t k = 0; k < g32.size(); ++k) {
    ASSERT_EQ(g32[k].defined(), g64[k].defined());
    if (!g32[k].defined()) continue;
    EXPECT_EQ(g32[k].dtype(), kF32);
    // f32 rounding of inputs and intermediates, amplified at most ~10x by these small graphs.
    expect_close(g32[k].to_vector(), g64[k].to_vector(), 1e-4, 1e-4,
                 c.label + " gradient of input " + std::to_string(k));
  }
}

std::string case_name(const ::testing::TestParamInfo<size_t>& info) {
  return cases()[info.param].label;
}

std::vector<size_t> case_indices(bool grad_only) {
  std::vector<size_t> idx;
  for (size_t i = 0; i < cases().size(); ++i)
    if (!grad_only || cases()[i].check_grad) idx.push_back(i);
  return idx;
}

INSTANTIATE_TEST_SUITE_P(Ops, OpMatrix, ::testing::ValuesIn(case_indices(false)), case_name);
INSTANTIATE_TEST_SUITE_P(Ops, OpGrad, ::testing::ValuesIn(case_indices(true)), case_name);

TEST(OpCoverage, EveryOpInTheOpListHasACase) {
  const std::vector<std::string> missing = ops_without_case(cases());
  std::string list;
  for (const auto& op : missing) list += op + " ";
  EXPECT_TRUE(missing.empty()) << "ops without a case in tests/op_matrix/op_cases.cpp: " << list;
}

TEST(OpCoverage, FailsForAnOpWithoutACase) {
  std::vector<OpCase> without_exp;
  for (const OpCase& c : cases())
    if (c.op != "exp") without_exp.push_back(c);
  EXPECT_EQ(ops_without_case(without_exp), std::vector<std::string>{"exp"});
}

TEST(OpCoverage, CaseLabelsAreUniqueAndOpsExist) {
  std::set<std::string> labels;
  const std::vector<std::string> ops = required_ops();
  for (const OpCase& c : cases()) {
    EXPECT_TRUE(labels.insert(c.label).second) << "duplicate label " << c.label;
    EXPECT_NE(std::find(ops.begin(), ops.end(), c.op), ops.end())
        << c.label << ": unknown op " << c.op;
  }
}

}  // namespace
}  // namespace staa::test
