// Float 3x3 stride-1 conv2d by Winograd's minimal filtering F(4x4, 3x3) (tensor/cpu/
// conv_winograd.cpp): each 4x4 block of outputs from a 6x6 block of inputs in 36 multiplies per
// channel pair instead of 144, as 36 GEMMs [C_out, C_in] x [C_in, tiles]. Layer: tensor/cpu,
// private to conv.cpp, which calls these only where conv_winograd_supported says so and
// allow_winograd() is on (tensor/backend.h). Shapes as in tensor/ops/conv.h.
#pragma once

#include "tensor/ops/conv.h"

namespace staa::cpu {

// groups == 1, a 3x3 kernel, stride 1, dilation 1, padding <= 2 (so that backward-data, the
// forward of grad_y with padding 2 - pad, is one too), at least 16 input and output channels,
// and an output of at least 4x4. The same geometry serves all three passes.
bool conv_winograd_supported(const Conv2dGeometry& g);

// y = conv(x, w) + bias. x: [N, C_in, H, W], w: [C_out, C_in, 3, 3], bias: [C_out] or null,
// y: [N, C_out, OH, OW]
void conv_forward_winograd(const float* x, const float* w, const float* bias,
                           const Conv2dGeometry& g, float* y);

// grad_x: the forward of grad_y with the flipped, transposed weights.
// grad_y: [N, C_out, OH, OW], w: [C_out, C_in, 3, 3], grad_x: [N, C_in, H, W]
void conv_backward_data_winograd(const float* grad_y, const float* w, const Conv2dGeometry& g,
                                 float* grad_x);

// grad_w = G^T (sum over tiles of (A grad_y_tile A^T) * (B^T x_tile B)) G, per channel pair.
// grad_y: [N, C_out, OH, OW], x: [N, C_in, H, W], grad_w: [C_out, C_in, 3, 3]
void conv_backward_weight_winograd(const float* grad_y, const float* x, const Conv2dGeometry& g,
                                   float* grad_w);

}  // namespace staa::cpu
