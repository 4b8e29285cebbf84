// Tensor handle: allocation, views, device/dtype moves, element access and printing.
// Layer: tensor.
#include "tensor/tensor.h"

#include <atomic>
#include <iomanip>
#include <sstream>

#include "tensor/backend.h"

namespace staa {

uint64_t next_tensor_id() {
  static std::atomic<uint64_t> counter{1};
  return counter.fetch_add(1, std::memory_order_relaxed);
}

Tensor Tensor::empty(const Shape& shape, DType dtype, Device device) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage =
      std::make_shared<Storage>(static_cast<size_t>(shape.numel()) * dtype_size(dtype), device);
  impl->shape = shape;
  impl->dtype = dtype;
  impl->id = next_tensor_id();
  return Tensor(std::move(impl));
}

void* Tensor::raw_data() const {
  const TensorImpl& i = impl();
  return static_cast<char*>(i.storage->data()) +
         i.offset * static_cast<int64_t>(dtype_size(i.dtype));
}

Tensor& Tensor::set_requires_grad(bool on) {
  STAA_CHECK(!on || is_floating(dtype()),
             "set_requires_grad: only f32/f64 tensors can require "
             "grad, this one is ",
             dtype());
  STAA_CHECK(is_leaf(),
             "set_requires_grad: only leaves can be marked; this tensor was produced "
             "by an op (use detach() first)");
  impl().requires_grad = on;
  return *this;
}

Tensor Tensor::grad() const {
  return impl().grad ? Tensor(impl().grad) : Tensor();
}

void Tensor::set_grad(const Tensor& g) {
  if (g.defined()) {
    STAA_CHECK(g.shape() == shape(), "set_grad: gradient shape ", g.shape(), " != tensor shape ",
               shape());
  }
  impl().grad = g.impl_ptr();
}

namespace {
std::shared_ptr<TensorImpl> alias(const TensorImpl& src) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = src.storage;
  impl->offset = src.offset;
  impl->shape = src.shape;
  impl->dtype = src.dtype;
  impl->id = next_tensor_id();
  impl->name = src.name;
  return impl;
}
}  // namespace

Tensor Tensor::detach() const {
  return Tensor(alias(impl()));
}

Tensor Tensor::view_as(const Shape& shape) const {
  STAA_CHECK(shape.numel() == numel(), "reshape: cannot view ", this->shape(), " (", numel(),
             " elements) as ", shape, " (", shape.numel(), " elements)");
  auto impl = alias(this->impl());
  impl->shape = shape;
  return Tensor(std::move(impl));
}

Tensor Tensor::view_rows(int64_t start, int64_t end) const {
  STAA_CHECK(ndim() >= 1, "slice: needs at least 1 dim, got a 0-dim tensor");
  STAA_CHECK(0 <= start && start <= end && end <= size(0), "slice: rows [", start, ", ", end,
             ") out of range for dim 0 of size ", size(0));
  auto impl = alias(this->impl());
  const int64_t row = size(0) == 0 ? 0 : numel() / size(0);
  impl->offset += start * row;
  impl->shape[0] = end - start;
  return Tensor(std::move(impl));
}

void Tensor::set_data(const Tensor& src) const {
  STAA_CHECK(src.shape() == shape(), "set_data: replacement has shape ", src.shape(),
             ", the tensor has ", shape());
  if (src.shares_storage(*this) && src.dtype() == dtype() && src.impl().offset == impl().offset)
    return;
  TensorImpl& i = impl();
  i.storage = src.impl().storage;
  i.offset = src.impl().offset;
  i.dtype = src.dtype();
  bump_version();
}

Tensor Tensor::to(Device device) const {
  if (device == this->device()) return *this;
  Tensor out = empty(shape(), dtype(), device);
  if (device.is_cpu()) {
    backend_of(*this).copy_to_host(*this, out.raw_data());
  } else if (this->device().is_cpu()) {
    backend_for(device).copy_from_host(raw_data(), out);  // CUDA: returns before the GPU has it
  } else {
    const Tensor host = to(Device::cpu());  // between two GPUs: through the host
    backend_for(device).copy_from_host(host.raw_data(), out);
  }
  return out;
}

Tensor Tensor::to(DType dtype) const {
  if (dtype == this->dtype()) return *this;
  Tensor out = empty(shape(), dtype, device());
  backend_of(*this).copy(*this, out);
  return out;
}

Tensor Tensor::clone() const {
  Tensor out = empty(shape(), dtype(), device());
  backend_of(*this).copy(*this, out);
  return out;
}

std::vector<double> Tensor::to_vector() const {
  Tensor host = to(Device::cpu());
  std::vector<double> v(static_cast<size_t>(numel()));
  for (int64_t i = 0; i < numel(); ++i) {
    switch (dtype()) {
      case kF32:
        v[i] = host.data<float>()[i];
        break;
      case kF64:
        v[i] = host.data<double>()[i];
        break;
      case kI64:
        v[i] = static_cast<double>(host.data<int64_t>()[i]);
        break;
    }
  }
  return v;
}

double Tensor::item() const {
  STAA_CHECK(numel() == 1, "item: needs a tensor with one element, got shape ", shape());
  return to_vector()[0];
}

namespace {
void print_dim(std::ostream& out, const std::vector<double>& v, const Shape& s, int dim,
               int64_t offset, int max_per_dim, DType dtype) {
  if (s.ndim() == 0) {
    out << v[0];
    return;
  }
  int64_t inner = 1;
  for (int i = dim + 1; i < s.ndim(); ++i) inner *= s[i];
  out << "[";
  for (int64_t i = 0; i < s[dim]; ++i) {
    if (s[dim] > max_per_dim && i == max_per_dim / 2) {
      out << "..., ";
      i = s[dim] - max_per_dim / 2;
    }
    if (dim + 1 == s.ndim()) {
      if (dtype == kI64)
        out << static_cast<int64_t>(v[offset + i]);
      else
        out << std::setprecision(5) << v[offset + i];
    } else {
      print_dim(out, v, s, dim + 1, offset + i * inner, max_per_dim, dtype);
    }
    if (i + 1 < s[dim]) out << ", ";
  }
  out << "]";
}
}  // namespace

std::string Tensor::str(int max_per_dim) const {
  if (!defined()) return "tensor(undefined)";
  std::ostringstream out;
  out << "tensor(";
  print_dim(out, to_vector(), shape(), 0, 0, max_per_dim, dtype());
  out << ", shape=" << shape() << ", dtype=" << dtype() << ", device=" << device();
  if (requires_grad()) out << ", requires_grad";
  out << ")";
  return out.str();
}

std::ostream& operator<<(std::ostream& out, const Tensor& t) {
  return out << t.str();
}

void check_defined(const char* op, const Tensor& t, const char* what) {
  STAA_CHECK(t.defined(), op, ": ", what, " is an undefined tensor");
}

void check_same_device(const char* op, const Tensor& a, const Tensor& b) {
  STAA_CHECK(a.device() == b.device(), op, ": expected tensors on one device, got ", a.device(),
             " and ", b.device());
}

void check_same_dtype(const char* op, const Tensor& a, const Tensor& b) {
  STAA_CHECK(a.dtype() == b.dtype(), op, ": expected tensors of one dtype, got ", a.dtype(),
             " and ", b.dtype());
}

void check_floating(const char* op, const Tensor& t, const char* what) {
  STAA_CHECK(is_floating(t.dtype()), op, ": ", what, " must be f32 or f64, got ", t.dtype());
}

}  // namespace staa
