// Normalisation: the layouts of batch norm and layer norm and their shape rules. Layer: tensor.
// Batch norm sees x: [N, C, ...] as [outer = N, channels = C, inner = prod(...)] and normalises
// each channel over outer and inner; layer norm sees x as [rows, cols] with cols the product of
// the trailing normalised dims and normalises each row. Statistics are biased (divide by count).
#pragma once

#include <cstdint>

#include "tensor/error.h"
#include "tensor/shape.h"

namespace staa {

struct BatchNormLayout {
  int64_t outer = 1;                               // N
  int64_t channels = 1;                            // C
  int64_t inner = 1;                               // product of the dims after C
  int64_t count() const { return outer * inner; }  // elements per channel
};

inline BatchNormLayout make_batch_norm_layout(const char* op, const Shape& x) {
  STAA_CHECK(x.ndim() >= 2, op, ": expected x of shape [N, C, ...], got ", x);
  BatchNormLayout l;
  l.outer = x[0];
  l.channels = x[1];
  for (int i = 2; i < x.ndim(); ++i) l.inner *= x[i];
  return l;
}

struct LayerNormLayout {
  int64_t rows = 1;  // product of the leading (not normalised) dims
  int64_t cols = 1;  // product of the trailing normalised dims
};

// The trailing `normalized_ndim` dims of x, as a shape (weight and bias have it).
inline Shape normalized_shape(const Shape& x, int normalized_ndim) {
  Shape s;
  for (int i = x.ndim() - normalized_ndim; i < x.ndim(); ++i) s.push_back(x[i]);
  return s;
}

inline LayerNormLayout make_layer_norm_layout(const char* op, const Shape& x, int normalized_ndim) {
  STAA_CHECK(normalized_ndim >= 1 && normalized_ndim <= x.ndim(), op,
             ": normalized_ndim must be in [1, ", x.ndim(), "] for x of shape ", x, ", got ",
             normalized_ndim);
  LayerNormLayout l;
  for (int i = 0; i < x.ndim(); ++i) (i < x.ndim() - normalized_ndim ? l.rows : l.cols) *= x[i];
  STAA_CHECK(l.cols > 0, op, ": the normalised dims of ", x, " hold no elements");
  return l;
}

}  // namespace staa
