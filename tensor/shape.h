// Shape: a small inline vector of dimension sizes (at most kMaxDims), with helpers for
// numel, row-major strides, and broadcasting. Layer: tensor.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <ostream>
#include <string>
#include <vector>

#include "tensor/error.h"

namespace staa {

class Shape {
 public:
  static constexpr int kMaxDims = 8;

  Shape() = default;
  Shape(std::initializer_list<int64_t> dims);
  explicit Shape(const std::vector<int64_t>& dims);

  int ndim() const { return ndim_; }
  int64_t operator[](int i) const { return dims_[i]; }
  int64_t& operator[](int i) { return dims_[i]; }
  // Negative i counts from the end, as in Python.
  int64_t at(int i) const;
  const int64_t* begin() const { return dims_.data(); }
  const int64_t* end() const { return dims_.data() + ndim_; }

  int64_t numel() const;
  void push_back(int64_t d);
  std::vector<int64_t> vec() const { return {begin(), end()}; }
  // Row-major strides in elements.
  std::vector<int64_t> strides() const;
  std::string str() const;  // "[8,3,32,32]"

  bool operator==(const Shape& o) const;
  bool operator!=(const Shape& o) const { return !(*this == o); }

 private:
  std::array<int64_t, kMaxDims> dims_{};
  int ndim_ = 0;
};

std::ostream& operator<<(std::ostream& out, const Shape& s);

// Normalise a possibly negative dim for a tensor of ndim dims; op names the caller in errors.
int normalize_dim(const char* op, int64_t dim, int ndim);

// NumPy broadcasting of two shapes; op names the caller in errors.
Shape broadcast_shapes(const char* op, const Shape& a, const Shape& b);

}  // namespace staa
