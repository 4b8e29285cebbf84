// Elementwise ops, forward and backward: unary ops and their scalar forms, binary ops with
// broadcasting, comparisons and where. Layer: autograd.
// Backward of a unary op: grad_x = grad_y * f'(x), from the functor's backward (it reads x or y,
// whichever kSaves names, and that is all the node saves). Backward of a binary op: the functor's
// grad_a / grad_b in the broadcast shape, summed down to each input's shape (sum_to).
#include "autograd/ops/common.h"

namespace staa {

using detail::check_float_input;
using detail::check_pair;
using detail::empty_as;
using detail::empty_like;

namespace {

// The scalar parameters an op uses, named for Tape::print.
Attrs unary_attrs(UnaryOp op, double p0, double p1) {
  switch (op) {
    case UnaryOp::pow_scalar:
      return {{"exponent", p0}};
    case UnaryOp::clamp:
      return {{"low", p0}, {"high", p1}};
    case UnaryOp::add_scalar:
    case UnaryOp::mul_scalar:
    case UnaryOp::rsub_scalar:
    case UnaryOp::rdiv_scalar:
    case UnaryOp::maximum_scalar:
    case UnaryOp::minimum_scalar:
      return {{"scalar", p0}};
    case UnaryOp::spike_rectangular:
    case UnaryOp::spike_sigmoid:
    case UnaryOp::spike_atan:
      return {{"alpha", p0}, {"primitive", p1 != 0}};
    default:
      return {};
  }
}

Tensor unary_op(UnaryOp op, const Tensor& x, double p0 = 0, double p1 = 0) {
  const char* name = unary_op_name(op);
  check_float_input(name, x);
  Tensor y = empty_like(x);
  backend_of(x).unary(op, x, y, p0, p1);
  if (needs_record({&x})) {
    const Saves saves = unary_op_saves(op);
    Tensor saved = saves == Saves::kInput    ? x.detach()
                   : saves == Saves::kOutput ? y.detach()
                                             : Tensor();
    record(
        op_id(op), {x}, y, {saved},
        [op, saves, p0, p1](const BackwardContext& ctx, const Tensor& g, std::vector<Tensor>& gi) {
          const Tensor none;
          const Tensor& s = saves == Saves::kNone ? none : ctx.saved(0);
          Tensor gx = empty_like(g);
          backend_of(g).unary_backward(op, saves == Saves::kInput ? s : none,
                                       saves == Saves::kOutput ? s : none, g, gx, p0, p1);
          gi[0] = gx;
        },
        unary_attrs(op, p0, p1));
  }
  return y;
}

Tensor binary_op(BinaryOp op, const Tensor& a, const Tensor& b) {
  const char* name = binary_op_name(op);
  check_pair(name, a, b);
  Tensor out = empty_as(broadcast_shapes(name, a.shape(), b.shape()), a);
  backend_of(a).binary(op, a, b, out);
  if ((op == BinaryOp::add || op == BinaryOp::sub) && needs_record({&a, &b})) {
    // d(a +- b) = g, +-g: no values needed, so nothing is saved (residual sums stay cheap).
    record(op_id(op), {a, b}, out, {},
           [op](const BackwardContext& ctx, const Tensor& g, std::vector<Tensor>& gi) {
             if (ctx.needs_grad(0)) gi[0] = sum_to(g, ctx.input_shape(0));
             if (ctx.needs_grad(1))
               gi[1] = sum_to(op == BinaryOp::sub ? neg(g) : g, ctx.input_shape(1));
           });
  } else if (!is_compare_op(op) && needs_record({&a, &b})) {
    record(op_id(op), {a, b}, out, {a.detach(), b.detach()},
           [op](const BackwardContext& ctx, const Tensor& g, std::vector<Tensor>& gi) {
             const Tensor& sa = ctx.saved(0);
             const Tensor& sb = ctx.saved(1);
             Tensor ga = ctx.needs_grad(0) ? empty_like(g) : Tensor();
             Tensor gb = ctx.needs_grad(1) ? empty_like(g) : Tensor();
             backend_of(g).binary_backward(op, sa, sb, g, ga, gb);
             if (ga.defined()) gi[0] = sum_to(ga, sa.shape());
             if (gb.defined()) gi[1] = sum_to(gb, sb.shape());
           });
  }
  return out;
}

Tensor compare_scalar(BinaryOp op, const Tensor& a, double b) {
  return binary_op(op, a, full(Shape{}, b, {a.dtype(), a.device()}));
}

}  // namespace

Tensor neg(const Tensor& x) {
  return unary_op(UnaryOp::neg, x);
}
Tensor abs(const Tensor& x) {
  return unary_op(UnaryOp::abs, x);
}
Tensor exp(const Tensor& x) {
  return unary_op(UnaryOp::exp, x);
}
Tensor log(const Tensor& x) {
  return unary_op(UnaryOp::log, x);
}
Tensor sqrt(const Tensor& x) {
  return unary_op(UnaryOp::sqrt, x);
}
Tensor square(const Tensor& x) {
  return unary_op(UnaryOp::square, x);
}
Tensor relu(const Tensor& x) {
  return unary_op(UnaryOp::relu, x);
}
Tensor sigmoid(const Tensor& x) {
  return unary_op(UnaryOp::sigmoid, x);
}
Tensor spike(const Tensor& x, const Surrogate& surrogate) {
  STAA_CHECK(surrogate.alpha > 0, "spike: the surrogate's alpha must be > 0, got ",
             surrogate.alpha);
  const UnaryOp op = surrogate.kind == SurrogateKind::kRectangular ? UnaryOp::spike_rectangular
                     : surrogate.kind == SurrogateKind::kSigmoid   ? UnaryOp::spike_sigmoid
                                                                   : UnaryOp::spike_atan;
  return unary_op(op, x, surrogate.alpha, surrogate.primitive ? 1.0 : 0.0);
}
Tensor tanh(const Tensor& x) {
  return unary_op(UnaryOp::tanh, x);
}
Tensor pow(const Tensor& x, double exponent) {
  return unary_op(UnaryOp::pow_scalar, x, exponent);
}
Tensor clamp(const Tensor& x, double low, double high) {
  STAA_CHECK(low <= high, "clamp: low ", low, " > high ", high);
  return unary_op(UnaryOp::clamp, x, low, high);
}

Tensor add(const Tensor& a, const Tensor& b) {
  return binary_op(BinaryOp::add, a, b);
}
Tensor sub(const Tensor& a, const Tensor& b) {
  return binary_op(BinaryOp::sub, a, b);
}
Tensor mul(const Tensor& a, const Tensor& b) {
  return binary_op(BinaryOp::mul, a, b);
}
Tensor div(const Tensor& a, const Tensor& b) {
  return binary_op(BinaryOp::div, a, b);
}
Tensor maximum(const Tensor& a, const Tensor& b) {
  return binary_op(BinaryOp::maximum, a, b);
}
Tensor minimum(const Tensor& a, const Tensor& b) {
  return binary_op(BinaryOp::minimum, a, b);
}

Tensor add(const Tensor& a, double b) {
  return unary_op(UnaryOp::add_scalar, a, b);
}
Tensor sub(const Tensor& a, double b) {
  return unary_op(UnaryOp::add_scalar, a, -b);
}
Tensor sub(double a, const Tensor& b) {
  return unary_op(UnaryOp::rsub_scalar, b, a);
}
Tensor mul(const Tensor& a, double b) {
  return unary_op(UnaryOp::mul_scalar, a, b);
}
Tensor div(const Tensor& a, double b) {
  STAA_CHECK(b != 0.0, "div: division of a tensor by the scalar 0");
  return unary_op(UnaryOp::mul_scalar, a, 1.0 / b);
}
Tensor div(double a, const Tensor& b) {
  return unary_op(UnaryOp::rdiv_scalar, b, a);
}
Tensor maximum(const Tensor& a, double b) {
  return unary_op(UnaryOp::maximum_scalar, a, b);
}
Tensor minimum(const Tensor& a, double b) {
  return unary_op(UnaryOp::minimum_scalar, a, b);
}

Tensor eq(const Tensor& a, const Tensor& b) {
  return binary_op(BinaryOp::eq, a, b);
}
Tensor ne(const Tensor& a, const Tensor& b) {
  return binary_op(BinaryOp::ne, a, b);
}
Tensor lt(const Tensor& a, const Tensor& b) {
  return binary_op(BinaryOp::lt, a, b);
}
Tensor le(const Tensor& a, const Tensor& b) {
  return binary_op(BinaryOp::le, a, b);
}
Tensor gt(const Tensor& a, const Tensor& b) {
  return binary_op(BinaryOp::gt, a, b);
}
Tensor ge(const Tensor& a, const Tensor& b) {
  return binary_op(BinaryOp::ge, a, b);
}
Tensor eq(const Tensor& a, double b) {
  return compare_scalar(BinaryOp::eq, a, b);
}
Tensor ne(const Tensor& a, double b) {
  return compare_scalar(BinaryOp::ne, a, b);
}
Tensor lt(const Tensor& a, double b) {
  return compare_scalar(BinaryOp::lt, a, b);
}
Tensor le(const Tensor& a, double b) {
  return compare_scalar(BinaryOp::le, a, b);
}
Tensor gt(const Tensor& a, double b) {
  return compare_scalar(BinaryOp::gt, a, b);
}
Tensor ge(const Tensor& a, double b) {
  return compare_scalar(BinaryOp::ge, a, b);
}

// where: grad_a = where(cond, g, 0), grad_b = where(cond, 0, g), each summed to its input shape.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  check_pair("where", a, b);
  check_float_input("where", cond, "condition");
  check_same_device("where", cond, a);
  check_same_dtype("where", cond, a);
  const Shape shape =
      broadcast_shapes("where", cond.shape(), broadcast_shapes("where", a.shape(), b.shape()));
  // Detached, so the broadcasts record no nodes: the where node below covers them.
  Tensor c = cond.detach(), ea = a.detach(), eb = b.detach();
  if (c.shape() != shape) c = expand(c, shape);
  if (ea.shape() != shape) ea = expand(ea, shape);
  if (eb.shape() != shape) eb = expand(eb, shape);
  Tensor out = empty_as(shape, a);
  backend_of(a).where(c, ea, eb, out);
  if (needs_record({&a, &b})) {
    record(OpId::where, {a, b}, out, {c},
           [](const BackwardContext& ctx, const Tensor& g, std::vector<Tensor>& gi) {
             const Tensor& mask = ctx.saved(0);
             const Tensor zero = detail::zeros_as(Shape{}, g);
             if (ctx.needs_grad(0)) gi[0] = sum_to(where(mask, g, zero), ctx.input_shape(0));
             if (ctx.needs_grad(1)) gi[1] = sum_to(where(mask, zero, g), ctx.input_shape(1));
           });
  }
  return out;
}

void add_(Tensor& x, const Tensor& y, double alpha) {
  check_pair("add_", x, y);
  STAA_CHECK(!(grad_enabled() && x.requires_grad()),
             "add_: in-place write to a tensor that "
             "requires grad; do it under NoGradGuard");
  STAA_CHECK(broadcast_shapes("add_", x.shape(), y.shape()) == x.shape(), "add_: ", y.shape(),
             " does not broadcast to the destination's shape ", x.shape());
  Tensor scaled = y;
  if (alpha != 1.0) {
    scaled = empty_like(y);
    backend_of(y).unary(UnaryOp::mul_scalar, y, scaled, alpha, 0);
  }
  backend_of(x).binary(BinaryOp::add, x, scaled, x);
  x.bump_version();
}

void mul_(Tensor& x, double factor) {
  check_float_input("mul_", x);
  STAA_CHECK(!(grad_enabled() && x.requires_grad()),
             "mul_: in-place write to a tensor that "
             "requires grad; do it under NoGradGuard");
  backend_of(x).unary(UnaryOp::mul_scalar, x, x, factor, 0);
  x.bump_version();
}

void sgd_step_(Tensor& p, const Tensor& grad, Tensor* buf, SgdStepParams s) {
  check_pair("sgd_step_", p, grad);
  STAA_CHECK(!(grad_enabled() && p.requires_grad()),
             "sgd_step_: in-place write to a tensor that requires grad; do it under NoGradGuard");
  STAA_CHECK(grad.shape() == p.shape(), "sgd_step_: gradient of shape ", grad.shape(),
             " for a parameter of shape ", p.shape());
  STAA_CHECK((buf != nullptr) == (s.momentum != 0), "sgd_step_: a momentum buffer is ",
             buf != nullptr ? "given" : "missing", " with momentum ", s.momentum);
  Tensor none;
  Tensor& b = buf != nullptr ? *buf : none;  // undefined without momentum
  if (buf != nullptr) {
    s.first = !b.defined();
    if (s.first) b = empty_like(p);
    check_pair("sgd_step_", p, b);
    STAA_CHECK(b.shape() == p.shape(), "sgd_step_: momentum buffer of shape ", b.shape(),
               " for a parameter of shape ", p.shape());
  }
  backend_of(p).sgd_step(p, grad, b, s);
  p.bump_version();
  if (b.defined()) b.bump_version();
}

}  // namespace staa
