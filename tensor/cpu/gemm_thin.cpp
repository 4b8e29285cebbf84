// Thin GEMMs (gemm_thin.h): matrix-vector and outer products without packing. Layer: tensor/cpu.
// With v = the operand that is a vector, every case is one of two loops:
//   dots:          out[i] = sum_p rows[i][p] v[p]   (the matrix is read along its rows)
//   weighted rows: out[j] = sum_p v[p] rows[p][j]   (the matrix is read along its columns)
// or, for k = 1, C[i, j] = a_i b_j. Threads split the output indices; each sum runs in one fixed
// order, whatever the thread count.
#include "tensor/cpu/gemm_thin.h"

#include <algorithm>
#include <vector>

#include "tensor/cpu/kernel_util.h"

namespace staa::cpu {

namespace {

// Threads for `work` multiply-adds over `count` outputs; memory-bound work, so half the GEMM's
// grain per thread.
int thin_team(int64_t count, double work) {
  return int(std::min<int64_t>(count, team_for_work(work, kGemmWorkPerThread / 2)));
}

// x[0], x[stride], ... (len values) as a contiguous array: x itself, or a copy in `buffer`.
template <typename T>
const T* contiguous(const T* x, int64_t stride, int64_t len, std::vector<T>& buffer) {
  if (stride == 1) return x;
  buffer.resize(size_t(len));
  for (int64_t p = 0; p < len; ++p) buffer[size_t(p)] = x[p * stride];
  return buffer.data();
}

// alpha * sum + beta * old; beta == 0 never reads old.
template <typename T>
inline T combine(T sum, T alpha, T beta, const T& old) {
  return beta == T(0) ? alpha * sum : alpha * sum + beta * old;
}

// out[i * out_stride] = alpha * ordered_dot(rows + i * ld, v, len) + beta * out[...], i < count.
template <typename T>
void dots(const T* rows, int64_t ld, int64_t count, const T* v, int64_t len, T alpha, T beta,
          T* out, int64_t out_stride) {
  for_ranges(count, thin_team(count, double(count) * len), [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      T& o = out[i * out_stride];
      o = combine(ordered_dot(rows + i * ld, v, len), alpha, beta, o);
    }
  });
}

// out[j * out_stride] = alpha * sum_p v[p] rows[p * ld + j] + beta * out[...], j < count,
// p < len. Columns go in blocks whose sums stay in cache while the rows stream past.
template <typename T>
void weighted_rows(const T* rows, int64_t ld, int64_t len, int64_t count, const T* v, T alpha,
                   T beta, T* out, int64_t out_stride) {
  constexpr int64_t kBlock = 1024;
  for_ranges(count, thin_team(count, double(count) * len), [&](int64_t begin, int64_t end) {
    T sum[kBlock];
    for (int64_t j0 = begin; j0 < end; j0 += kBlock) {
      const int64_t width = std::min(kBlock, end - j0);
      std::fill(sum, sum + width, T(0));
      for (int64_t p = 0; p < len; ++p) {
        const T vp = v[p];
        const T* row = rows + p * ld + j0;
        for (int64_t j = 0; j < width; ++j) sum[j] += vp * row[j];
      }
      T* o = out + j0 * out_stride;
      if (beta == T(0)) {
        for (int64_t j = 0; j < width; ++j) o[j * out_stride] = alpha * sum[j];
      } else {
        for (int64_t j = 0; j < width; ++j)
          o[j * out_stride] = alpha * sum[j] + beta * o[j * out_stride];
      }
    }
  });
}

}  // namespace

template <typename T>
void gemm_thin(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a,
               int64_t lda, const T* b, int64_t ldb, T beta, T* c, int64_t ldc) {
  std::vector<T> buffer;
  if (k == 1) {  // C[i, j] = alpha a_i b_j + beta C[i, j]; a_i = op(A)[i, 0], b_j = op(B)[0, j]
    const T* bj = contiguous(b, trans_b ? ldb : 1, n, buffer);
    const int64_t a_stride = trans_a ? 1 : lda;
    for_ranges(m, thin_team(m, double(m) * n), [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        const T ai = alpha * a[i * a_stride];
        T* row = c + i * ldc;
        if (beta == T(0)) {  // two loops: a select on beta inside would stop vectorisation
          for (int64_t j = 0; j < n; ++j) row[j] = ai * bj[j];
        } else {
          for (int64_t j = 0; j < n; ++j) row[j] = ai * bj[j] + beta * row[j];
        }
      }
    });
  } else if (n == 1) {  // C[:, 0] = op(A) v, v = op(B)[:, 0] (a row of B when trans_b)
    const T* v = contiguous(b, trans_b ? 1 : ldb, k, buffer);
    if (trans_a) {
      weighted_rows(a, lda, k, m, v, alpha, beta, c, ldc);  // op(A)[i, p] = A[p, i]
    } else {
      dots(a, lda, m, v, k, alpha, beta, c, ldc);
    }
  } else {  // m == 1: C[0, :] = v op(B), v = op(A)[0, :] (a column of A when trans_a)
    const T* v = contiguous(a, trans_a ? lda : 1, k, buffer);
    if (trans_b) {
      dots(b, ldb, n, v, k, alpha, beta, c, int64_t(1));  // op(B)[p, j] = B[j, p]
    } else {
      weighted_rows(b, ldb, k, n, v, alpha, beta, c, int64_t(1));
    }
  }
}

template void gemm_thin<float>(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t,
                               const float*, int64_t, float, float*, int64_t);
template void gemm_thin<double>(bool, bool, int64_t, int64_t, int64_t, double, const double*,
                                int64_t, const double*, int64_t, double, double*, int64_t);

}  // namespace staa::cpu
