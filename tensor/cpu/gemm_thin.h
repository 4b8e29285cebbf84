// CPU GEMM for thin shapes: one of m, n, k is 1, so C is a matrix-vector product (m or n is 1)
// or an outer product (k is 1). Layer: tensor/cpu, private to it (gemm.cpp's front door routes
// these here). They are memory bound: row dot products and weighted row sums run straight from
// the operands, with no packing, split over threads by output index when big enough. Arguments
// and the beta == 0 rule as sgemm in gemm.h. Sums keep a fixed order (deterministic).
#pragma once

#include <cstdint>

namespace staa::cpu {

inline bool gemm_is_thin(int64_t m, int64_t n, int64_t k) {
  return m == 1 || n == 1 || k == 1;
}

// Requires gemm_is_thin(m, n, k), m, n, k >= 1.
template <typename T>
void gemm_thin(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a,
               int64_t lda, const T* b, int64_t ldb, T beta, T* c, int64_t ldc);

}  // namespace staa::cpu
