// CPU shape kernels: permute and expand (strided copies into a contiguous output), and the index
// family (index_select / index_add, gather / scatter_add) over [outer, size, inner] views.
// Layer: tensor/cpu. Index values are checked by the front-end before a kernel runs.
#include <cstring>
#include <vector>

#include "tensor/cpu/cpu_backend.h"

namespace staa::cpu {

namespace {

// out[i] = x[offset(i)] where offset uses `src_strides` (in elements) over out's shape; the last
// dim is copied as a run (stride 1) or a strided loop.
template <typename T>
void strided_copy(const T* x, const std::vector<int64_t>& src_strides, const Shape& out_shape,
                  T* out) {
  const int nd = out_shape.ndim();
  if (nd == 0) {
    out[0] = x[0];
    return;
  }
  const int64_t len = out_shape[nd - 1], inc = src_strides[nd - 1];
  const int64_t rows = len == 0 ? 0 : out_shape.numel() / len;
#pragma omp parallel for if (out_shape.numel() > kParallelGrain && rows > 1)
  for (int64_t r = 0; r < rows; ++r) {
    int64_t src = 0, rest = r;
    for (int d = nd - 2; d >= 0; --d) {
      src += (rest % out_shape[d]) * src_strides[d];
      rest /= out_shape[d];
    }
    T* o = out + r * len;
    if (inc == 1) {
      std::memcpy(o, x + src, len * sizeof(T));
    } else {
      for (int64_t i = 0; i < len; ++i) o[i] = x[src + i * inc];
    }
  }
}

}  // namespace

void CpuBackend::permute(const Tensor& x, const std::vector<int>& perm, Tensor& out) {
  const std::vector<int64_t> x_strides = x.shape().strides();
  std::vector<int64_t> src(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) src[i] = x_strides[perm[i]];
  dispatch_all(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    strided_copy<T>(x.data<T>(), src, out.shape(), out.data<T>());
  });
}

void CpuBackend::expand(const Tensor& x, Tensor& out) {
  std::vector<int64_t> src = x.shape().strides();
  for (int i = 0; i < x.ndim(); ++i)
    if (x.shape()[i] == 1) src[i] = 0;
  dispatch_all(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    strided_copy<T>(x.data<T>(), src, out.shape(), out.data<T>());
  });
}

void CpuBackend::index_select(const Tensor& x, const DimLayout& l, const Tensor& index,
                              Tensor& out) {
  const int64_t count = index.numel();
  const int64_t* idx = index.data<int64_t>();
  dispatch_all(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* in = x.data<T>();
    T* o = out.data<T>();
#pragma omp parallel for collapse(2) if (out.numel() > kParallelGrain)
    for (int64_t a = 0; a < l.outer; ++a) {
      for (int64_t j = 0; j < count; ++j) {
        std::memcpy(o + (a * count + j) * l.inner, in + (a * l.size + idx[j]) * l.inner,
                    l.inner * sizeof(T));
      }
    }
  });
}

void CpuBackend::index_add(const Tensor& grad_out, const DimLayout& l, const Tensor& index,
                           Tensor& grad_x) {
  const int64_t count = index.numel();
  const int64_t* idx = index.data<int64_t>();
  dispatch_float(grad_out.dtype(), "index_select", [&](auto tag) {
    using T = decltype(tag);
    const T* g = grad_out.data<T>();
    T* gx = grad_x.data<T>();
    // Repeated indices add into the same row: parallel over outer only.
#pragma omp parallel for if (grad_out.numel() > kParallelGrain && l.outer > 1)
    for (int64_t a = 0; a < l.outer; ++a) {
      for (int64_t j = 0; j < count; ++j) {
        const T* src = g + (a * count + j) * l.inner;
        T* dst = gx + (a * l.size + idx[j]) * l.inner;
        for (int64_t i = 0; i < l.inner; ++i) dst[i] += src[i];
      }
    }
  });
}

void CpuBackend::gather(const Tensor& x, const DimLayout& l, const Tensor& index, Tensor& out) {
  const int64_t count = out.numel() / std::max<int64_t>(l.outer * l.inner, 1);
  const int64_t* idx = index.data<int64_t>();
  dispatch_all(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* in = x.data<T>();
    T* o = out.data<T>();
#pragma omp parallel for if (out.numel() > kParallelGrain)
    for (int64_t a = 0; a < l.outer; ++a) {
      for (int64_t j = 0; j < count; ++j) {
        for (int64_t i = 0; i < l.inner; ++i) {
          const int64_t at = (a * count + j) * l.inner + i;
          o[at] = in[(a * l.size + idx[at]) * l.inner + i];
        }
      }
    }
  });
}

void CpuBackend::scatter_add(const Tensor& grad_out, const DimLayout& l, const Tensor& index,
                             Tensor& grad_x) {
  const int64_t count = grad_out.numel() / std::max<int64_t>(l.outer * l.inner, 1);
  const int64_t* idx = index.data<int64_t>();
  dispatch_float(grad_out.dtype(), "gather", [&](auto tag) {
    using T = decltype(tag);
    const T* g = grad_out.data<T>();
    T* gx = grad_x.data<T>();
#pragma omp parallel for if (grad_out.numel() > kParallelGrain && l.outer > 1)
    for (int64_t a = 0; a < l.outer; ++a) {
      for (int64_t j = 0; j < count; ++j) {
        for (int64_t i = 0; i < l.inner; ++i) {
          const int64_t at = (a * count + j) * l.inner + i;
          gx[(a * l.size + idx[at]) * l.inner + i] += g[at];
        }
      }
    }
  });
}

}  // namespace staa::cpu
