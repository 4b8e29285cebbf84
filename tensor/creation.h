// Creation functions: empty, zeros, ones, full, arange, uniform and normal (from an explicit
// Generator), and tensors from host values. Layer: tensor. Results never require grad; call
// set_requires_grad(true) to make a leaf.
#pragma once

#include <vector>

#include "tensor/generator.h"
#include "tensor/tensor.h"

namespace staa {

struct TensorOptions {
  DType dtype = kF32;
  Device device = Device::cpu();
};

Tensor empty(const Shape& shape, TensorOptions options = {});
Tensor zeros(const Shape& shape, TensorOptions options = {});
Tensor ones(const Shape& shape, TensorOptions options = {});
Tensor full(const Shape& shape, double value, TensorOptions options = {});
// [start, start + step, ...) with ceil((end - start) / step) elements.
Tensor arange(double start, double end, double step = 1.0, TensorOptions options = {});
Tensor uniform(const Shape& shape, double low, double high, Generator& gen,
               TensorOptions options = {});
Tensor normal(const Shape& shape, double mean, double stddev, Generator& gen,
              TensorOptions options = {});
// A tensor holding `values` (row-major) with the given shape; the count must match.
Tensor from_vector(const std::vector<double>& values, const Shape& shape,
                   TensorOptions options = {});
Tensor from_vector(const std::vector<float>& values, const Shape& shape);
Tensor from_vector(const std::vector<int64_t>& values, const Shape& shape);
Tensor scalar_tensor(double value, TensorOptions options = {});

// In-place fills (bump the version counter).
void fill_(Tensor& t, double value);
void uniform_(Tensor& t, double low, double high, Generator& gen);
void normal_(Tensor& t, double mean, double stddev, Generator& gen);
// dst <- src (same shape, dtype may differ: cast), bumps dst's version.
void copy_(Tensor& dst, const Tensor& src);

}  // namespace staa
