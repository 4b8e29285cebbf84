// conv: not yet on CUDA (throws Unsupported). Layer: tensor/cuda.
#include "tensor/cuda/kernels.h"

namespace staa::cuda {

void conv2d(const Tensor& x, const Tensor& w, const Tensor& bias, const Conv2dGeometry& g, Tensor& y) {
  throw Unsupported("conv2d", "cuda");
}

void conv2d_backward_data(const Tensor& grad_y, const Tensor& w, const Conv2dGeometry& g, Tensor& grad_x) {
  throw Unsupported("conv2d_backward_data", "cuda");
}

void conv2d_backward_weight(const Tensor& grad_y, const Tensor& x, const Conv2dGeometry& g, Tensor& grad_w, Tensor& grad_bias) {
  throw Unsupported("conv2d_backward_weight", "cuda");
}

}  // namespace staa::cuda
