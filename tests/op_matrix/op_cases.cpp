// The op-case table (see op_cases.h). Inputs are kept away from kinks and ties (relu, abs, clamp,
// max) by their ranges, and away from poles (log, sqrt, div) likewise, so finite differences are
// meaningful. Layer: tests.
#include "op_matrix/op_cases.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <set>
#include <string>

#include "tensor/generator.h"

namespace staa::test {

namespace {

using Inputs = std::vector<Tensor>;
using Refs = std::vector<ref::Array>;

void add_unary(std::vector<OpCase>& t, const std::string& op, const std::string& label, Shape s,
               double low, double high, std::function<Tensor(const Tensor&)> fn,
               std::function<double(double)> f) {
  t.push_back({op,
               label,
               {in(s, low, high)},
               [fn](const Inputs& x) { return fn(x[0]); },
               [f](const Refs& r) { return ref::map(r[0], f); }});
}

void add_binary(std::vector<OpCase>& t, const std::string& op, const std::string& label,
                InputSpec a, InputSpec b, std::function<Tensor(const Tensor&, const Tensor&)> fn,
                std::function<double(double, double)> f, bool grad = true) {
  t.push_back({op,
               label,
               {a, b},
               [fn](const Inputs& x) { return fn(x[0], x[1]); },
               [f](const Refs& r) { return ref::zip(r[0], r[1], f); },
               grad});
}

void unary_cases(std::vector<OpCase>& t) {
  const Shape s{3, 4};
  add_unary(
      t, "neg", "neg", s, -1, 1, [](auto& x) { return neg(x); }, [](double x) { return -x; });
  add_unary(
      t, "abs", "abs", s, -1, 1, [](auto& x) { return abs(x); },
      [](double x) { return std::abs(x); });
  add_unary(
      t, "exp", "exp", s, -2, 2, [](auto& x) { return exp(x); },
      [](double x) { return std::exp(x); });
  add_unary(
      t, "log", "log", s, 0.2, 3, [](auto& x) { return log(x); },
      [](double x) { return std::log(x); });
  add_unary(
      t, "sqrt", "sqrt", s, 0.2, 3, [](auto& x) { return sqrt(x); },
      [](double x) { return std::sqrt(x); });
  add_unary(
      t, "square", "square", s, -2, 2, [](auto& x) { return square(x); },
      [](double x) { return x * x; });
  add_unary(
      t, "relu", "relu", Shape{2, 3, 5}, -1, 1, [](auto& x) { return relu(x); },
      [](double x) { return x > 0 ? x : 0.0; });
  add_unary(
      t, "sigmoid", "sigmoid", s, -4, 4, [](auto& x) { return sigmoid(x); },
      [](double x) { return 1 / (1 + std::exp(-x)); });
  add_unary(
      t, "tanh", "tanh", s, -2, 2, [](auto& x) { return tanh(x); },
      [](double x) { return std::tanh(x); });
  add_unary(
      t, "pow_scalar", "pow_2_5", s, 0.3, 2, [](auto& x) { return pow(x, 2.5); },
      [](double x) { return std::pow(x, 2.5); });
  add_unary(
      t, "pow_scalar", "pow_minus_1", s, 0.3, 2, [](auto& x) { return pow(x, -1.0); },
      [](double x) { return 1 / x; });
  add_unary(
      t, "clamp", "clamp", s, -1, 1, [](auto& x) { return clamp(x, -0.5, 0.4); },
      [](double x) { return std::min(std::max(x, -0.5), 0.4); });
  add_unary(
      t, "add_scalar", "add_scalar", s, -1, 1, [](auto& x) { return x + 2.5; },
      [](double x) { return x + 2.5; });
  add_unary(
      t, "add_scalar", "sub_scalar", s, -1, 1, [](auto& x) { return x - 0.75; },
      [](double x) { return x - 0.75; });
  add_unary(
      t, "mul_scalar", "mul_scalar", s, -1, 1, [](auto& x) { return 3.0 * x; },
      [](double x) { return 3 * x; });
  add_unary(
      t, "mul_scalar", "div_by_scalar", s, -1, 1, [](auto& x) { return x / 4.0; },
      [](double x) { return x / 4; });
  add_unary(
      t, "rsub_scalar", "rsub_scalar", s, -1, 1, [](auto& x) { return 3.0 - x; },
      [](double x) { return 3 - x; });
  add_unary(
      t, "rdiv_scalar", "rdiv_scalar", s, 0.4, 2, [](auto& x) { return 2.0 / x; },
      [](double x) { return 2 / x; });
  add_unary(
      t, "maximum_scalar", "maximum_scalar", s, -1, 1, [](auto& x) { return maximum(x, 0.1); },
      [](double x) { return std::max(x, 0.1); });
  add_unary(
      t, "minimum_scalar", "minimum_scalar", s, -1, 1, [](auto& x) { return minimum(x, 0.1); },
      [](double x) { return std::min(x, 0.1); });
}

void binary_cases(std::vector<OpCase>& t) {
  const auto add_f = [](const Tensor& a, const Tensor& b) { return a + b; };
  const auto plus = [](double a, double b) { return a + b; };
  add_binary(t, "add", "add_same_shape", in({3, 4}), in({3, 4}), add_f, plus);
  add_binary(t, "add", "add_broadcast_column_row", in({3, 1}), in({4}), add_f, plus);
  add_binary(t, "add", "add_broadcast_3d", in({2, 3, 4}), in({3, 1}), add_f, plus);
  add_binary(t, "add", "add_scalar_tensor", in({2, 3}), in({}), add_f, plus);
  add_binary(
      t, "sub", "sub_broadcast", in({2, 1, 4}), in({3, 1}), [](auto& a, auto& b) { return a - b; },
      [](double a, double b) { return a - b; });
  add_binary(
      t, "mul", "mul_broadcast", in({2, 3, 4}), in({1, 3, 1}),
      [](auto& a, auto& b) { return a * b; }, [](double a, double b) { return a * b; });
  add_binary(
      t, "mul", "mul_same_input_twice", in({3, 4}), in({3, 4}),
      [](auto& a, auto& b) { return a * a + b; }, [](double a, double b) { return a * a + b; });
  add_binary(
      t, "div", "div_broadcast", in({3, 4}), in({4}, 0.5, 2.0),
      [](auto& a, auto& b) { return a / b; }, [](double a, double b) { return a / b; });
  add_binary(
      t, "maximum", "maximum_broadcast", in({3, 4}), in({4}),
      [](auto& a, auto& b) { return maximum(a, b); },
      [](double a, double b) { return std::max(a, b); });
  add_binary(
      t, "minimum", "minimum", in({3, 4}), in({3, 4}),
      [](auto& a, auto& b) { return minimum(a, b); },
      [](double a, double b) { return std::min(a, b); });
  const std::vector<std::pair<std::string, std::function<double(double, double)>>> compares = {
      {"eq", [](double a, double b) { return double(a == b); }},
      {"ne", [](double a, double b) { return double(a != b); }},
      {"lt", [](double a, double b) { return double(a < b); }},
      {"le", [](double a, double b) { return double(a <= b); }},
      {"gt", [](double a, double b) { return double(a > b); }},
      {"ge", [](double a, double b) { return double(a >= b); }}};
  for (const auto& [name, f] : compares) {
    const std::string op = name;
    // a == b where a is rounded: ties are present so eq/le/ge see both outcomes.
    t.push_back({op,
                 op + "_broadcast",
                 {buffer_in({3, 4}), buffer_in({4})},
                 [op](const Inputs& x) {
                   const Tensor a = x[0], b = slice(x[0], 0, 1).view_as(Shape{4});
                   const Tensor bb = where(gt(x[1], 0.0), b, x[1]);
                   if (op == "eq") return eq(a, bb);
                   if (op == "ne") return ne(a, bb);
                   if (op == "lt") return lt(a, bb);
                   if (op == "le") return le(a, bb);
                   if (op == "gt") return gt(a, bb);
                   return ge(a, bb);
                 },
                 [f](const Refs& r) {
                   ref::Array b{Shape{4}, {r[0].v.begin(), r[0].v.begin() + 4}};
                   b = ref::where(ref::map(r[1], [](double v) { return double(v > 0); }), b, r[1]);
                   return ref::zip(r[0], b, f);
                 },
                 false});
  }
  t.push_back({"where",
               "where_broadcast",
               {buffer_in({3, 1}), in({3, 4}), in({4})},
               [](const Inputs& x) { return where(gt(x[0], 0.0), x[1], x[2]); },
               [](const Refs& r) {
                 return ref::where(ref::map(r[0], [](double v) { return double(v > 0); }), r[1],
                                   r[2]);
               }});
}

std::vector<int> dims_of(std::initializer_list<int> d) {
  return d;
}

void reduce_cases(std::vector<OpCase>& t) {
  t.push_back({"sum",
               "sum_all",
               {in({3, 4})},
               [](const Inputs& x) { return sum(x[0]); },
               [](const Refs& r) { return ref::sum(r[0], {}, false); }});
  t.push_back({"sum",
               "sum_dims_0_2_keepdim",
               {in({2, 3, 4, 2})},
               [](const Inputs& x) {
                 return sum(x[0], {0, 2}, true);
               },
               [](const Refs& r) {
                 return ref::sum(r[0], dims_of({0, 2}), true);
               }});
  t.push_back({"sum",
               "sum_last_dim",
               {in({3, 5})},
               [](const Inputs& x) { return sum(x[0], {-1}); },
               [](const Refs& r) { return ref::sum(r[0], dims_of({1}), false); }});
  t.push_back(
      {"mean",
       "mean_dims_0_2",
       {in({2, 3, 4})},
       [](const Inputs& x) {
         return mean(x[0], {0, 2});
       },
       [](const Refs& r) {
         return ref::map(ref::sum(r[0], dims_of({0, 2}), false), [](double v) { return v / 8; });
       }});
  t.push_back({"var",
               "var_dim_1",
               {in({3, 5})},
               [](const Inputs& x) { return var(x[0], {1}); },
               [](const Refs& r) {
                 ref::Array out{Shape{3}, {}};
                 for (int i = 0; i < 3; ++i) {
                   double m = 0, s = 0;
                   for (int j = 0; j < 5; ++j) m += r[0].v[i * 5 + j] / 5;
                   for (int j = 0; j < 5; ++j) s += std::pow(r[0].v[i * 5 + j] - m, 2);
                   out.v.push_back(s / 4);
                 }
                 return out;
               }});
  t.push_back({"max",
               "max_dim_1",
               {in({3, 5})},
               [](const Inputs& x) { return max(x[0], {1}).values; },
               [](const Refs& r) { return ref::max(r[0], dims_of({1}), false); }});
  t.push_back({"max",
               "max_dims_0_2_keepdim",
               {in({2, 3, 4})},
               [](const Inputs& x) {
                 return max(x[0], {0, 2}, true).values;
               },
               [](const Refs& r) {
                 return ref::max(r[0], dims_of({0, 2}), true);
               }});
  t.push_back({"max",
               "max_dim_0_keeps_last",
               {in({4, 3})},
               [](const Inputs& x) { return max(x[0], {0}).values; },
               [](const Refs& r) { return ref::max(r[0], dims_of({0}), false); }});
  t.push_back({"sum_to",
               "sum_to_broadcast_source",
               {in({2, 3, 4})},
               [](const Inputs& x) {
                 return sum_to(x[0], Shape{3, 1});
               },
               [](const Refs& r) {
                 ref::Array s = ref::sum(r[0], dims_of({0, 2}), true);
                 s.shape = Shape{3, 1};
                 return s;
               }});
}

void shape_cases(std::vector<OpCase>& t) {
  t.push_back({"reshape",
               "reshape_infer",
               {in({2, 6})},
               [](const Inputs& x) {
                 return reshape(x[0], {3, -1}) * 2.0;
               },
               [](const Refs& r) {
                 ref::Array a = ref::map(r[0], [](double v) { return 2 * v; });
                 a.shape = Shape{3, 4};
                 return a;
               }});
  t.push_back({"slice",
               "slice_rows",
               {in({5, 3})},
               [](const Inputs& x) { return slice(x[0], 1, 4); },
               [](const Refs& r) {
                 return ref::Array{Shape{3, 3}, {r[0].v.begin() + 3, r[0].v.begin() + 12}};
               }});
  t.push_back({"permute",
               "permute_3d",
               {in({2, 3, 4})},
               [](const Inputs& x) {
                 return permute(x[0], {2, 0, 1});
               },
               [](const Refs& r) {
                 return ref::permute(r[0], {2, 0, 1});
               }});
  t.push_back({"transpose",
               "transpose_last_two",
               {in({2, 3, 4})},
               [](const Inputs& x) { return transpose(x[0], -1, -2); },
               [](const Refs& r) {
                 return ref::permute(r[0], {0, 2, 1});
               }});
  t.push_back({"concat",
               "concat_dim_1",
               {in({2, 1, 3}), in({2, 3, 3}), in({2, 2, 3})},
               [](const Inputs& x) {
                 return concat({x[0], x[1], x[2]}, 1);
               },
               [](const Refs& r) {
                 return ref::concat({r[0], r[1], r[2]}, 1);
               }});
  t.push_back({"concat",
               "concat_dim_0",
               {in({1, 4}), in({2, 4})},
               [](const Inputs& x) {
                 return concat({x[0], x[1]}, 0);
               },
               [](const Refs& r) {
                 return ref::concat({r[0], r[1]}, 0);
               }});
  t.push_back({"stack",
               "stack_dim_1",
               {in({2, 3}), in({2, 3})},
               [](const Inputs& x) {
                 return stack({x[0], x[1]}, 1);
               },
               [](const Refs& r) {
                 ref::Array a = r[0], b = r[1];
                 a.shape = b.shape = Shape{2, 1, 3};
                 return ref::concat({a, b}, 1);
               }});
  t.push_back({"expand",
               "expand_3d",
               {in({3, 1})},
               [](const Inputs& x) {
                 return expand(x[0], Shape{2, 3, 4});
               },
               [](const Refs& r) {
                 return ref::expand(r[0], Shape{2, 3, 4});
               }});
  t.push_back({"index_select",
               "index_select_dim_1_repeats",
               {in({3, 5}), index_in({6}, 5)},
               [](const Inputs& x) { return index_select(x[0], 1, x[1]); },
               [](const Refs& r) { return ref::index_select(r[0], 1, r[1]); }});
  t.push_back({"index_select",
               "index_select_dim_0",
               {in({4, 3}), index_in({3}, 4)},
               [](const Inputs& x) { return index_select(x[0], 0, x[1]); },
               [](const Refs& r) { return ref::index_select(r[0], 0, r[1]); }});
  t.push_back({"gather",
               "gather_dim_1",
               {in({4, 5}), index_in({4, 3}, 5)},
               [](const Inputs& x) { return gather(x[0], 1, x[1]); },
               [](const Refs& r) { return ref::gather(r[0], 1, r[1]); }});
}

void matmul_cases(std::vector<OpCase>& t) {
  struct M {
    std::string label;
    Shape a, b;
    bool ta, tb;
  };
  const std::vector<M> ms = {{"matmul_2d", {3, 4}, {4, 5}, false, false},
                             {"matmul_2d_trans_a", {4, 3}, {4, 5}, true, false},
                             {"matmul_2d_trans_b", {3, 4}, {5, 4}, false, true},
                             {"matmul_2d_trans_both", {4, 3}, {5, 4}, true, true},
                             {"matmul_batched", {2, 3, 4}, {2, 4, 5}, false, false},
                             {"matmul_batched_trans_both", {2, 4, 3}, {2, 5, 4}, true, true},
                             {"matmul_shared_b_folded", {2, 3, 4}, {4, 5}, false, false},
                             {"matmul_shared_b_trans_b", {2, 3, 4}, {5, 4}, false, true},
                             {"matmul_shared_b_trans_a", {2, 4, 3}, {4, 5}, true, false},
                             {"matmul_shared_a", {3, 4}, {2, 4, 5}, false, false},
                             {"matmul_k_1", {3, 1}, {1, 2}, false, false}};
  for (const M& m : ms) {
    t.push_back({"matmul",
                 m.label,
                 {in(m.a), in(m.b)},
                 [m](const Inputs& x) { return matmul(x[0], x[1], m.ta, m.tb); },
                 [m](const Refs& r) { return ref::matmul(r[0], r[1], m.ta, m.tb); }});
  }
}

void softmax_loss_cases(std::vector<OpCase>& t) {
  t.push_back({"softmax",
               "softmax_dim_1",
               {in({3, 5}, -2, 2)},
               [](const Inputs& x) { return softmax(x[0], 1); },
               [](const Refs& r) { return ref::softmax(r[0], 1, false); }});
  t.push_back({"softmax",
               "softmax_middle_dim",
               {in({2, 4, 3}, -2, 2)},
               [](const Inputs& x) { return softmax(x[0], 1); },
               [](const Refs& r) { return ref::softmax(r[0], 1, false); }});
  t.push_back({"log_softmax",
               "log_softmax_last_dim",
               {in({3, 5}, -2, 2)},
               [](const Inputs& x) { return log_softmax(x[0], -1); },
               [](const Refs& r) { return ref::softmax(r[0], 1, true); }});
  t.push_back({"log_softmax",
               "log_softmax_dim_0",
               {in({4, 3}, -2, 2)},
               [](const Inputs& x) { return log_softmax(x[0], 0); },
               [](const Refs& r) { return ref::softmax(r[0], 0, true); }});
  for (double eps : {0.0, 0.1}) {
    t.push_back({"cross_entropy",
                 eps == 0 ? "cross_entropy" : "cross_entropy_smoothing",
                 {in({4, 5}, -2, 2), index_in({4}, 5)},
                 [eps](const Inputs& x) { return cross_entropy(x[0], x[1], eps); },
                 [eps](const Refs& r) {
                   return ref::Array{Shape{}, {ref::cross_entropy(r[0], r[1], eps)}};
                 }});
  }
  t.push_back({"mse_loss",
               "mse_loss",
               {in({3, 4}), in({3, 4})},
               [](const Inputs& x) { return mse_loss(x[0], x[1]); },
               [](const Refs& r) {
                 double s = 0;
                 for (size_t i = 0; i < r[0].v.size(); ++i) s += std::pow(r[0].v[i] - r[1].v[i], 2);
                 return ref::Array{Shape{}, {s / 12}};
               }});
  // The mask is element i's Philox draw for seed 7: u_i < keep keeps it, scaled by 1 / keep.
  t.push_back({"dropout",
               "dropout_p_0_3",
               {in({4, 6})},
               [](const Inputs& x) {
                 Generator gen(7);
                 return dropout(x[0], 0.3, gen);
               },
               [](const Refs& r) {
                 ref::Array out = r[0];
                 for (size_t i = 0; i < out.v.size(); ++i) {
                   uint32_t w[4];
                   philox4x32(7, i, 0, w);
                   out.v[i] = uint_to_unit_double(w[0], w[1]) < 0.7 ? out.v[i] / 0.7 : 0.0;
                 }
                 return out;
               }});
}

}  // namespace

std::vector<OpCase> all_op_cases() {
  std::vector<OpCase> t;
  unary_cases(t);
  binary_cases(t);
  reduce_cases(t);
  shape_cases(t);
  matmul_cases(t);
  softmax_loss_cases(t);
  conv_cases(t);
  pool_norm_cases(t);
  neuron_cases(t);
  return t;
}

namespace {
uint64_t seed_of(const std::string& label) {
  return std::hash<std::string>{}(label)&0xffffffff;
}
}  // namespace

std::vector<Tensor> make_inputs(const OpCase& c, DType dtype, bool grad) {
  Generator gen(seed_of(c.label));
  std::vector<Tensor> xs;
  for (const InputSpec& s : c.inputs) {
    if (s.index_high > 0) {
      std::vector<int64_t> v(s.shape.numel());
      for (int64_t& e : v) e = static_cast<int64_t>(gen.next_u64() % s.index_high);
      xs.push_back(from_vector(v, s.shape));
      continue;
    }
    Tensor x = uniform(s.shape, s.low, s.high, gen, {kF64}).to(dtype);
    if (grad && s.differentiable && c.check_grad) x.set_requires_grad(true);
    xs.push_back(x);
  }
  return xs;
}

std::vector<double> random_cotangent(const OpCase& c, const Shape& shape) {
  Generator gen(seed_of(c.label) + 1);
  return normal(shape, 0.0, 1.0, gen, {kF64}).to_vector();
}

std::vector<std::string> required_ops() {
  std::vector<std::string> ops;
#define STAA_NAME(name, unused) ops.push_back(#name);
  STAA_AUTOGRAD_OPS(STAA_NAME)
  STAA_COMPARE_OPS(STAA_NAME)
#undef STAA_NAME
  return ops;
}

std::vector<std::string> ops_without_case(const std::vector<OpCase>& cases) {
  std::set<std::string> covered;
  for (const OpCase& c : cases) covered.insert(c.op);
  std::vector<std::string> missing;
  for (const std::string& op : required_ops())
    if (!covered.count(op)) missing.push_back(op);
  return missing;
}

}  // namespace staa::test
