// AVX2 + FMA SGEMM micro-kernel: a 4 x 24 tile of C held in 12 ymm accumulators; each k step
// loads three 8-float vectors of packed B and broadcasts four packed A values (12 FMAs, 16 ymm
// live). On Zen 3 it beat a 6 x 16 tile by 5-15% (fewer broadcasts per FMA; mr = 4 divides every
// ResNet channel count). Compiled with a target attribute, so it builds with any x86-64 flags;
// gemm.cpp calls it only when __builtin_cpu_supports says avx2 and fma.
#include "tensor/cpu/gemm_kernels.h"

#if defined(__x86_64__) || defined(__i386__)

#include <immintrin.h>

#define STAA_TARGET_AVX2 __attribute__((target("avx2,fma")))

namespace staa::cpu::gemm_detail {
namespace {

constexpr int kMr = 4;
constexpr int kNr = 24;
constexpr int kVectors = kNr / 8;  // ymm vectors per tile row

// c: [1, 8] of C; writes alpha * acc + beta * c (c not read when beta == 0).
STAA_TARGET_AVX2 inline void update_vector(float* c, __m256 acc, __m256 alpha, float beta) {
  if (beta == 0.0f) {
    _mm256_storeu_ps(c, _mm256_mul_ps(acc, alpha));
  } else if (beta == 1.0f) {
    _mm256_storeu_ps(c, _mm256_fmadd_ps(acc, alpha, _mm256_loadu_ps(c)));
  } else {
    const __m256 old = _mm256_mul_ps(_mm256_set1_ps(beta), _mm256_loadu_ps(c));
    _mm256_storeu_ps(c, _mm256_fmadd_ps(acc, alpha, old));
  }
}

// Partial tile: only the rows x cols corner of c: [4, 24] is touched, whole vectors as
// update_vector, the last part of a row by masked loads and stores (they touch no other lane).
STAA_TARGET_AVX2 void update_partial(const __m256 acc[kMr][kVectors], float* c, int64_t ldc,
                                     int rows, int cols, float alpha, float beta) {
  const __m256 valpha = _mm256_set1_ps(alpha);
  const int whole = cols / 8, rest = cols % 8;
  const __m256i mask =
      _mm256_cmpgt_epi32(_mm256_set1_epi32(rest), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  for (int r = 0; r < rows; ++r) {
    float* c_row = c + r * ldc;
    for (int v = 0; v < whole; ++v) update_vector(c_row + 8 * v, acc[r][v], valpha, beta);
    if (rest == 0) continue;
    float* at = c_row + 8 * whole;
    __m256 out = _mm256_mul_ps(acc[r][whole], valpha);
    if (beta != 0.0f)
      out = _mm256_fmadd_ps(_mm256_set1_ps(beta), _mm256_maskload_ps(at, mask), out);
    _mm256_maskstore_ps(at, mask, out);
  }
}

// A tile of at most 16 columns (the last of a row of C when N % 24 is 8 or 16, as in every
// Winograd backward-weight GEMM, N = C_in: 64 = 24 + 24 + 16, 128 = 5 x 24 + 8): the full k loop
// would spend a third or two thirds of its FMAs on the panel's zero padding. Each accumulator
// adds its k terms in order, as micro_4x24's do, so an element of C gets the same bits whichever
// tile its column falls in (callers cut N by thread and by chunk). (This loop stays written out
// beside micro_4x24's: one k loop templated on the vector count, with the accumulators handed
// back in an array, halved the 24-column kernel's speed.)
template <int kVecs>
STAA_TARGET_AVX2 void micro_4xnarrow(int64_t kc, const float* a, const float* b, float alpha,
                                     float beta, float* c, int64_t ldc, int rows, int cols) {
  static_assert(kVecs == 1 || kVecs == 2);
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00;
  __m256 c20 = c00, c21 = c00, c30 = c00, c31 = c00;
#pragma GCC unroll 4
  for (int64_t p = 0; p < kc; ++p, a += kMr, b += kNr) {
    const __m256 b0 = _mm256_load_ps(b), b1 = kVecs == 2 ? _mm256_load_ps(b + 8) : b0;
    __m256 a_r = _mm256_broadcast_ss(a + 0);
    c00 = _mm256_fmadd_ps(a_r, b0, c00);
    if constexpr (kVecs == 2) c01 = _mm256_fmadd_ps(a_r, b1, c01);
    a_r = _mm256_broadcast_ss(a + 1);
    c10 = _mm256_fmadd_ps(a_r, b0, c10);
    if constexpr (kVecs == 2) c11 = _mm256_fmadd_ps(a_r, b1, c11);
    a_r = _mm256_broadcast_ss(a + 2);
    c20 = _mm256_fmadd_ps(a_r, b0, c20);
    if constexpr (kVecs == 2) c21 = _mm256_fmadd_ps(a_r, b1, c21);
    a_r = _mm256_broadcast_ss(a + 3);
    c30 = _mm256_fmadd_ps(a_r, b0, c30);
    if constexpr (kVecs == 2) c31 = _mm256_fmadd_ps(a_r, b1, c31);
  }
  const __m256 acc[kMr][kVectors] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}};
  update_partial(acc, c, ldc, rows, cols, alpha, beta);
}

// a_panel: [kc, 4], b_panel: [kc, 24] packed; c: [rows, cols] with row stride ldc.
STAA_TARGET_AVX2 void micro_4x24(int64_t kc, const float* a_panel, const float* b_panel,
                                 float alpha, float beta, float* c, int64_t ldc, int rows,
                                 int cols) {
  for (int r = 0; r < rows; ++r) {  // the tile's C lines arrive while the k loop runs
    const char* c_row = reinterpret_cast<const char*>(c + r * ldc);
    _mm_prefetch(c_row, _MM_HINT_T0);
    _mm_prefetch(c_row + 64, _MM_HINT_T0);
    _mm_prefetch(c_row + kNr * sizeof(float) - 1, _MM_HINT_T0);
  }
  if (cols <= 8) return micro_4xnarrow<1>(kc, a_panel, b_panel, alpha, beta, c, ldc, rows, cols);
  if (cols <= 16) return micro_4xnarrow<2>(kc, a_panel, b_panel, alpha, beta, c, ldc, rows, cols);
  // Named accumulators (not an array) so the compiler keeps all twelve in registers.
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c02 = c00, c10 = c00, c11 = c00, c12 = c00;
  __m256 c20 = c00, c21 = c00, c22 = c00, c30 = c00, c31 = c00, c32 = c00;
  const float* a = a_panel;
  const float* b = b_panel;
#pragma GCC unroll 4
  for (int64_t p = 0; p < kc; ++p) {
    const __m256 b0 = _mm256_load_ps(b);
    const __m256 b1 = _mm256_load_ps(b + 8);
    const __m256 b2 = _mm256_load_ps(b + 16);
    __m256 a_r = _mm256_broadcast_ss(a + 0);
    c00 = _mm256_fmadd_ps(a_r, b0, c00);
    c01 = _mm256_fmadd_ps(a_r, b1, c01);
    c02 = _mm256_fmadd_ps(a_r, b2, c02);
    a_r = _mm256_broadcast_ss(a + 1);
    c10 = _mm256_fmadd_ps(a_r, b0, c10);
    c11 = _mm256_fmadd_ps(a_r, b1, c11);
    c12 = _mm256_fmadd_ps(a_r, b2, c12);
    a_r = _mm256_broadcast_ss(a + 2);
    c20 = _mm256_fmadd_ps(a_r, b0, c20);
    c21 = _mm256_fmadd_ps(a_r, b1, c21);
    c22 = _mm256_fmadd_ps(a_r, b2, c22);
    a_r = _mm256_broadcast_ss(a + 3);
    c30 = _mm256_fmadd_ps(a_r, b0, c30);
    c31 = _mm256_fmadd_ps(a_r, b1, c31);
    c32 = _mm256_fmadd_ps(a_r, b2, c32);
    a += kMr;
    b += kNr;
  }
  const __m256 acc[kMr][kVectors] = {
      {c00, c01, c02}, {c10, c11, c12}, {c20, c21, c22}, {c30, c31, c32}};
  if (rows == kMr && cols == kNr) {
    const __m256 valpha = _mm256_set1_ps(alpha);
    for (int r = 0; r < kMr; ++r)
      for (int v = 0; v < kVectors; ++v)
        update_vector(c + r * ldc + 8 * v, acc[r][v], valpha, beta);
    return;
  }
  update_partial(acc, c, ldc, rows, cols, alpha, beta);
}

// Zen 3 (L1d 32 KiB, L2 512 KiB per core): the 24 x kc B micro-panel (24 KiB) stays in L1, the
// mc x kc A block (128 KiB) in L2, the kc x nc B panel (2 MiB) in L3.
constexpr SgemmKernel kAvx2Kernel{"avx2", kMr, kNr, 128, 256, 2040, micro_4x24};

}  // namespace

const SgemmKernel* sgemm_avx2_kernel() {
  return &kAvx2Kernel;
}

}  // namespace staa::cpu::gemm_detail

#else  // not x86

namespace staa::cpu::gemm_detail {
const SgemmKernel* sgemm_avx2_kernel() {
  return nullptr;
}
}  // namespace staa::cpu::gemm_detail

#endif
