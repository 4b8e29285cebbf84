// pool: not yet on CUDA (throws Unsupported). Layer: tensor/cuda.
#include "tensor/cuda/kernels.h"

namespace staa::cuda {

void avg_pool2d(const Tensor& x, const Pool2dGeometry& g, Tensor& y) {
  throw Unsupported("avg_pool2d", "cuda");
}

void avg_pool2d_backward(const Tensor& grad_y, const Pool2dGeometry& g, Tensor& grad_x) {
  throw Unsupported("avg_pool2d_backward", "cuda");
}

void max_pool2d(const Tensor& x, const Pool2dGeometry& g, Tensor& y, Tensor& index) {
  throw Unsupported("max_pool2d", "cuda");
}

void max_pool2d_backward(const Tensor& grad_y, const Tensor& index, const Pool2dGeometry& g, Tensor& grad_x) {
  throw Unsupported("max_pool2d_backward", "cuda");
}

void adaptive_avg_pool2d(const Tensor& x, const AdaptivePool2dGeometry& g, Tensor& y) {
  throw Unsupported("adaptive_avg_pool2d", "cuda");
}

void adaptive_avg_pool2d_backward(const Tensor& grad_y, const AdaptivePool2dGeometry& g, Tensor& grad_x) {
  throw Unsupported("adaptive_avg_pool2d_backward", "cuda");
}

}  // namespace staa::cuda
