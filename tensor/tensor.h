// Tensor: a cheap handle on a TensorImpl {storage, offset, shape, dtype, requires_grad, grad}.
// Layer: tensor. Invariant: every tensor is dense and row-major; the only views are reshape and
// slice along dim 0, so data() always points at numel() contiguous elements. Differentiable ops
// live in autograd/ (staa::add, staa::matmul, ...); this class has only the non-differentiable
// basics.
#pragma once

#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "tensor/device.h"
#include "tensor/error.h"
#include "tensor/shape.h"
#include "tensor/storage.h"

namespace staa {

class Tensor;

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  int64_t offset = 0;  // in elements
  Shape shape;
  DType dtype = DType::kF32;
  bool requires_grad = false;
  bool is_leaf = true;  // false once produced by a recorded op
  std::shared_ptr<TensorImpl> grad;
  uint64_t id = 0;   // unique for the life of the process; the tape keys gradients by it
  std::string name;  // optional, used in error messages (parameters carry their names)
};

uint64_t next_tensor_id();

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // A fresh tensor with uninitialised contents.
  static Tensor empty(const Shape& shape, DType dtype = kF32, Device device = Device::cpu());

  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const { return impl().shape; }
  int ndim() const { return impl().shape.ndim(); }
  int64_t size(int dim) const { return impl().shape.at(dim); }
  int64_t numel() const { return impl().shape.numel(); }
  DType dtype() const { return impl().dtype; }
  Device device() const { return impl().storage->device(); }
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype()); }

  // Typed pointer to element 0; T must match dtype() (float, double or int64_t).
  template <typename T>
  T* data() const;
  void* raw_data() const;

  bool requires_grad() const { return impl().requires_grad; }
  // Marks a leaf as a parameter-like tensor whose .grad backward() fills.
  Tensor& set_requires_grad(bool on);
  bool is_leaf() const { return impl().is_leaf; }
  Tensor grad() const;
  void set_grad(const Tensor& g);
  uint64_t id() const { return impl().id; }
  const std::string& name() const { return impl().name; }
  void set_name(const std::string& name) { impl().name = name; }

  // Version counter of the storage, shared by views; in-place writes bump it.
  uint64_t version() const { return impl().storage->version(); }
  void bump_version() const { impl().storage->bump_version(); }
  bool shares_storage(const Tensor& o) const { return impl().storage == o.impl().storage; }

  // Same storage, no grad history, requires_grad false.
  Tensor detach() const;
  // Views (no copy, no autograd): the autograd ops reshape/slice wrap these.
  Tensor view_as(const Shape& shape) const;
  Tensor view_rows(int64_t start, int64_t end) const;  // slice [start, end) along dim 0

  // Points this tensor, and so every handle on it, at src's storage, offset and dtype (same
  // shape): Module::to moves parameters this way so layers and optimizers keep valid handles.
  void set_data(const Tensor& src) const;

  Tensor to(Device device) const;  // copy unless already there
  Tensor to(DType dtype) const;    // cast (copy unless already that dtype)
  Tensor clone() const;            // deep copy, no grad history
  // The single element of a one-element tensor, as a double.
  double item() const;
  // Host copy of the elements as doubles (tests, printing).
  std::vector<double> to_vector() const;

  std::string str(int max_per_dim = 6) const;

  TensorImpl& impl() const {
    STAA_CHECK(impl_ != nullptr, "tensor: use of an undefined tensor");
    return *impl_;
  }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }

 private:
  std::shared_ptr<TensorImpl> impl_;
};

std::ostream& operator<<(std::ostream& out, const Tensor& t);

// Checks shared by every op front-end; `op` names the caller.
void check_defined(const char* op, const Tensor& t, const char* what);
void check_same_device(const char* op, const Tensor& a, const Tensor& b);
void check_same_dtype(const char* op, const Tensor& a, const Tensor& b);
void check_floating(const char* op, const Tensor& t, const char* what);

template <typename T>
struct dtype_of;
template <>
struct dtype_of<float> {
  static constexpr DType value = kF32;
};
template <>
struct dtype_of<double> {
  static constexpr DType value = kF64;
};
template <>
struct dtype_of<int64_t> {
  static constexpr DType value = kI64;
};

template <typename T>
T* Tensor::data() const {
  STAA_CHECK(dtype() == dtype_of<T>::value, "tensor data: requested ", dtype_of<T>::value,
             " pointer, tensor is ", dtype());
  return static_cast<T*>(raw_data());
}

}  // namespace staa
