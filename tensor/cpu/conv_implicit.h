// Float conv2d through implicit GEMM (tensor/cpu/conv_implicit.cpp): the column matrix is never
// stored, its GEMM micro-panels are packed straight from the images. Layer: tensor/cpu, private
// to conv.cpp, which keeps the general im2col path (f64, groups, strided backward-data) and calls
// these only where *_supported says so. Shapes as in tensor/ops/conv.h.
#pragma once

#include <algorithm>
#include <cstdint>

#include "tensor/ops/conv.h"

namespace staa::cpu {

// Valid output range [lo, hi) along one axis for kernel tap offset kd = k * dil:
// 0 <= o * s - p + kd < size (shared with the im2col path of conv.cpp).
inline void conv_valid_range(int64_t out, int64_t size, int64_t s, int64_t p, int64_t kd,
                             int64_t& lo, int64_t& hi) {
  const int64_t shift = p - kd;  // o * s >= shift and o * s < size + shift
  lo = shift > 0 ? (shift + s - 1) / s : 0;
  hi = size + shift > 0 ? (size + shift + s - 1) / s : 0;
  lo = std::min(lo, out);
  hi = std::clamp(hi, lo, out);
}

// Forward: groups == 1 and C_in KH KW >= 64; backward-data: groups == 1, C_in >= 16 and
// either stride 1 with pad <= dil * (K - 1) or a 1 x 1 unpadded kernel.
bool conv_implicit_supported(const Conv2dGeometry& g);
bool conv_backward_data_implicit_supported(const Conv2dGeometry& g);
// Backward-weight: as the forward.
bool conv_backward_weight_implicit_supported(const Conv2dGeometry& g);

// y = conv(x, w) + bias. x: [N, C_in, H, W], w: [C_out, C_in, KH, KW], bias: [C_out] or null,
// y: [N, C_out, OH, OW]
void conv_forward_implicit(const float* x, const float* w, const float* bias,
                           const Conv2dGeometry& g, float* y);

// grad_x as the stride-1 convolution of grad_y with the flipped, transposed weights, or (1 x 1,
// strided) w^T grad_y spread to every stride-th position.
// grad_y: [N, C_out, OH, OW], w: [C_out, C_in, KH, KW], grad_x: [N, C_in, H, W]
void conv_backward_data_implicit(const float* grad_y, const float* w, const Conv2dGeometry& g,
                                 float* grad_x);

// grad_w = sum over images of grad_y cols(x)^T. grad_y: [N, C_out, OH, OW], x: [N, C_in, H, W],
// grad_w: [C_out, C_in, KH, KW]
void conv_backward_weight_implicit(const float* grad_y, const float* x, const Conv2dGeometry& g,
                                   float* grad_w);

}  // namespace staa::cpu
