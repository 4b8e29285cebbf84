// Creation functions and in-place fills, dispatched to the device's backend. Layer: tensor.
#include "tensor/creation.h"

#include <cmath>

#include "tensor/backend.h"

namespace staa {

Tensor empty(const Shape& shape, TensorOptions o) {
  return Tensor::empty(shape, o.dtype, o.device);
}

Tensor full(const Shape& shape, double value, TensorOptions o) {
  Tensor t = Tensor::empty(shape, o.dtype, o.device);
  backend_of(t).fill(t, value);
  return t;
}

Tensor zeros(const Shape& shape, TensorOptions o) {
  return full(shape, 0.0, o);
}
Tensor ones(const Shape& shape, TensorOptions o) {
  return full(shape, 1.0, o);
}

Tensor arange(double start, double end, double step, TensorOptions o) {
  STAA_CHECK(step != 0.0, "arange: step must be non-zero");
  const double count = std::ceil((end - start) / step);
  STAA_CHECK(count >= 0, "arange: [", start, ", ", end, ") with step ", step,
             " is empty the "
             "wrong way round");
  Tensor t = Tensor::empty({static_cast<int64_t>(count)}, o.dtype, o.device);
  backend_of(t).arange(t, start, step);
  return t;
}

Tensor uniform(const Shape& shape, double low, double high, Generator& gen, TensorOptions o) {
  Tensor t = Tensor::empty(shape, o.dtype, o.device);
  uniform_(t, low, high, gen);
  return t;
}

Tensor normal(const Shape& shape, double mean, double stddev, Generator& gen, TensorOptions o) {
  Tensor t = Tensor::empty(shape, o.dtype, o.device);
  normal_(t, mean, stddev, gen);
  return t;
}

Tensor from_vector(const std::vector<double>& values, const Shape& shape, TensorOptions o) {
  STAA_CHECK(static_cast<int64_t>(values.size()) == shape.numel(), "from_vector: ", values.size(),
             " values for shape ", shape, " (", shape.numel(), " elements)");
  Tensor host = Tensor::empty(shape, kF64, Device::cpu());
  std::copy(values.begin(), values.end(), host.data<double>());
  return host.to(o.dtype).to(o.device);
}

Tensor from_vector(const std::vector<float>& values, const Shape& shape) {
  STAA_CHECK(static_cast<int64_t>(values.size()) == shape.numel(), "from_vector: ", values.size(),
             " values for shape ", shape, " (", shape.numel(), " elements)");
  Tensor t = Tensor::empty(shape, kF32, Device::cpu());
  std::copy(values.begin(), values.end(), t.data<float>());
  return t;
}

Tensor from_vector(const std::vector<int64_t>& values, const Shape& shape) {
  STAA_CHECK(static_cast<int64_t>(values.size()) == shape.numel(), "from_vector: ", values.size(),
             " values for shape ", shape, " (", shape.numel(), " elements)");
  Tensor t = Tensor::empty(shape, kI64, Device::cpu());
  std::copy(values.begin(), values.end(), t.data<int64_t>());
  return t;
}

Tensor scalar_tensor(double value, TensorOptions o) {
  return full(Shape{}, value, o);
}

void fill_(Tensor& t, double value) {
  backend_of(t).fill(t, value);
  t.bump_version();
}

void uniform_(Tensor& t, double low, double high, Generator& gen) {
  check_floating("uniform", t, "output");
  STAA_CHECK(low <= high, "uniform: low ", low, " > high ", high);
  backend_of(t).uniform(t, low, high, gen.seed(), gen.draw(static_cast<uint64_t>(t.numel())));
  t.bump_version();
}

void normal_(Tensor& t, double mean, double stddev, Generator& gen) {
  check_floating("normal", t, "output");
  STAA_CHECK(stddev >= 0, "normal: stddev must be >= 0, got ", stddev);
  backend_of(t).normal(t, mean, stddev, gen.seed(), gen.draw(static_cast<uint64_t>(t.numel())));
  t.bump_version();
}

void copy_(Tensor& dst, const Tensor& src) {
  STAA_CHECK(dst.shape() == src.shape(), "copy_: destination shape ", dst.shape(),
             " != source shape ", src.shape());
  Tensor s = src.device() == dst.device() ? src : src.to(dst.device());
  backend_of(dst).copy(s, dst);
  dst.bump_version();
}

}  // namespace staa
