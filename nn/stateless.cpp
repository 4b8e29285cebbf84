// ReLU, Sigmoid, Flatten, Dropout: forwards through staa's ops. Layer: nn.
// Flatten is a reshape (a view); Dropout draws from its own Generator only in training mode.
#include "nn/stateless.h"

#include <sstream>
#include <vector>

#include "autograd/ops.h"

namespace staa::nn {

Tensor ReLU::forward(const Tensor& x) {
  return relu(x);
}

Tensor Sigmoid::forward(const Tensor& x) {
  return sigmoid(x);
}

Flatten::Flatten(int64_t start_dim, int64_t end_dim) : start_dim_(start_dim), end_dim_(end_dim) {}

Tensor Flatten::forward(const Tensor& x) {
  STAA_CHECK(x.defined(), "Flatten: x is undefined");
  const int ndim = x.ndim();
  const int64_t start = start_dim_ < 0 ? start_dim_ + ndim : start_dim_;
  const int64_t end = end_dim_ < 0 ? end_dim_ + ndim : end_dim_;
  STAA_CHECK(start >= 0 && end < ndim && start <= end, "Flatten: dims ", start_dim_, "..", end_dim_,
             " are out of range for x ", x.shape());
  std::vector<int64_t> shape;
  int64_t merged = 1;
  for (int d = 0; d < ndim; ++d) {
    if (d < start || d > end) {
      shape.push_back(x.size(d));
    } else {
      merged *= x.size(d);
      if (d == end) shape.push_back(merged);
    }
  }
  return reshape(x, shape);
}

std::string Flatten::extra_repr() const {
  std::ostringstream out;
  out << "start_dim=" << start_dim_ << ", end_dim=" << end_dim_;
  return out.str();
}

Dropout::Dropout(double p, uint64_t seed) : p_(p), gen_(seed) {
  STAA_CHECK(p >= 0 && p < 1, "Dropout: expected p in [0, 1), got ", p);
}

Tensor Dropout::forward(const Tensor& x) {
  return dropout(x, p_, gen_, is_training());
}

std::string Dropout::extra_repr() const {
  std::ostringstream out;
  out << "p=" << p_;
  return out.str();
}

}  // namespace staa::nn
