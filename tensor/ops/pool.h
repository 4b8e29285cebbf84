// Pooling: the window geometry of avg/max pooling and adaptive average pooling, with PyTorch's
// output-size rules. Layer: tensor. Windows are clipped to the input; a ceil_mode window must
// start inside the input or its left padding; padding is at most half the kernel.
#pragma once

#include <array>
#include <cstdint>

#include "tensor/error.h"
#include "tensor/generator.h"  // STAA_HOST_DEVICE
#include "tensor/shape.h"

namespace staa {

// x: [n, c, h, w] -> y: [n, c, out_h, out_w]. Output row oh covers input rows
// [oh * stride_h - pad_h, oh * stride_h - pad_h + kernel_h), clipped to [0, h); likewise columns.
struct Pool2dGeometry {
  int64_t n = 0, c = 0, h = 0, w = 0;
  int64_t out_h = 0, out_w = 0;
  int64_t kernel_h = 1, kernel_w = 1, stride_h = 1, stride_w = 1, pad_h = 0, pad_w = 0;
  bool count_include_pad = true;  // avg: divide by the window size including padding
};

// One dim of PyTorch's rule: floor (or ceil) of (in + 2 pad - kernel) / stride, plus 1; in
// ceil_mode the last window is dropped when it would start in the right padding or beyond.
inline int64_t pool_output_size(int64_t in, int64_t kernel, int64_t stride, int64_t pad,
                                bool ceil_mode) {
  const int64_t span = in + 2 * pad - kernel + (ceil_mode ? stride - 1 : 0);
  const int64_t quotient = span >= 0 ? span / stride : -((-span + stride - 1) / stride);  // floor
  int64_t out = quotient + 1;
  if (ceil_mode && (out - 1) * stride >= in + pad) --out;
  return out;
}

// Checks x's rank and the window parameters; stride {0, 0} means the kernel size.
inline Pool2dGeometry make_pool2d_geometry(const char* op, const Shape& x,
                                           std::array<int64_t, 2> kernel,
                                           std::array<int64_t, 2> stride,
                                           std::array<int64_t, 2> padding, bool ceil_mode,
                                           bool count_include_pad) {
  STAA_CHECK(x.ndim() == 4, op, ": expected x of shape [N, C, H, W], got ", x);
  if (stride[0] == 0 && stride[1] == 0) stride = kernel;
  STAA_CHECK(kernel[0] > 0 && kernel[1] > 0, op, ": kernel must be positive, got [", kernel[0], ",",
             kernel[1], "]");
  STAA_CHECK(stride[0] > 0 && stride[1] > 0, op, ": stride must be positive, got [", stride[0], ",",
             stride[1], "]");
  STAA_CHECK(padding[0] >= 0 && padding[1] >= 0 && 2 * padding[0] <= kernel[0] &&
                 2 * padding[1] <= kernel[1],
             op, ": padding must be in [0, kernel / 2], got padding [", padding[0], ",", padding[1],
             "] for kernel [", kernel[0], ",", kernel[1], "]");
  Pool2dGeometry g;
  g.n = x[0], g.c = x[1], g.h = x[2], g.w = x[3];
  g.kernel_h = kernel[0], g.kernel_w = kernel[1];
  g.stride_h = stride[0], g.stride_w = stride[1];
  g.pad_h = padding[0], g.pad_w = padding[1];
  g.count_include_pad = count_include_pad;
  g.out_h = pool_output_size(g.h, g.kernel_h, g.stride_h, g.pad_h, ceil_mode);
  g.out_w = pool_output_size(g.w, g.kernel_w, g.stride_w, g.pad_w, ceil_mode);
  STAA_CHECK(g.out_h > 0 && g.out_w > 0, op, ": input ", x, " is smaller than the kernel [",
             kernel[0], ",", kernel[1], "] with padding [", padding[0], ",", padding[1],
             "]: the output would be [", g.out_h, ",", g.out_w, "]");
  return g;
}

// Adaptive average pooling: x: [n, c, h, w] -> y: [n, c, out_h, out_w]; output row i averages
// input rows [floor(i * h / out_h), ceil((i + 1) * h / out_h)), likewise columns.
struct AdaptivePool2dGeometry {
  int64_t n = 0, c = 0, h = 0, w = 0;
  int64_t out_h = 1, out_w = 1;
};

STAA_HOST_DEVICE inline int64_t adaptive_start(int64_t i, int64_t in, int64_t out) {
  return i * in / out;
}
STAA_HOST_DEVICE inline int64_t adaptive_end(int64_t i, int64_t in, int64_t out) {
  return ((i + 1) * in + out - 1) / out;
}

// An input window [h0, h1) x [w0, w1), clipped to the plane, and the divisor of its average;
// shared by the CPU and CUDA pooling kernels.
struct PoolWindow {
  int64_t h0, h1, w0, w1;
  int64_t divisor;
  STAA_HOST_DEVICE bool holds(int64_t h, int64_t w) const {
    return h >= h0 && h < h1 && w >= w0 && w < w1;
  }
};

// PyTorch's avg_pool2d window of output (oh, ow): the divisor counts the padded window (cut at
// the right padding's end) when count_include_pad, else only the input elements.
STAA_HOST_DEVICE inline PoolWindow pool_window(const Pool2dGeometry& g, int64_t oh, int64_t ow) {
  PoolWindow win;
  win.h0 = oh * g.stride_h - g.pad_h;
  win.w0 = ow * g.stride_w - g.pad_w;
  win.h1 = win.h0 + g.kernel_h < g.h + g.pad_h ? win.h0 + g.kernel_h : g.h + g.pad_h;
  win.w1 = win.w0 + g.kernel_w < g.w + g.pad_w ? win.w0 + g.kernel_w : g.w + g.pad_w;
  const int64_t padded = (win.h1 - win.h0) * (win.w1 - win.w0);
  win.h0 = win.h0 > 0 ? win.h0 : 0;
  win.w0 = win.w0 > 0 ? win.w0 : 0;
  win.h1 = win.h1 < g.h ? win.h1 : g.h;
  win.w1 = win.w1 < g.w ? win.w1 : g.w;
  win.divisor = g.count_include_pad ? padded : (win.h1 - win.h0) * (win.w1 - win.w0);
  return win;
}

// The adaptive window of output (oh, ow).
STAA_HOST_DEVICE inline PoolWindow adaptive_window(const AdaptivePool2dGeometry& g, int64_t oh,
                                                   int64_t ow) {
  PoolWindow win;
  win.h0 = adaptive_start(oh, g.h, g.out_h);
  win.h1 = adaptive_end(oh, g.h, g.out_h);
  win.w0 = adaptive_start(ow, g.w, g.out_w);
  win.w1 = adaptive_end(ow, g.w, g.out_w);
  win.divisor = (win.h1 - win.h0) * (win.w1 - win.w0);
  return win;
}

inline AdaptivePool2dGeometry make_adaptive_pool2d_geometry(const char* op, const Shape& x,
                                                            std::array<int64_t, 2> out_size) {
  STAA_CHECK(x.ndim() == 4, op, ": expected x of shape [N, C, H, W], got ", x);
  STAA_CHECK(out_size[0] > 0 && out_size[1] > 0, op, ": output size must be positive, got [",
             out_size[0], ",", out_size[1], "]");
  STAA_CHECK(x[2] > 0 && x[3] > 0, op, ": expected non-empty H and W, got ", x);
  return {x[0], x[1], x[2], x[3], out_size[0], out_size[1]};
}

}  // namespace staa
