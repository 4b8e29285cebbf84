// Op-matrix cases of conv2d and its plain reference: a direct 7-loop convolution in double,
// written for clarity only. Cases cover 3x3 pad 1, stride, dilation, groups, depthwise, 1x1,
// no bias, odd and tiny sizes, non-square kernel / stride / padding, 16 input channels; inputs
// stay small (<= ~200 elements) since the gradient check runs two forwards per input element.
// Layer: tests.
#include <string>

#include "op_matrix/op_cases.h"
#include "tensor/ops/conv.h"

namespace staa::test {

namespace {

// y[n, o, oh, ow] = b[o] + sum over (c, i, j) of w[o, c, i, j] x[n, g * C_in/G + c, ih, iw] with
// ih = oh * sh - ph + i * dh, iw = ow * sw - pw + j * dw (zero outside the input).
// x: [N, C_in, H, W], w: [C_out, C_in / G, KH, KW], b: [C_out] or null
ref::Array conv2d_reference(const ref::Array& x, const ref::Array& w, const ref::Array* b,
                            const Conv2dOptions& o) {
  const Conv2dGeometry g =
      make_conv2d_geometry(x.shape, w.shape, o.stride, o.padding, o.dilation, o.groups);
  ref::Array y{g.out_shape(), std::vector<double>(g.out_shape().numel(), 0.0)};
  const int64_t cg = g.c_in_group(), og = g.c_out_group();
  for (int64_t n = 0; n < g.n; ++n)
    for (int64_t oc = 0; oc < g.c_out; ++oc)
      for (int64_t oh = 0; oh < g.out_h; ++oh)
        for (int64_t ow = 0; ow < g.out_w; ++ow) {
          double s = b ? b->v[oc] : 0.0;
          for (int64_t c = 0; c < cg; ++c)
            for (int64_t i = 0; i < g.kh; ++i)
              for (int64_t j = 0; j < g.kw; ++j) {
                const int64_t ih = oh * g.stride_h - g.pad_h + i * g.dil_h;
                const int64_t iw = ow * g.stride_w - g.pad_w + j * g.dil_w;
                if (ih < 0 || ih >= g.h || iw < 0 || iw >= g.w) continue;
                const int64_t ic = oc / og * cg + c;
                s += w.v[((oc * cg + c) * g.kh + i) * g.kw + j] *
                     x.v[((n * g.c_in + ic) * g.h + ih) * g.w + iw];
              }
          y.v[((n * g.c_out + oc) * g.out_h + oh) * g.out_w + ow] = s;
        }
  return y;
}

// x: [N, C_in, H, W], weight: [C_out, C_in / groups, KH, KW], bias: [C_out] when `bias`.
void add_conv(std::vector<OpCase>& t, const std::string& label, Shape x, Shape w, bool bias,
              Conv2dOptions o) {
  std::vector<InputSpec> inputs{in(x), in(w)};
  if (bias) inputs.push_back(in(Shape{w[0]}));
  t.push_back({"conv2d", label, inputs,
               [o, bias](const std::vector<Tensor>& v) {
                 return conv2d(v[0], v[1], bias ? v[2] : Tensor(), o);
               },
               [o, bias](const std::vector<ref::Array>& r) {
                 return conv2d_reference(r[0], r[1], bias ? &r[2] : nullptr, o);
               }});
}

}  // namespace

void conv_cases(std::vector<OpCase>& t) {
  using O = Conv2dOptions;
  add_conv(t, "conv2d_3x3_pad1", {2, 2, 5, 5}, {3, 2, 3, 3}, true, O{{1, 1}, {1, 1}, {1, 1}, 1});
  add_conv(t, "conv2d_3x3_valid_no_bias", {1, 3, 5, 6}, {2, 3, 3, 3}, false, O{});
  add_conv(t, "conv2d_stride2_pad1", {2, 2, 7, 7}, {2, 2, 3, 3}, true,
           O{{2, 2}, {1, 1}, {1, 1}, 1});
  add_conv(t, "conv2d_stride3_odd", {1, 2, 8, 7}, {2, 2, 3, 3}, true, O{{3, 3}, {1, 1}, {1, 1}, 1});
  add_conv(t, "conv2d_dilation2", {1, 2, 7, 7}, {2, 2, 3, 3}, true, O{{1, 1}, {2, 2}, {2, 2}, 1});
  add_conv(t, "conv2d_groups2", {2, 4, 5, 5}, {4, 2, 3, 3}, true, O{{1, 1}, {1, 1}, {1, 1}, 2});
  add_conv(t, "conv2d_depthwise", {2, 3, 6, 6}, {3, 1, 3, 3}, true, O{{1, 1}, {1, 1}, {1, 1}, 3});
  add_conv(t, "conv2d_depthwise_mult2_stride2", {1, 2, 7, 7}, {4, 1, 3, 3}, false,
           O{{2, 2}, {1, 1}, {1, 1}, 2});
  add_conv(t, "conv2d_1x1", {2, 3, 4, 5}, {4, 3, 1, 1}, true, O{});
  add_conv(t, "conv2d_1x1_stride2_no_bias", {2, 4, 6, 6}, {3, 4, 1, 1}, false,
           O{{2, 2}, {0, 0}, {1, 1}, 1});
  add_conv(t, "conv2d_tiny_1x1_input_3x3_pad1", {3, 2, 1, 1}, {3, 2, 3, 3}, true,
           O{{1, 1}, {1, 1}, {1, 1}, 1});
  add_conv(t, "conv2d_non_square", {1, 2, 6, 9}, {3, 2, 2, 3}, true, O{{1, 2}, {1, 0}, {1, 1}, 1});
  add_conv(t, "conv2d_non_square_dilation_groups", {1, 4, 7, 8}, {2, 2, 3, 2}, true,
           O{{2, 1}, {0, 2}, {1, 3}, 2});
  add_conv(t, "conv2d_pad_larger_than_kernel", {1, 1, 3, 3}, {2, 1, 2, 2}, true,
           O{{1, 1}, {2, 2}, {1, 1}, 1});
  // 16 input channels: f32 backward-data takes the implicit-GEMM paths (tensor/cpu/conv_implicit).
  add_conv(t, "conv2d_16ch_2x2_pad1", {1, 16, 2, 3}, {2, 16, 2, 2}, false,
           O{{1, 1}, {1, 1}, {1, 1}, 1});
  add_conv(t, "conv2d_16ch_1x1_stride2", {1, 16, 3, 3}, {2, 16, 1, 1}, true,
           O{{2, 2}, {0, 0}, {1, 1}, 1});
}

}  // namespace staa::test
