// Dot-product GEMM (gemm_dot.h). Layer: tensor/cpu. C is computed in blocks of up to 4 rows x 3
// columns: per 8 steps of the sum, 4 vectors of A and 3 of B feed 12 vector accumulators (the
// ratio of sgemm's 4 x 24 micro-kernel), each folded to one value at the end of the sum. A's 4
// rows stay in L1 while the blocks of B stream past from L2.
#include "tensor/cpu/gemm_dot.h"

#if defined(__AVX2__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <array>
#include <utility>

namespace staa::cpu {

namespace {

// Below this many multiply-adds per operand element, packing both operands (sgemm) costs more
// than it saves (conv1's weight gradient: 2 * 64 * 27 / 91 = 38).
constexpr double kDotMaxIntensity = 48;
constexpr int kRows = 4, kCols = 3;

#if defined(__AVX2__)
inline float horizontal_sum(__m256 v) {
  const __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 t = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(t, _mm_shuffle_ps(t, t, 1)));
}
#endif

// The rows x cols block of C at c (rows <= kRows, cols <= kCols).
template <int kR, int kC>
void dot_block(int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb, float beta,
               float* c, int64_t ldc) {
  float sum[kR][kC] = {};
  int64_t p = 0;
#if defined(__AVX2__)
  __m256 acc[kR][kC];
  for (int i = 0; i < kR; ++i)
    for (int j = 0; j < kC; ++j) acc[i][j] = _mm256_setzero_ps();
  for (; p + 8 <= k; p += 8) {
    __m256 bv[kC];
    for (int j = 0; j < kC; ++j) bv[j] = _mm256_loadu_ps(b + j * ldb + p);
    for (int i = 0; i < kR; ++i) {
      const __m256 av = _mm256_loadu_ps(a + i * lda + p);
      for (int j = 0; j < kC; ++j) acc[i][j] = _mm256_fmadd_ps(av, bv[j], acc[i][j]);
    }
  }
  for (int i = 0; i < kR; ++i)
    for (int j = 0; j < kC; ++j) sum[i][j] = horizontal_sum(acc[i][j]);
#endif
  for (; p < k; ++p)
    for (int i = 0; i < kR; ++i)
      for (int j = 0; j < kC; ++j) sum[i][j] += a[i * lda + p] * b[j * ldb + p];
  for (int i = 0; i < kR; ++i)
    for (int j = 0; j < kC; ++j) {
      float& out = c[i * ldc + j];
      out = beta == 0.0f ? sum[i][j] : sum[i][j] + beta * out;
    }
}

using DotBlock = void (*)(int64_t, const float*, int64_t, const float*, int64_t, float, float*,
                          int64_t);

template <int kR, int... kC>
constexpr auto row_of_blocks(std::integer_sequence<int, kC...>) {
  return std::array<DotBlock, kCols>{dot_block<kR, kC + 1>...};
}

// kBlocks[r - 1][c - 1]: the block of r rows and c columns.
template <int... kR>
constexpr auto all_blocks(std::integer_sequence<int, kR...>) {
  return std::array<std::array<DotBlock, kCols>, kRows>{
      row_of_blocks<kR + 1>(std::make_integer_sequence<int, kCols>{})...};
}
constexpr auto kBlocks = all_blocks(std::make_integer_sequence<int, kRows>{});

}  // namespace

void sgemm_dot(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
               int64_t ldb, float beta, float* c, int64_t ldc) {
  for (int64_t i = 0; i < m; i += kRows) {
    const int rows = static_cast<int>(std::min<int64_t>(kRows, m - i));
    for (int64_t j = 0; j < n; j += kCols) {
      const int cols = static_cast<int>(std::min<int64_t>(kCols, n - j));
      kBlocks[rows - 1][cols - 1](k, a + i * lda, lda, b + j * ldb, ldb, beta, c + i * ldc + j,
                                  ldc);
    }
  }
}

bool sgemm_dot_pays(int64_t m, int64_t n, int64_t k) {
  return m > 0 && n > 0 && k >= 64 &&
         2.0 * double(m) * double(n) / double(m + n) < kDotMaxIntensity;
}

}  // namespace staa::cpu
