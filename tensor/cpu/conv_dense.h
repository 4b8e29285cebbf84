// conv2d on tiny planes as one dense GEMM (tensor/cpu/conv_dense.cpp). Layer: tensor/cpu, private
// to conv.cpp, which calls these where conv_dense_supported says so. Shapes as in
// tensor/ops/conv.h.
//
// A convolution is a linear map from an image x[n] (C_in H W values) to y[n] (C_out OH OW values):
// y_flat = x_flat U^T with the unrolled weight U[(co, o), (ci, q)] = w[co, ci, i, j] where tap
// (i, j) of output position o reads input position q, else 0. U costs OH OW H W multiply-adds per
// channel pair and image; every tap-by-tap method (im2col, implicit GEMM) costs OH OW KH KW, the
// taps that read padding included. On a 2x2 plane under a 3x3 kernel (ResNet-20's 512-channel
// stage) that is 4 against 9 per output: U does 2.25x fewer, exactly (no transform, as Winograd
// would need), as one large GEMM over the whole batch.
#pragma once

#include "tensor/ops/conv.h"

namespace staa::cpu {

// groups == 1, H W < KH KW, and U at most 64 MiB.
bool conv_dense_supported(const Conv2dGeometry& g, size_t elem_size);

// y = conv(x, w) + bias. x: [N, C_in, H, W], w: [C_out, C_in, KH, KW], bias: [C_out] or null,
// y: [N, C_out, OH, OW]
template <typename T>
void conv_forward_dense(const T* x, const T* w, const T* bias, const Conv2dGeometry& g, T* y);

// grad_x_flat = grad_y_flat U. grad_y: [N, C_out, OH, OW], grad_x: [N, C_in, H, W]
template <typename T>
void conv_backward_data_dense(const T* grad_y, const T* w, const Conv2dGeometry& g, T* grad_x);

// grad_U = grad_y_flat^T x_flat, folded back onto the taps. grad_w: [C_out, C_in, KH, KW]
template <typename T>
void conv_backward_weight_dense(const T* grad_y, const T* x, const Conv2dGeometry& g, T* grad_w);

}  // namespace staa::cpu
