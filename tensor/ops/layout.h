// Parameter structs of the softmax, index and matmul families, with their shape rules.
// Layer: tensor. A tensor seen along one dim is [outer, dim, inner] (row-major).
#pragma once

#include <cstdint>

#include "tensor/shape.h"

namespace staa {

struct DimLayout {
  int64_t outer = 1;  // product of the dims before `dim`
  int64_t size = 1;   // the dim itself
  int64_t inner = 1;  // product of the dims after `dim`
};

inline DimLayout dim_layout(const Shape& shape, int dim) {
  DimLayout l;
  for (int i = 0; i < dim; ++i) l.outer *= shape[i];
  l.size = shape[dim];
  for (int i = dim + 1; i < shape.ndim(); ++i) l.inner *= shape[i];
  return l;
}

// Batched GEMM: for each of `batch` problems, C = alpha * op(A) * op(B) + beta * C, with
// per-problem element strides (0 broadcasts one operand over the batch).
struct GemmParams {
  bool trans_a = false, trans_b = false;
  int64_t batch = 1, m = 0, n = 0, k = 0;
  int64_t stride_a = 0, stride_b = 0, stride_c = 0;
  double alpha = 1.0, beta = 0.0;
};

}  // namespace staa
