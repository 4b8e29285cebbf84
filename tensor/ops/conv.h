// 2-D convolution: the geometry struct and its shape rule, shared by the front-end, both backends
// and the tests. Layer: tensor. NCHW input [N, C_in, H, W], weight [C_out, C_in / G, KH, KW],
// output [N, C_out, OH, OW] with OH = (H + 2 * pad_h - dil_h * (KH - 1) - 1) / stride_h + 1.
// make_conv2d_geometry validates everything a kernel relies on (errors name conv2d).
#pragma once

#include <array>
#include <cstdint>

#include "tensor/error.h"
#include "tensor/shape.h"

namespace staa {

struct Conv2dGeometry {
  int64_t n = 0, c_in = 0, h = 0, w = 0;  // x: [n, c_in, h, w]
  int64_t c_out = 0, kh = 0, kw = 0;      // weight: [c_out, c_in / groups, kh, kw]
  int64_t stride_h = 1, stride_w = 1, pad_h = 0, pad_w = 0, dil_h = 1, dil_w = 1;
  int64_t groups = 1;
  int64_t out_h = 0, out_w = 0;  // y: [n, c_out, out_h, out_w]

  int64_t c_in_group() const { return c_in / groups; }
  int64_t c_out_group() const { return c_out / groups; }
  // Rows of one group's column matrix: (c, kh, kw) of that group, c-major.
  int64_t col_rows_group() const { return c_in_group() * kh * kw; }
  int64_t in_plane() const { return h * w; }
  int64_t out_plane() const { return out_h * out_w; }
  // A 1x1, stride-1, unpadded conv: x[n] seen as [C_in, H * W] is already the column matrix.
  bool is_pointwise() const {
    return kh == 1 && kw == 1 && stride_h == 1 && stride_w == 1 && pad_h == 0 && pad_w == 0;
  }
  Shape out_shape() const { return Shape{n, c_out, out_h, out_w}; }
};

// The geometry of conv2d(x, weight) with the given options; throws naming conv2d on bad shapes.
inline Conv2dGeometry make_conv2d_geometry(const Shape& x, const Shape& weight,
                                           std::array<int64_t, 2> stride,
                                           std::array<int64_t, 2> padding,
                                           std::array<int64_t, 2> dilation, int64_t groups) {
  STAA_CHECK(x.ndim() == 4, "conv2d: expected x of 4 dims [N, C_in, H, W], got ", x);
  STAA_CHECK(weight.ndim() == 4, "conv2d: expected weight of 4 dims [C_out, C_in / groups, KH, KW]",
             ", got ", weight);
  STAA_CHECK(groups > 0, "conv2d: expected groups > 0, got ", groups);
  STAA_CHECK(stride[0] > 0 && stride[1] > 0, "conv2d: expected a positive stride, got [", stride[0],
             ",", stride[1], "]");
  STAA_CHECK(dilation[0] > 0 && dilation[1] > 0, "conv2d: expected a positive dilation, got [",
             dilation[0], ",", dilation[1], "]");
  STAA_CHECK(padding[0] >= 0 && padding[1] >= 0, "conv2d: expected a non-negative padding, got [",
             padding[0], ",", padding[1], "]");
  Conv2dGeometry g;
  g.n = x[0], g.c_in = x[1], g.h = x[2], g.w = x[3];
  g.c_out = weight[0], g.kh = weight[2], g.kw = weight[3];
  g.stride_h = stride[0], g.stride_w = stride[1];
  g.pad_h = padding[0], g.pad_w = padding[1];
  g.dil_h = dilation[0], g.dil_w = dilation[1];
  g.groups = groups;
  STAA_CHECK(g.c_in % groups == 0, "conv2d: expected input channels divisible by groups = ", groups,
             ", got x ", x, " with ", g.c_in, " channels");
  STAA_CHECK(g.c_out % groups == 0,
             "conv2d: expected output channels divisible by groups = ", groups, ", got weight ",
             weight, " with ", g.c_out, " output channels");
  STAA_CHECK(weight[1] == g.c_in / groups, "conv2d: expected weight of ", g.c_in / groups,
             " input channels (x has ", g.c_in, ", groups = ", groups, "), got weight ", weight);
  STAA_CHECK(g.kh > 0 && g.kw > 0, "conv2d: expected a non-empty kernel, got weight ", weight);
  const int64_t span_h = g.dil_h * (g.kh - 1) + 1, span_w = g.dil_w * (g.kw - 1) + 1;
  const int64_t padded_h = g.h + 2 * g.pad_h, padded_w = g.w + 2 * g.pad_w;
  STAA_CHECK(span_h <= padded_h && span_w <= padded_w, "conv2d: expected a (dilated) kernel of ",
             span_h, "x", span_w, " to fit the padded input of ", padded_h, "x", padded_w,
             ", got x ", x, " and weight ", weight);
  g.out_h = (padded_h - span_h) / g.stride_h + 1;
  g.out_w = (padded_w - span_w) / g.stride_w + 1;
  return g;
}

}  // namespace staa
