// reduce: not yet on CUDA (throws Unsupported). Layer: tensor/cuda.
#include "tensor/cuda/kernels.h"

namespace staa::cuda {

void reduce(ReduceOp op, const Tensor& x, const ReduceLayout& layout, Tensor& out, Tensor& index) {
  throw Unsupported("reduce", "cuda");
}

void reduce_max_backward(const Tensor& grad_out, const Tensor& index, const ReduceLayout& layout, Tensor& grad_x) {
  throw Unsupported("reduce_max_backward", "cuda");
}

void softmax(const Tensor& x, const DimLayout& layout, bool log, Tensor& y) {
  throw Unsupported("softmax", "cuda");
}

void softmax_backward(const Tensor& y, const Tensor& grad_y, const DimLayout& layout, bool log, Tensor& grad_x) {
  throw Unsupported("softmax_backward", "cuda");
}

void layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, const LayerNormLayout& l, double eps, Tensor& y, Tensor& mean, Tensor& inv_std) {
  throw Unsupported("layer_norm", "cuda");
}

void layer_norm_backward(const Tensor& x, const Tensor& mean, const Tensor& inv_std, const Tensor& weight, const Tensor& grad_y, const LayerNormLayout& l, Tensor& grad_x, Tensor& grad_weight, Tensor& grad_bias) {
  throw Unsupported("layer_norm_backward", "cuda");
}

}  // namespace staa::cuda
