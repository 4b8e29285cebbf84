// batch_norm and layer_norm, forward and backward. Layer: autograd.
// With x_hat = (x - mean) * inv_std, y = w * x_hat + b, M elements per statistic, sums over them:
//   db = sum(g), dw = sum(g * x_hat),
//   dx = w * inv_std * (g - db / M - x_hat * dw / M)   (statistics of this batch)
//   dx = w * inv_std * g                               (batch norm eval: constant statistics)
// layer norm: the same per row with w inside the sums (h = g * w). Derivation: autograd/README.md
// "Batch norm and layer norm". Running statistics are buffers: updated in place, never
// differentiated.
#include "tensor/ops/norm.h"
#include "autograd/ops/common.h"

namespace staa {

using detail::check_float_input;
using detail::empty_as;
using detail::empty_like;

namespace {

// A per-channel (or per-feature) parameter of x: undefined, or of shape `want` with x's dtype
// and device.
void check_param(const char* op, const Tensor& t, const char* what, const Tensor& x,
                 const Shape& want) {
  if (!t.defined()) return;
  check_floating(op, t, what);
  check_same_device(op, x, t);
  STAA_CHECK(t.dtype() == x.dtype(), op, ": expected ", what, " of x's dtype ", x.dtype(), ", got ",
             t.dtype());
  STAA_CHECK(t.shape() == want, op, ": expected ", what, " of shape ", want, " for x of shape ",
             x.shape(), ", got ", t.shape());
}

Tensor detach_or_undefined(const Tensor& t) {
  return t.defined() ? t.detach() : Tensor();
}

// running = (1 - momentum) * running + momentum * batch_stat, in place, not recorded.
void update_running(Tensor& running, const Tensor& batch_stat, double momentum, double scale) {
  if (!running.defined()) return;
  NoGradGuard no_grad;
  mul_(running, 1.0 - momentum);
  add_(running, batch_stat, momentum * scale);
}

}  // namespace

Tensor batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& running_mean,
                  Tensor& running_var, bool training, double momentum, double eps) {
  check_float_input("batch_norm", x);
  const BatchNormLayout l = make_batch_norm_layout("batch_norm", x.shape());
  const Shape channels{l.channels};
  check_param("batch_norm", weight, "weight", x, channels);
  check_param("batch_norm", bias, "bias", x, channels);
  check_param("batch_norm", running_mean, "running_mean", x, channels);
  check_param("batch_norm", running_var, "running_var", x, channels);
  Tensor mean, var;
  if (training) {
    STAA_CHECK(l.count() > 1, "batch_norm: training needs more than 1 value per channel, got x ",
               "of shape ", x.shape());
    mean = empty_as(channels, x);
    var = empty_as(channels, x);
    backend_of(x).batch_norm_stats(x, l, mean, var);
    const double m = static_cast<double>(l.count());
    update_running(running_mean, mean, momentum, 1.0);
    update_running(running_var, var, momentum, m / (m - 1));  // unbiased
  } else {
    STAA_CHECK(running_mean.defined() && running_var.defined(), "batch_norm: eval mode needs ",
               "running_mean and running_var, got ", running_mean.defined() ? "" : "no mean ",
               running_var.defined() ? "" : "no var");
    mean = running_mean.detach();
    var = running_var.detach();
  }
  Tensor y = empty_like(x);
  backend_of(x).batch_norm_forward(x, mean, var, weight, bias, l, eps, y);
  if (needs_record({&x, &weight, &bias})) {
    const bool has_weight = weight.defined();
    record(OpId::batch_norm, {x, weight, bias}, y,
           {x.detach(), mean, var, detach_or_undefined(weight)},
           [l, eps, training, has_weight](const BackwardContext& ctx, const Tensor& g,
                                          std::vector<Tensor>& gi) {
             const Shape channels{l.channels};
             Tensor gx = ctx.needs_grad(0) ? empty_like(g) : Tensor();
             Tensor gw = ctx.needs_grad(1) ? empty_as(channels, g) : Tensor();
             Tensor gb = ctx.needs_grad(2) ? empty_as(channels, g) : Tensor();
             const Tensor w = has_weight ? ctx.saved(3) : Tensor();
             backend_of(g).batch_norm_backward(ctx.saved(0), ctx.saved(1), ctx.saved(2), w, g, l,
                                               eps, training, gx, gw, gb);
             gi[0] = gx, gi[1] = gw, gi[2] = gb;
           },
           {{"training", training}, {"momentum", momentum}, {"eps", eps}});
  }
  return y;
}

Tensor layer_norm(const Tensor& x, int normalized_ndim, const Tensor& weight, const Tensor& bias,
                  double eps) {
  check_float_input("layer_norm", x);
  const LayerNormLayout l = make_layer_norm_layout("layer_norm", x.shape(), normalized_ndim);
  const Shape features = normalized_shape(x.shape(), normalized_ndim);
  check_param("layer_norm", weight, "weight", x, features);
  check_param("layer_norm", bias, "bias", x, features);
  Tensor y = empty_like(x);
  Tensor mean = empty_as(Shape{l.rows}, x), inv_std = empty_as(Shape{l.rows}, x);
  if (x.numel() > 0) backend_of(x).layer_norm(x, weight, bias, l, eps, y, mean, inv_std);
  if (needs_record({&x, &weight, &bias})) {
    const bool has_weight = weight.defined();
    record(OpId::layer_norm, {x, weight, bias}, y,
           {x.detach(), mean, inv_std, detach_or_undefined(weight)},
           [l, has_weight, features](const BackwardContext& ctx, const Tensor& g,
                                     std::vector<Tensor>& gi) {
             Tensor gx = ctx.needs_grad(0) ? empty_like(g) : Tensor();
             Tensor gw = ctx.needs_grad(1) ? empty_as(features, g) : Tensor();
             Tensor gb = ctx.needs_grad(2) ? empty_as(features, g) : Tensor();
             const Tensor w = has_weight ? ctx.saved(3) : Tensor();
             if (g.numel() > 0) {
               backend_of(g).layer_norm_backward(ctx.saved(0), ctx.saved(1), ctx.saved(2), w, g, l,
                                                 gx, gw, gb);
             } else {
               if (gw.defined()) backend_of(g).fill(gw, 0.0);
               if (gb.defined()) backend_of(g).fill(gb, 0.0);
             }
             gi[0] = gx, gi[1] = gw, gi[2] = gb;
           },
           {{"normalized_ndim", static_cast<int64_t>(normalized_ndim)}, {"eps", eps}});
  }
  return y;
}

}  // namespace staa
