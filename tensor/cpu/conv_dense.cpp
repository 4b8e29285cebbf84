// conv2d on tiny planes as one dense GEMM with the unrolled weight U (see conv_dense.h).
// Layer: tensor/cpu. Forward y_flat = x_flat U^T, backward-data grad_x_flat = grad_y_flat U,
// backward-weight grad_U = grad_y_flat^T x_flat, then grad_w[co, ci, i, j] = sum over output
// positions o of grad_U[(co, o), (ci, q(o, i, j))]. U and grad_U are workspaces (caching
// allocator); the GEMMs thread themselves.
#include "tensor/cpu/conv_dense.h"

#include <algorithm>
#include <vector>

#include "tensor/cpu/gemm.h"
#include "tensor/tensor.h"

namespace staa::cpu {
namespace {

constexpr int64_t kMaxUnrolledBytes = int64_t{64} << 20;

// One valid tap: output position o reads input position q through tap t = i KW + j.
struct Tap {
  int32_t o, q, t;
};

// Every (output position, tap) pair that reads inside the image.
std::vector<Tap> valid_taps(const Conv2dGeometry& g) {
  std::vector<Tap> taps;
  for (int64_t oh = 0; oh < g.out_h; ++oh)
    for (int64_t ow = 0; ow < g.out_w; ++ow)
      for (int64_t i = 0; i < g.kh; ++i)
        for (int64_t j = 0; j < g.kw; ++j) {
          const int64_t h = oh * g.stride_h - g.pad_h + i * g.dil_h;
          const int64_t w = ow * g.stride_w - g.pad_w + j * g.dil_w;
          if (h < 0 || h >= g.h || w < 0 || w >= g.w) continue;
          taps.push_back({static_cast<int32_t>(oh * g.out_w + ow),
                          static_cast<int32_t>(h * g.w + w), static_cast<int32_t>(i * g.kw + j)});
        }
  return taps;
}

// U: [C_out P_out, C_in P_in] from w: [C_out, C_in, KH, KW].
template <typename T>
Tensor unrolled_weight(const T* w, const Conv2dGeometry& g, const std::vector<Tap>& taps) {
  const int64_t p_out = g.out_plane(), p_in = g.in_plane(), k_taps = g.kh * g.kw;
  const int64_t cols = g.c_in * p_in;
  Tensor u = Tensor::empty(Shape{g.c_out * p_out, cols}, dtype_of<T>::value);
  T* out = u.data<T>();
  // Taps are distinct (output, input) pairs; when there are P_out P_in of them (a 3x3 kernel over
  // a 2x2 plane) they write every entry, and the zero fill would be a second pass over U.
  const bool dense = static_cast<int64_t>(taps.size()) == p_out * p_in;
#pragma omp parallel for schedule(static) if (g.c_out * p_out * cols > (int64_t{1} << 16))
  for (int64_t co = 0; co < g.c_out; ++co) {
    T* rows = out + co * p_out * cols;  // [P_out, C_in P_in]
    if (!dense) std::fill(rows, rows + p_out * cols, T(0));
    for (int64_t ci = 0; ci < g.c_in; ++ci) {
      const T* k = w + (co * g.c_in + ci) * k_taps;
      for (const Tap& tap : taps) rows[tap.o * cols + ci * p_in + tap.q] = k[tap.t];
    }
  }
  return u;
}

}  // namespace

bool conv_dense_supported(const Conv2dGeometry& g, size_t elem_size) {
  const int64_t unrolled = g.c_out * g.out_plane() * g.c_in * g.in_plane();
  return g.groups == 1 && g.in_plane() < g.kh * g.kw &&
         unrolled * static_cast<int64_t>(elem_size) <= kMaxUnrolledBytes;
}

template <typename T>
void conv_forward_dense(const T* x, const T* w, const T* bias, const Conv2dGeometry& g, T* y) {
  const Tensor u = unrolled_weight(w, g, valid_taps(g));
  const int64_t rows = g.c_out * g.out_plane(), cols = g.c_in * g.in_plane();
  gemm(false, true, g.n, rows, cols, x, cols, u.data<T>(), cols, T(0), y, rows);
  if (bias == nullptr) return;
  const int64_t p_out = g.out_plane();
  for (int64_t n = 0; n < g.n; ++n)
    for (int64_t co = 0; co < g.c_out; ++co)
      for (int64_t o = 0; o < p_out; ++o) y[(n * g.c_out + co) * p_out + o] += bias[co];
}

template <typename T>
void conv_backward_data_dense(const T* grad_y, const T* w, const Conv2dGeometry& g, T* grad_x) {
  const Tensor u = unrolled_weight(w, g, valid_taps(g));
  const int64_t rows = g.c_out * g.out_plane(), cols = g.c_in * g.in_plane();
  gemm(false, false, g.n, cols, rows, grad_y, rows, u.data<T>(), cols, T(0), grad_x, cols);
}

template <typename T>
void conv_backward_weight_dense(const T* grad_y, const T* x, const Conv2dGeometry& g, T* grad_w) {
  const std::vector<Tap> taps = valid_taps(g);
  const int64_t p_out = g.out_plane(), p_in = g.in_plane(), k_taps = g.kh * g.kw;
  const int64_t rows = g.c_out * p_out, cols = g.c_in * p_in;
  Tensor grad_u = Tensor::empty(Shape{rows, cols}, dtype_of<T>::value);
  gemm(true, false, rows, cols, g.n, grad_y, rows, x, cols, T(0), grad_u.data<T>(), cols);
  const T* du = grad_u.data<T>();
#pragma omp parallel for schedule(static) if (rows * cols > (int64_t{1} << 16))
  for (int64_t co = 0; co < g.c_out; ++co) {
    const T* block = du + co * p_out * cols;  // [P_out, C_in P_in]
    for (int64_t ci = 0; ci < g.c_in; ++ci) {
      T* k = grad_w + (co * g.c_in + ci) * k_taps;
      std::fill(k, k + k_taps, T(0));
      for (const Tap& tap : taps) k[tap.t] += block[tap.o * cols + ci * p_in + tap.q];
    }
  }
}

template void conv_forward_dense<float>(const float*, const float*, const float*,
                                        const Conv2dGeometry&, float*);
template void conv_forward_dense<double>(const double*, const double*, const double*,
                                         const Conv2dGeometry&, double*);
template void conv_backward_data_dense<float>(const float*, const float*, const Conv2dGeometry&,
                                              float*);
template void conv_backward_data_dense<double>(const double*, const double*, const Conv2dGeometry&,
                                               double*);
template void conv_backward_weight_dense<float>(const float*, const float*, const Conv2dGeometry&,
                                                float*);
template void conv_backward_weight_dense<double>(const double*, const double*,
                                                 const Conv2dGeometry&, double*);

}  // namespace staa::cpu
