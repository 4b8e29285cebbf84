// C = A B^T + beta C where both operands run along the sum: A [m, k] and B [n, k], rows
// contiguous. Layer: tensor/cpu. For small products over long sums, where sgemm would pack
// (transpose) both operands and the packing costs more than the product: weight gradients of
// convolutions with few column rows (conv1 3->64: 64 x 27 over 1024 positions per image).
// Serial (callers run it on each thread's share); each sum in a fixed order.
#pragma once

#include <cstdint>

namespace staa::cpu {

// beta == 0 means C is write-only, as in sgemm. m, n >= 0, k >= 0.
void sgemm_dot(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
               int64_t ldb, float beta, float* c, int64_t ldc);

// Whether sgemm_dot is the faster way to an m x n product over k: few multiply-adds per operand
// element (2 m n / (m + n) below 48, kDotMaxIntensity in gemm_dot.cpp) and a sum long enough
// for vectors (k >= 64).
bool sgemm_dot_pays(int64_t m, int64_t n, int64_t k);

}  // namespace staa::cpu
