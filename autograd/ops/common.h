// Helpers shared by the op front-ends: argument checks and output allocation. Layer: autograd
// (private to autograd/ops).
#pragma once

#include "autograd/ops.h"
#include "tensor/backend.h"

namespace staa::detail {

// Checks a floating input; op names the caller.
inline void check_float_input(const char* op, const Tensor& x, const char* what = "input") {
  check_defined(op, x, what);
  check_floating(op, x, what);
}

// Checks two floating inputs on one device with one dtype.
inline void check_pair(const char* op, const Tensor& a, const Tensor& b) {
  check_float_input(op, a, "first input");
  check_float_input(op, b, "second input");
  check_same_device(op, a, b);
  check_same_dtype(op, a, b);
}

inline Tensor empty_like(const Tensor& x) {
  return Tensor::empty(x.shape(), x.dtype(), x.device());
}
inline Tensor empty_as(const Shape& shape, const Tensor& like) {
  return Tensor::empty(shape, like.dtype(), like.device());
}
inline Tensor zeros_as(const Shape& shape, const Tensor& like) {
  return zeros(shape, {like.dtype(), like.device()});
}

}  // namespace staa::detail
