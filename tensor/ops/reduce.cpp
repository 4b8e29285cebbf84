// Reduction shape rules: dim normalisation, output shape and the merged ReduceLayout.
// Layer: tensor.
#include "tensor/ops/reduce.h"

#include <algorithm>

namespace staa {

std::vector<int> normalize_reduce_dims(const char* op, const Shape& shape,
                                       const std::vector<int64_t>& dims) {
  std::vector<int> out;
  if (dims.empty()) {
    for (int i = 0; i < shape.ndim(); ++i) out.push_back(i);
    return out;
  }
  for (int64_t d : dims) out.push_back(normalize_dim(op, d, shape.ndim()));
  std::sort(out.begin(), out.end());
  STAA_CHECK(std::adjacent_find(out.begin(), out.end()) == out.end(), op,
             ": a dim is listed twice in the reduced dims");
  return out;
}

Shape reduced_shape(const Shape& shape, const std::vector<int>& dims, bool keepdim) {
  Shape out;
  for (int i = 0; i < shape.ndim(); ++i) {
    const bool reduced = std::find(dims.begin(), dims.end(), i) != dims.end();
    if (!reduced)
      out.push_back(shape[i]);
    else if (keepdim)
      out.push_back(1);
  }
  return out;
}

ReduceLayout make_reduce_layout(const Shape& shape, const std::vector<int>& dims) {
  ReduceLayout l;
  for (int i = 0; i < shape.ndim(); ++i) {
    const bool reduced = std::find(dims.begin(), dims.end(), i) != dims.end();
    if (reduced)
      l.reduce_count *= shape[i];
    else
      l.out_count *= shape[i];
    if (shape[i] == 1) continue;
    if (!l.sizes.empty() && l.reduced.back() == reduced) {
      l.sizes.back() *= shape[i];
    } else {
      l.sizes.push_back(shape[i]);
      l.reduced.push_back(reduced);
    }
  }
  if (l.sizes.empty()) {  // all dims of size 1 (or a 0-dim tensor): one element, reduced
    l.sizes = {1};
    l.reduced = {true};
  }
  return l;
}

}  // namespace staa
