// CUDA shape kernels: permute and expand (one thread per output element reading x through
// strides), and the index family (index_select / index_add, gather / scatter_add) over
// [outer, size, inner] views. Layer: tensor/cuda. Index values are checked by the front-end.
// The adds use atomicAdd, or under deterministic() one thread per (outer, inner) column adding
// its rows in the CPU's order, so that no two threads touch the same element.
#include <cuda_runtime.h>

#include <vector>

#include "tensor/cuda/kernels.h"
#include "tensor/cuda/launch.h"
#include "tensor/dispatch.h"

namespace staa::cuda {

namespace {

// out's sizes and, per out dim, the stride of x (in elements) that the dim walks.
struct StridedIndex {
  int ndim = 0;
  int64_t sizes[Shape::kMaxDims], src_strides[Shape::kMaxDims];
  __device__ int64_t src_offset(int64_t i) const {
    int64_t off = 0;
    for (int d = ndim - 1; d >= 0; --d) {
      off += (i % sizes[d]) * src_strides[d];
      i /= sizes[d];
    }
    return off;
  }
};

// out[i] = x[src_offset(i)]. x: any, out: [n] (out's shape in si)
template <typename T>
__global__ void strided_copy_kernel(const T* x, StridedIndex si, int64_t n, T* out) {
  for (int64_t i = thread_index(); i < n; i += thread_stride()) out[i] = x[si.src_offset(i)];
}

void strided_copy(const Tensor& x, const std::vector<int64_t>& src_strides, Tensor& out) {
  const int64_t n = out.numel();
  if (n == 0) return;
  StridedIndex si;
  si.ndim = out.ndim();
  for (int d = 0; d < si.ndim; ++d) {
    si.sizes[d] = out.shape()[d];
    si.src_strides[d] = src_strides[d];
  }
  dispatch_all(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    strided_copy_kernel<T><<<blocks_for(n), kThreads>>>(x.data<T>(), si, n, out.data<T>());
  });
  check_launch();
}

// out[o, j, i] = x[o, index[j], i]. x: [outer, size, inner], index (i64): [count],
// out: [outer, count, inner]
template <typename T>
__global__ void index_select_kernel(const T* x, const int64_t* index, DimLayout l, int64_t count,
                                    T* out) {
  const int64_t n = l.outer * count * l.inner;
  for (int64_t k = thread_index(); k < n; k += thread_stride()) {
    const int64_t i = k % l.inner, j = (k / l.inner) % count, o = k / (l.inner * count);
    out[k] = x[(o * l.size + index[j]) * l.inner + i];
  }
}

// out[o, j, i] = x[o, index[o, j, i], i]. x: [outer, size, inner],
// index (i64), out: [outer, count, inner]
template <typename T>
__global__ void gather_kernel(const T* x, const int64_t* index, DimLayout l, int64_t count,
                              T* out) {
  const int64_t n = l.outer * count * l.inner;
  for (int64_t k = thread_index(); k < n; k += thread_stride()) {
    const int64_t i = k % l.inner, o = k / (l.inner * count);
    out[k] = x[(o * l.size + index[k]) * l.inner + i];
  }
}

// The backward of both selections: out[o, j, i] = x[o, idx, i] with idx = index[j] (per_element
// false: index_select) or index[o, j, i] (gather), so grad_x[o, idx, i] += grad_out[o, j, i].
// Atomic: one thread per grad_out element. grad_out: [outer, count, inner],
// index (i64): [count] or [outer, count, inner], grad_x: [outer, size, inner] (zeroed by the
// caller)
template <typename T>
__global__ void scatter_add_atomic_kernel(const T* grad_out, const int64_t* index, DimLayout l,
                                          int64_t count, bool per_element, T* grad_x) {
  const int64_t n = l.outer * count * l.inner;
  for (int64_t k = thread_index(); k < n; k += thread_stride()) {
    const int64_t i = k % l.inner, j = (k / l.inner) % count, o = k / (l.inner * count);
    const int64_t at = index[per_element ? k : j];
    atomicAdd(grad_x + (o * l.size + at) * l.inner + i, grad_out[k]);
  }
}

// Deterministic: one thread per column (o, i), adding its rows j = 0, 1, ... in order (the CPU's
// order, so the sums are bit-identical to it). Columns own disjoint elements of grad_x.
// Shapes as scatter_add_atomic_kernel.
template <typename T>
__global__ void scatter_add_ordered_kernel(const T* grad_out, const int64_t* index, DimLayout l,
                                           int64_t count, bool per_element, T* grad_x) {
  const int64_t columns = l.outer * l.inner;
  for (int64_t c = thread_index(); c < columns; c += thread_stride()) {
    const int64_t i = c % l.inner, o = c / l.inner;
    for (int64_t j = 0; j < count; ++j) {
      const int64_t k = (o * count + j) * l.inner + i;
      const int64_t at = index[per_element ? k : j];
      grad_x[(o * l.size + at) * l.inner + i] += grad_out[k];
    }
  }
}

void scatter_add_any(const Tensor& grad_out, const DimLayout& l, const Tensor& index, int64_t count,
                     bool per_element, Tensor& grad_x, const char* op) {
  if (l.outer * l.inner == 0 || count == 0) return;
  dispatch_float(grad_out.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    if (deterministic()) {
      scatter_add_ordered_kernel<T><<<blocks_for(l.outer * l.inner), kThreads>>>(
          grad_out.data<T>(), index.data<int64_t>(), l, count, per_element, grad_x.data<T>());
    } else {
      scatter_add_atomic_kernel<T><<<blocks_for(grad_out.numel()), kThreads>>>(
          grad_out.data<T>(), index.data<int64_t>(), l, count, per_element, grad_x.data<T>());
    }
  });
  check_launch();
}

// Rows of the index dim in a gather / scatter_add: out holds [outer, count, inner].
int64_t gather_count(const Tensor& out, const DimLayout& l) {
  const int64_t columns = l.outer * l.inner;
  return columns == 0 ? 0 : out.numel() / columns;
}

}  // namespace

void permute(const Tensor& x, const std::vector<int>& perm, Tensor& out) {
  const std::vector<int64_t> x_strides = x.shape().strides();
  std::vector<int64_t> src(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) src[i] = x_strides[perm[i]];
  strided_copy(x, src, out);
}

void expand(const Tensor& x, Tensor& out) {
  std::vector<int64_t> src = x.shape().strides();
  for (int i = 0; i < x.ndim(); ++i)
    if (x.shape()[i] == 1) src[i] = 0;
  strided_copy(x, src, out);
}

void index_select(const Tensor& x, const DimLayout& layout, const Tensor& index, Tensor& out) {
  const int64_t count = index.numel(), n = out.numel();
  if (n == 0) return;
  dispatch_all(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    index_select_kernel<T><<<blocks_for(n), kThreads>>>(x.data<T>(), index.data<int64_t>(), layout,
                                                        count, out.data<T>());
  });
  check_launch();
}

void index_add(const Tensor& grad_out, const DimLayout& layout, const Tensor& index,
               Tensor& grad_x) {
  scatter_add_any(grad_out, layout, index, index.numel(), /*per_element=*/false, grad_x,
                  "index_select backward");
}

void gather(const Tensor& x, const DimLayout& layout, const Tensor& index, Tensor& out) {
  const int64_t count = gather_count(out, layout), n = out.numel();
  if (n == 0) return;
  dispatch_all(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    gather_kernel<T><<<blocks_for(n), kThreads>>>(x.data<T>(), index.data<int64_t>(), layout, count,
                                                  out.data<T>());
  });
  check_launch();
}

void scatter_add(const Tensor& grad_out, const DimLayout& layout, const Tensor& index,
                 Tensor& grad_x) {
  scatter_add_any(grad_out, layout, index, gather_count(grad_out, layout), /*per_element=*/true,
                  grad_x, "gather backward");
}

}  // namespace staa::cuda
