// The op-case table: one entry per (op, situation), each with input specs, the call, and a plain
// reference. It drives forward checks, backward with a random cotangent, f64 finite-difference
// gradient checks, and the coverage check that every op in the op list has a case. Layer: tests.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "autograd/ops.h"
#include "op_matrix/reference.h"

namespace staa::test {

struct InputSpec {
  Shape shape;
  double low = -1.0, high = 1.0;  // uniform range of a floating input
  int64_t index_high = 0;         // > 0: an i64 index input with values in [0, index_high)
  bool differentiable = true;     // floating input that the gradient check perturbs
};

// Input specs for the case tables.
// A differentiable floating input, uniform in [low, high).
inline InputSpec in(Shape s, double low = -1.0, double high = 1.0) {
  return {s, low, high, 0, true};
}
// An i64 index input with values in [0, high).
inline InputSpec index_in(Shape s, int64_t high) {
  return {s, 0, 0, high, false};
}
// A floating input the gradient check leaves alone (masks, running statistics).
inline InputSpec buffer_in(Shape s, double low = -1.0, double high = 1.0) {
  return {s, low, high, 0, false};
}

struct OpCase {
  std::string op;     // the op-list entry this case covers
  std::string label;  // what the case exercises; unique within the table
  std::vector<InputSpec> inputs;
  std::function<Tensor(const std::vector<Tensor>&)> fn;
  std::function<ref::Array(const std::vector<ref::Array>&)> reference;
  bool check_grad = true;  // false for ops without a gradient (comparisons)
};

std::vector<OpCase> all_op_cases();

// Cases of the convolution family (op_matrix/cases_conv.cpp) and of pooling, normalisation and
// linear (op_matrix/cases_pool_norm.cpp).
void conv_cases(std::vector<OpCase>& table);
void pool_norm_cases(std::vector<OpCase>& table);
// Cases of the spike ops and the fused LIF (op_matrix/cases_neuron.cpp).
void neuron_cases(std::vector<OpCase>& table);

// The inputs of a case in `dtype`, the same numbers on every call (seeded by the label): floating
// inputs drawn in f64 then cast, so f32 and f64 runs see the same values up to rounding; they
// require grad when `grad`, the input is differentiable and the case checks gradients.
std::vector<Tensor> make_inputs(const OpCase& c, DType dtype, bool grad);
// A random normal cotangent for a case's output, seeded by the label.
std::vector<double> random_cotangent(const OpCase& c, const Shape& shape);

// Every op that must have a case: the differentiable-op list plus the comparisons.
std::vector<std::string> required_ops();
// The required ops with no case in `cases` (empty when the table is complete).
std::vector<std::string> ops_without_case(const std::vector<OpCase>& cases);

}  // namespace staa::test
