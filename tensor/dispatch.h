// dtype dispatch shared by the backends: calls f(T{}) with the C++ type of a runtime DType.
// Layer: tensor. Plain C++ (no CUDA headers), so both cpu/ and cuda/ include it.
#pragma once

#include <cstdint>

#include "tensor/device.h"
#include "tensor/error.h"
#include "tensor/tensor.h"

namespace staa {

// T = float or double; op names the caller in the error for any other dtype.
template <typename F>
void dispatch_float(DType dtype, const char* op, F&& f) {
  switch (dtype) {
    case DType::kF32:
      f(float{});
      break;
    case DType::kF64:
      f(double{});
      break;
    default:
      STAA_FAIL(op, ": expected an f32 or f64 tensor, got ", dtype);
  }
}

// T = float, double or int64_t.
template <typename F>
void dispatch_all(DType dtype, F&& f) {
  switch (dtype) {
    case DType::kF32:
      f(float{});
      break;
    case DType::kF64:
      f(double{});
      break;
    case DType::kI64:
      f(int64_t{});
      break;
  }
}

// The data of an optional tensor argument (a gradient not wanted, a weight not given): null when
// the tensor is undefined.
template <typename T>
const T* data_or_null(const Tensor& t) {
  return t.defined() ? t.data<T>() : nullptr;
}
template <typename T>
T* mutable_or_null(Tensor& t) {
  return t.defined() ? t.data<T>() : nullptr;
}

}  // namespace staa
