// avg_pool2d, max_pool2d and adaptive_avg_pool2d, forward and backward. Layer: autograd.
// Each output is y = sum(x[window]) / divisor (average) or y = x[argmax of window] (max), so
//   average: dx[window] += g / divisor        max: dx[argmax] += g, 0 elsewhere
// summed over every window an input element falls in (overlapping windows add up). Window and
// divisor rules: tensor/ops/pool.h. Max saves only the argmax indices (i64), average saves nothing.
#include "tensor/ops/pool.h"
#include "autograd/ops/common.h"

namespace staa {

using detail::check_float_input;
using detail::empty_as;

namespace {

std::vector<int64_t> pair_of(std::array<int64_t, 2> a) {
  return {a[0], a[1]};
}

Shape pooled_shape(int64_t n, int64_t c, int64_t out_h, int64_t out_w) {
  return Shape{n, c, out_h, out_w};
}

Attrs pool_attrs(const Pool2dGeometry& g, const Pool2dOptions& o) {
  return {{"kernel", pair_of(o.kernel)},
          {"stride", std::vector<int64_t>{g.stride_h, g.stride_w}},
          {"padding", pair_of(o.padding)},
          {"ceil_mode", o.ceil_mode}};
}

}  // namespace

Tensor avg_pool2d(const Tensor& x, const Pool2dOptions& options) {
  check_float_input("avg_pool2d", x);
  const Pool2dGeometry g =
      make_pool2d_geometry("avg_pool2d", x.shape(), options.kernel, options.stride, options.padding,
                           options.ceil_mode, options.count_include_pad);
  Tensor y = empty_as(pooled_shape(g.n, g.c, g.out_h, g.out_w), x);
  if (y.numel() > 0) backend_of(x).avg_pool2d(x, g, y);
  if (needs_record({&x})) {
    Attrs attrs = pool_attrs(g, options);
    attrs.push_back({"count_include_pad", options.count_include_pad});
    record(
        OpId::avg_pool2d, {x}, y, {},
        [g](const BackwardContext& ctx, const Tensor& grad_y, std::vector<Tensor>& gi) {
          Tensor gx = empty_as(ctx.input_shape(0), grad_y);
          if (gx.numel() > 0) backend_of(grad_y).avg_pool2d_backward(grad_y, g, gx);
          gi[0] = gx;
        },
        std::move(attrs));
  }
  return y;
}

Tensor max_pool2d(const Tensor& x, const Pool2dOptions& options) {
  check_float_input("max_pool2d", x);
  const Pool2dGeometry g =
      make_pool2d_geometry("max_pool2d", x.shape(), options.kernel, options.stride, options.padding,
                           options.ceil_mode, options.count_include_pad);
  const Shape out_shape = pooled_shape(g.n, g.c, g.out_h, g.out_w);
  Tensor y = empty_as(out_shape, x);
  Tensor index = Tensor::empty(out_shape, kI64, x.device());
  if (y.numel() > 0) backend_of(x).max_pool2d(x, g, y, index);
  if (needs_record({&x})) {
    record(
        OpId::max_pool2d, {x}, y, {index},
        [g](const BackwardContext& ctx, const Tensor& grad_y, std::vector<Tensor>& gi) {
          Tensor gx = empty_as(ctx.input_shape(0), grad_y);
          if (gx.numel() > 0) {
            backend_of(grad_y).max_pool2d_backward(grad_y, ctx.saved(0), g, gx);
          }
          gi[0] = gx;
        },
        pool_attrs(g, options));
  }
  return y;
}

Tensor adaptive_avg_pool2d(const Tensor& x, std::array<int64_t, 2> output_size) {
  check_float_input("adaptive_avg_pool2d", x);
  const AdaptivePool2dGeometry g =
      make_adaptive_pool2d_geometry("adaptive_avg_pool2d", x.shape(), output_size);
  Tensor y = empty_as(pooled_shape(g.n, g.c, g.out_h, g.out_w), x);
  if (y.numel() > 0) backend_of(x).adaptive_avg_pool2d(x, g, y);
  if (needs_record({&x})) {
    record(OpId::adaptive_avg_pool2d, {x}, y, {},
           [g](const BackwardContext& ctx, const Tensor& grad_y, std::vector<Tensor>& gi) {
             Tensor gx = empty_as(ctx.input_shape(0), grad_y);
             if (gx.numel() > 0) backend_of(grad_y).adaptive_avg_pool2d_backward(grad_y, g, gx);
             gi[0] = gx;
           },
           {{"output_size", pair_of(output_size)}});
  }
  return y;
}

}  // namespace staa
