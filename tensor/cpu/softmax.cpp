// CPU softmax and log_softmax along the middle dim of [outer, size, inner], forward and backward.
// Layer: tensor/cpu. Numerically stable: the max is subtracted before exp; sums in double.
#include <algorithm>
#include <cmath>
#include <vector>

#include "tensor/cpu/cpu_backend.h"

namespace staa::cpu {

namespace {

// One slice: `size` elements with stride `inner`.
template <typename T>
void softmax_slice(const T* x, T* y, int64_t size, int64_t inner, bool log) {
  T m = x[0];
  for (int64_t j = 1; j < size; ++j) m = std::max(m, x[j * inner]);
  double sum = 0;
  for (int64_t j = 0; j < size; ++j) sum += std::exp(static_cast<double>(x[j * inner] - m));
  if (log) {
    const T log_sum = static_cast<T>(std::log(sum));
    for (int64_t j = 0; j < size; ++j) y[j * inner] = x[j * inner] - m - log_sum;
  } else {
    const double inv = 1.0 / sum;
    for (int64_t j = 0; j < size; ++j)
      y[j * inner] = static_cast<T>(std::exp(static_cast<double>(x[j * inner] - m)) * inv);
  }
}

template <typename T>
void softmax_grad_slice(const T* y, const T* g, T* gx, int64_t size, int64_t inner, bool log) {
  double dot = 0;
  if (log) {
    for (int64_t j = 0; j < size; ++j) dot += g[j * inner];
    for (int64_t j = 0; j < size; ++j)
      gx[j * inner] = static_cast<T>(g[j * inner] - std::exp(y[j * inner]) * dot);
  } else {
    for (int64_t j = 0; j < size; ++j) dot += static_cast<double>(g[j * inner]) * y[j * inner];
    for (int64_t j = 0; j < size; ++j)
      gx[j * inner] = static_cast<T>(y[j * inner] * (g[j * inner] - dot));
  }
}

}  // namespace

void CpuBackend::softmax(const Tensor& x, const DimLayout& l, bool log, Tensor& y) {
  dispatch_float(x.dtype(), log ? "log_softmax" : "softmax", [&](auto tag) {
    using T = decltype(tag);
    const T* in = x.data<T>();
    T* out = y.data<T>();
#pragma omp parallel for collapse(2) if (x.numel() > kParallelGrain / 4)
    for (int64_t a = 0; a < l.outer; ++a) {
      for (int64_t i = 0; i < l.inner; ++i) {
        const int64_t base = a * l.size * l.inner + i;
        softmax_slice(in + base, out + base, l.size, l.inner, log);
      }
    }
  });
}

void CpuBackend::softmax_backward(const Tensor& y, const Tensor& grad_y, const DimLayout& l,
                                  bool log, Tensor& grad_x) {
  dispatch_float(y.dtype(), log ? "log_softmax" : "softmax", [&](auto tag) {
    using T = decltype(tag);
    const T* py = y.data<T>();
    const T* g = grad_y.data<T>();
    T* gx = grad_x.data<T>();
#pragma omp parallel for collapse(2) if (y.numel() > kParallelGrain / 4)
    for (int64_t a = 0; a < l.outer; ++a) {
      for (int64_t i = 0; i < l.inner; ++i) {
        const int64_t base = a * l.size * l.inner + i;
        softmax_grad_slice(py + base, g + base, gx + base, l.size, l.inner, log);
      }
    }
  });
}

}  // namespace staa::cpu
