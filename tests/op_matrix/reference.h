// Plain reference implementations of every op, in double on host arrays, written for clarity
// and nothing else: the op matrix compares the library's kernels against them. Layer: tests.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "tensor/shape.h"
#include "tensor/tensor.h"

namespace staa::ref {

struct Array {
  Shape shape;
  std::vector<double> v;

  int64_t numel() const { return shape.numel(); }
  static Array of(const Tensor& t) { return {t.shape(), t.to_vector()}; }
};

// Multi-index <-> flat offset in a row-major shape.
std::vector<int64_t> unravel(int64_t flat, const Shape& shape);
int64_t ravel(const std::vector<int64_t>& index, const Shape& shape);

Array map(const Array& x, const std::function<double(double)>& f);
// NumPy broadcasting.
Array zip(const Array& a, const Array& b, const std::function<double(double, double)>& f);
Array where(const Array& c, const Array& a, const Array& b);
// Sum or max over dims (empty = all); max_index receives the argmax position within the reduced
// dims (row-major) when not null.
Array sum(const Array& x, std::vector<int> dims, bool keepdim);
Array max(const Array& x, std::vector<int> dims, bool keepdim, Array* max_index = nullptr);
Array permute(const Array& x, const std::vector<int>& perm);
Array concat(const std::vector<Array>& xs, int dim);
Array expand(const Array& x, const Shape& shape);
Array index_select(const Array& x, int dim, const Array& index);
Array gather(const Array& x, int dim, const Array& index);
// [.., m, k] x [.., k, n] with transpose flags on the last two dims; a 2-D side is shared.
Array matmul(const Array& a, const Array& b, bool ta, bool tb);
Array softmax(const Array& x, int dim, bool log);
double cross_entropy(const Array& logits, const Array& targets, double smoothing);

}  // namespace staa::ref
