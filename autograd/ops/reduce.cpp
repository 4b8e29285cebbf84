// Reductions, forward and backward: sum, mean, var, max (with argmax) and sum_to.
// Layer: autograd.
// sum:    grad_x = expand(grad_out with the reduced dims kept as 1, x.shape)
// max:    grad_x = grad_out at the argmax position of each output, 0 elsewhere
// sum_to: the inverse of broadcasting; grad_x = expand(grad_out, x.shape)
// mean and var are composites: mean = sum / count, var = sum((x - mean)^2) / (count - correction).
#include "autograd/ops/common.h"

namespace staa {

using detail::check_float_input;
using detail::empty_as;

namespace {

// Forward of sum over normalised dims; out has the keepdim shape.
Tensor sum_kernel(const Tensor& x, const std::vector<int>& dims) {
  const ReduceLayout layout = make_reduce_layout(x.shape(), dims);
  Tensor out = empty_as(reduced_shape(x.shape(), dims, /*keepdim=*/true), x);
  Tensor no_index;
  backend_of(x).reduce(ReduceOp::kSum, x, layout, out, no_index);
  return out;
}

// Records a reduction-like node whose backward expands grad_out (seen as kept_shape) to x's shape.
void record_expand_back(OpId op, const Tensor& x, Tensor& out, const Shape& kept_shape,
                        Attrs attrs) {
  record(
      op, {x}, out, {},
      [kept_shape](const BackwardContext& ctx, const Tensor& g, std::vector<Tensor>& gi) {
        gi[0] = expand(g.view_as(kept_shape), ctx.input_shape(0));
      },
      std::move(attrs));
}

std::vector<int64_t> as_i64(const std::vector<int>& dims) {
  return {dims.begin(), dims.end()};
}

int64_t reduced_count(const Shape& shape, const std::vector<int>& dims) {
  int64_t n = 1;
  for (int d : dims) n *= shape[d];
  return n;
}

}  // namespace

Tensor sum(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  check_float_input("sum", x);
  const std::vector<int> d = normalize_reduce_dims("sum", x.shape(), dims);
  Tensor kept = sum_kernel(x, d);
  Tensor out = keepdim ? kept : kept.view_as(reduced_shape(x.shape(), d, false));
  if (needs_record({&x})) {
    record_expand_back(OpId::sum, x, out, kept.shape(),
                       {{"dims", as_i64(d)}, {"keepdim", keepdim}});
  }
  return out;
}

Tensor mean(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  check_float_input("mean", x);
  const std::vector<int> d = normalize_reduce_dims("mean", x.shape(), dims);
  const int64_t n = reduced_count(x.shape(), d);
  STAA_CHECK(n > 0, "mean: reducing ", x.shape(), " over empty dims gives no elements");
  return mul(sum(x, dims, keepdim), 1.0 / static_cast<double>(n));
}

Tensor var(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim, int64_t correction) {
  check_float_input("var", x);
  const std::vector<int> d = normalize_reduce_dims("var", x.shape(), dims);
  const int64_t n = reduced_count(x.shape(), d);
  STAA_CHECK(n - correction > 0, "var: ", n, " elements per output with correction ", correction,
             " leave no degrees of freedom");
  const Tensor centered = sub(x, mean(x, dims, /*keepdim=*/true));
  return mul(sum(square(centered), dims, keepdim), 1.0 / static_cast<double>(n - correction));
}

MaxResult max(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  check_float_input("max", x);
  const std::vector<int> d = normalize_reduce_dims("max", x.shape(), dims);
  STAA_CHECK(reduced_count(x.shape(), d) > 0, "max: reducing ", x.shape(),
             " gives outputs with no elements");
  const ReduceLayout layout = make_reduce_layout(x.shape(), d);
  const Shape out_shape = reduced_shape(x.shape(), d, keepdim);
  Tensor values = empty_as(out_shape, x);
  Tensor indices = Tensor::empty(out_shape, kI64, x.device());
  backend_of(x).reduce(ReduceOp::kMax, x, layout, values, indices);
  if (needs_record({&x})) {
    record(OpId::max, {x}, values, {indices},
           [layout](const BackwardContext& ctx, const Tensor& g, std::vector<Tensor>& gi) {
             Tensor gx = empty_as(ctx.input_shape(0), g);
             backend_of(g).reduce_max_backward(g, ctx.saved(0), layout, gx);
             gi[0] = gx;
           },
           {{"dims", as_i64(d)}, {"keepdim", keepdim}});
  }
  return {values, indices};
}

Tensor sum_to(const Tensor& x, const Shape& shape) {
  check_float_input("sum_to", x);
  if (x.shape() == shape) return x;
  STAA_CHECK(broadcast_shapes("sum_to", shape, x.shape()) == x.shape(), "sum_to: ", x.shape(),
             " cannot be summed to ", shape, " (it is not a broadcast of it)");
  const int lead = x.ndim() - shape.ndim();
  std::vector<int> dims;
  Shape kept;
  for (int i = 0; i < x.ndim(); ++i) {
    const bool reduce = i < lead || shape[i - lead] == 1;
    if (reduce) dims.push_back(i);
    kept.push_back(reduce ? 1 : x.shape()[i]);
  }
  Tensor out = sum_kernel(x, dims).view_as(shape);
  if (needs_record({&x})) record_expand_back(OpId::sum_to, x, out, kept, {});
  return out;
}

}  // namespace staa
