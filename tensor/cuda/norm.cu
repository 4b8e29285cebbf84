// norm: not yet on CUDA (throws Unsupported). Layer: tensor/cuda.
#include "tensor/cuda/kernels.h"

namespace staa::cuda {

void batch_norm_stats(const Tensor& x, const BatchNormLayout& l, Tensor& mean, Tensor& var) {
  throw Unsupported("batch_norm_stats", "cuda");
}

void batch_norm_forward(const Tensor& x, const Tensor& mean, const Tensor& var, const Tensor& weight, const Tensor& bias, const BatchNormLayout& l, double eps, Tensor& y) {
  throw Unsupported("batch_norm_forward", "cuda");
}

void batch_norm_backward(const Tensor& x, const Tensor& mean, const Tensor& var, const Tensor& weight, const Tensor& grad_y, const BatchNormLayout& l, double eps, bool training, Tensor& grad_x, Tensor& grad_weight, Tensor& grad_bias) {
  throw Unsupported("batch_norm_backward", "cuda");
}

}  // namespace staa::cuda
