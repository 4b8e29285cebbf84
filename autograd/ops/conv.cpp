// conv2d (NCHW, stride, padding, dilation, groups, optional bias), forward and backward.
// Layer: autograd. With cols(x)[(c, i, j), (n, oh, ow)] = x[n, c, oh*sh - ph + i*dh,
// ow*sw - pw + j*dw] (zero outside), group g's output is y_g = W_g cols_g(x) + b with
// W_g: [C_out / G, C_in / G * KH * KW]. y is linear in each of W, b, x, so for G_y = dL/dy:
//   dL/dW_g = G_y,g cols_g(x)^T      (summed over images: backend conv2d_backward_weight)
//   dL/db[o] = sum over n, oh, ow of G_y[n, o, oh, ow]
//   dL/dx   = cols^T(W_g^T G_y,g)    (col2im, the adjoint of im2col: conv2d_backward_data)
// Saves x and weight (not the column matrix: backward recomputes it, memory stays O(input)).
#include "tensor/ops/conv.h"
#include "autograd/ops/common.h"

namespace staa {

namespace {

void check_conv_inputs(const Tensor& x, const Tensor& weight, const Tensor& bias,
                       const Conv2dGeometry& g) {
  if (!bias.defined()) return;
  detail::check_float_input("conv2d", bias, "bias");
  check_same_device("conv2d", x, bias);
  check_same_dtype("conv2d", x, bias);
  STAA_CHECK(bias.ndim() == 1 && bias.shape()[0] == g.c_out, "conv2d: expected bias of shape [",
             g.c_out, "] (weight ", weight.shape(), "), got ", bias.shape());
}

std::vector<int64_t> pair(std::array<int64_t, 2> v) {
  return {v[0], v[1]};
}

}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias,
              const Conv2dOptions& options) {
  detail::check_float_input("conv2d", x, "x");
  detail::check_float_input("conv2d", weight, "weight");
  check_same_device("conv2d", x, weight);
  check_same_dtype("conv2d", x, weight);
  const Conv2dGeometry g = make_conv2d_geometry(x.shape(), weight.shape(), options.stride,
                                                options.padding, options.dilation, options.groups);
  check_conv_inputs(x, weight, bias, g);
  Tensor y = detail::empty_as(g.out_shape(), x);
  backend_of(x).conv2d(x, weight, bias, g, y);
  const bool has_bias = bias.defined();
  const std::vector<Tensor> inputs =
      has_bias ? std::vector<Tensor>{x, weight, bias} : std::vector<Tensor>{x, weight};
  if (needs_record(inputs)) {
    record(OpId::conv2d, inputs, y, {x.detach(), weight.detach()},
           [g, has_bias](const BackwardContext& ctx, const Tensor& gy, std::vector<Tensor>& gi) {
             const Tensor& sx = ctx.saved(0);
             const Tensor& sw = ctx.saved(1);
             Backend& be = backend_of(gy);
             if (ctx.needs_grad(0)) {
               gi[0] = detail::empty_like(sx);
               be.conv2d_backward_data(gy, sw, g, gi[0]);
             }
             Tensor gw = ctx.needs_grad(1) ? detail::empty_like(sw) : Tensor();
             Tensor gb =
                 has_bias && ctx.needs_grad(2) ? detail::empty_as(Shape{g.c_out}, gy) : Tensor();
             if (gw.defined() || gb.defined()) be.conv2d_backward_weight(gy, sx, g, gw, gb);
             gi[1] = gw;
             if (has_bias) gi[2] = gb;
           },
           {{"stride", pair(options.stride)},
            {"padding", pair(options.padding)},
            {"dilation", pair(options.dilation)},
            {"groups", options.groups}});
  }
  return y;
}

}  // namespace staa
