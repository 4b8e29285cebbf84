// CPU GEMM: C = alpha * op(A) * op(B) + beta * C, row-major, transposes as flags.
// Layer: tensor/cpu. sgemm is the packed, blocked, vectorised fast path (AVX2 / AVX-512 micro-
// kernels picked at run time, OpenMP over blocks); *_reference are the plain triple loops the
// tests compare it to. dgemm (gradient checks) takes a simpler blocked path.
//   op(A): [M, K]  (A is [M, K] with row stride lda, or [K, M] when trans_a)
//   op(B): [K, N]  (B is [K, N] with row stride ldb, or [N, K] when trans_b)
//   C:     [M, N]  with row stride ldc
// beta == 0 means C is write-only (its old contents, even NaN, are ignored).
#pragma once

#include <cstdint>

namespace staa::cpu {

void sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
           int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc);

void dgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha,
           const double* a, int64_t lda, const double* b, int64_t ldb, double beta, double* c,
           int64_t ldc);

// sgemm / dgemm by element type, alpha = 1 (the convolution lowerings are templates on T).
inline void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a,
                 int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  sgemm(trans_a, trans_b, m, n, k, 1.0f, a, lda, b, ldb, beta, c, ldc);
}
inline void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const double* a,
                 int64_t lda, const double* b, int64_t ldb, double beta, double* c, int64_t ldc) {
  dgemm(trans_a, trans_b, m, n, k, 1.0, a, lda, b, ldb, beta, c, ldc);
}

void sgemm_reference(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                     const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
                     int64_t ldc);

// Which micro-kernel sgemm uses on this machine: "avx512", "avx2" or "generic".
const char* sgemm_kernel_name();

}  // namespace staa::cpu
