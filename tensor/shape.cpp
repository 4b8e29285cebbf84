// Shape helpers: numel, strides, printing, dim normalisation and broadcasting. Layer: tensor.
#include "tensor/shape.h"

#include <sstream>

namespace staa {

Shape::Shape(std::initializer_list<int64_t> dims) {
  for (int64_t d : dims) push_back(d);
}

Shape::Shape(const std::vector<int64_t>& dims) {
  for (int64_t d : dims) push_back(d);
}

int64_t Shape::at(int i) const {
  const int j = i < 0 ? i + ndim_ : i;
  STAA_CHECK(j >= 0 && j < ndim_, "shape: dim ", i, " out of range for ", str());
  return dims_[j];
}

int64_t Shape::numel() const {
  int64_t n = 1;
  for (int i = 0; i < ndim_; ++i) n *= dims_[i];
  return n;
}

void Shape::push_back(int64_t d) {
  STAA_CHECK(ndim_ < kMaxDims, "shape: at most ", kMaxDims, " dims are supported");
  STAA_CHECK(d >= 0, "shape: dims must be >= 0, got ", d);
  dims_[ndim_++] = d;
}

std::vector<int64_t> Shape::strides() const {
  std::vector<int64_t> s(ndim_);
  int64_t stride = 1;
  for (int i = ndim_ - 1; i >= 0; --i) {
    s[i] = stride;
    stride *= dims_[i];
  }
  return s;
}

std::string Shape::str() const {
  std::ostringstream out;
  out << "[";
  for (int i = 0; i < ndim_; ++i) out << (i ? "," : "") << dims_[i];
  out << "]";
  return out.str();
}

bool Shape::operator==(const Shape& o) const {
  if (ndim_ != o.ndim_) return false;
  for (int i = 0; i < ndim_; ++i)
    if (dims_[i] != o.dims_[i]) return false;
  return true;
}

std::ostream& operator<<(std::ostream& out, const Shape& s) {
  return out << s.str();
}

int normalize_dim(const char* op, int64_t dim, int ndim) {
  const int64_t d = dim < 0 ? dim + ndim : dim;
  STAA_CHECK(d >= 0 && d < ndim, op, ": dim ", dim, " out of range for a tensor with ", ndim,
             " dims");
  return static_cast<int>(d);
}

Shape broadcast_shapes(const char* op, const Shape& a, const Shape& b) {
  const int n = std::max(a.ndim(), b.ndim());
  Shape out;
  for (int i = 0; i < n; ++i) {
    const int ia = i - (n - a.ndim()), ib = i - (n - b.ndim());
    const int64_t da = ia >= 0 ? a[ia] : 1, db = ib >= 0 ? b[ib] : 1;
    STAA_CHECK(da == db || da == 1 || db == 1, op, ": shapes ", a, " and ", b,
               " do not broadcast (dim ", i, ": ", da, " vs ", db, ")");
    out.push_back(da == 1 ? db : da);
  }
  return out;
}

}  // namespace staa
