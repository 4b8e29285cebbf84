// Reductions: parameter struct and shape rule. Layer: tensor.
// A reduction over a set of dims is canonicalised to a ReduceLayout: adjacent dims of the same
// kind (reduced or kept) are merged, size-1 dims dropped, so [N, C, H, W] over {0, 2, 3} becomes
// sizes [N, C, H*W] with reduced [1, 0, 1]. Backends loop over that layout only.
#pragma once

#include <cstdint>
#include <vector>

#include "tensor/shape.h"

namespace staa {

enum class ReduceOp : uint8_t { kSum, kMax };

struct ReduceLayout {
  std::vector<int64_t> sizes;  // merged dims, row-major
  std::vector<bool> reduced;   // per merged dim
  int64_t reduce_count = 1;    // elements reduced into each output
  int64_t out_count = 1;       // number of outputs
};

// The dims of `shape` to reduce (empty = all), normalised, sorted and checked; op names the caller.
std::vector<int> normalize_reduce_dims(const char* op, const Shape& shape,
                                       const std::vector<int64_t>& dims);
// Output shape: reduced dims become 1 (keepdim) or disappear.
Shape reduced_shape(const Shape& shape, const std::vector<int>& dims, bool keepdim);
ReduceLayout make_reduce_layout(const Shape& shape, const std::vector<int>& dims);

}  // namespace staa
