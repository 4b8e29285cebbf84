// shape: not yet on CUDA (throws Unsupported). Layer: tensor/cuda.
#include "tensor/cuda/kernels.h"

namespace staa::cuda {

void permute(const Tensor& x, const std::vector<int>& perm, Tensor& out) {
  throw Unsupported("permute", "cuda");
}

void expand(const Tensor& x, Tensor& out) {
  throw Unsupported("expand", "cuda");
}

void index_select(const Tensor& x, const DimLayout& layout, const Tensor& index, Tensor& out) {
  throw Unsupported("index_select", "cuda");
}

void index_add(const Tensor& grad_out, const DimLayout& layout, const Tensor& index, Tensor& grad_x) {
  throw Unsupported("index_add", "cuda");
}

void gather(const Tensor& x, const DimLayout& layout, const Tensor& index, Tensor& out) {
  throw Unsupported("gather", "cuda");
}

void scatter_add(const Tensor& grad_out, const DimLayout& layout, const Tensor& index, Tensor& grad_x) {
  throw Unsupported("scatter_add", "cuda");
}

}  // namespace staa::cuda
