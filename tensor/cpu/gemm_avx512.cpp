// AVX-512F SGEMM micro-kernel: an 8 x 32 tile of C held in 16 zmm accumulators; each k step loads
// two 16-float vectors of packed B and broadcasts eight packed A values (16 FMAs). mr = 8 divides
// every ResNet channel count. Compiled with a target attribute, so this file builds with any x86-64
// flags (e.g. -march=native on a CPU without AVX-512); gemm.cpp calls it only when
// __builtin_cpu_supports("avx512f"). Blocking: 24 KiB B micro-panel in L1, 144 KiB A block in L2.
#include "tensor/cpu/gemm_kernels.h"

#if defined(__x86_64__) || defined(__i386__)

#include <immintrin.h>

#define STAA_TARGET_AVX512 __attribute__((target("avx512f,avx2,fma")))

namespace staa::cpu::gemm_detail {
namespace {

constexpr int kMr = 8;
constexpr int kNr = 32;

// c: [1, 32] row of C; writes alpha * acc + beta * c (c not read when beta == 0).
STAA_TARGET_AVX512 inline void update_row(float* c, __m512 lo, __m512 hi, __m512 alpha,
                                          float beta) {
  if (beta == 0.0f) {
    _mm512_storeu_ps(c, _mm512_mul_ps(lo, alpha));
    _mm512_storeu_ps(c + 16, _mm512_mul_ps(hi, alpha));
  } else if (beta == 1.0f) {
    _mm512_storeu_ps(c, _mm512_fmadd_ps(lo, alpha, _mm512_loadu_ps(c)));
    _mm512_storeu_ps(c + 16, _mm512_fmadd_ps(hi, alpha, _mm512_loadu_ps(c + 16)));
  } else {
    const __m512 vbeta = _mm512_set1_ps(beta);
    _mm512_storeu_ps(c, _mm512_fmadd_ps(lo, alpha, _mm512_mul_ps(vbeta, _mm512_loadu_ps(c))));
    _mm512_storeu_ps(c + 16,
                     _mm512_fmadd_ps(hi, alpha, _mm512_mul_ps(vbeta, _mm512_loadu_ps(c + 16))));
  }
}

// Partial tile: only the rows x cols corner of c: [8, 32] is touched.
void update_partial(const float* tile, float* c, int64_t ldc, int rows, int cols, float alpha,
                    float beta) {
  for (int r = 0; r < rows; ++r) {
    float* c_row = c + r * ldc;
    for (int j = 0; j < cols; ++j) {
      const float v = alpha * tile[r * kNr + j];
      c_row[j] = beta == 0.0f ? v : v + beta * c_row[j];
    }
  }
}

// a_panel: [kc, 8], b_panel: [kc, 32] packed; c: [rows, cols] with row stride ldc.
STAA_TARGET_AVX512 void micro_8x32(int64_t kc, const float* a_panel, const float* b_panel,
                                   float alpha, float beta, float* c, int64_t ldc, int rows,
                                   int cols) {
  for (int r = 0; r < rows; ++r) {
    _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc + kNr - 1), _MM_HINT_T0);
  }
  __m512 acc[kMr][2];
  for (int r = 0; r < kMr; ++r) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
  const float* a = a_panel;
  const float* b = b_panel;
#pragma GCC unroll 4
  for (int64_t p = 0; p < kc; ++p) {
    const __m512 b_lo = _mm512_load_ps(b);
    const __m512 b_hi = _mm512_load_ps(b + 16);
#pragma GCC unroll 8
    for (int r = 0; r < kMr; ++r) {
      const __m512 a_r = _mm512_set1_ps(a[r]);
      acc[r][0] = _mm512_fmadd_ps(a_r, b_lo, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(a_r, b_hi, acc[r][1]);
    }
    a += kMr;
    b += kNr;
  }
  const __m512 valpha = _mm512_set1_ps(alpha);
  if (rows == kMr && cols == kNr) {
#pragma GCC unroll 8
    for (int r = 0; r < kMr; ++r) update_row(c + r * ldc, acc[r][0], acc[r][1], valpha, beta);
    return;
  }
  alignas(64) float tile[kMr * kNr];
  for (int r = 0; r < kMr; ++r) {
    _mm512_store_ps(tile + r * kNr, acc[r][0]);
    _mm512_store_ps(tile + r * kNr + 16, acc[r][1]);
  }
  update_partial(tile, c, ldc, rows, cols, alpha, beta);
}

constexpr SgemmKernel kAvx512Kernel{"avx512", kMr, kNr, 192, 192, 2048, micro_8x32};

}  // namespace

const SgemmKernel* sgemm_avx512_kernel() {
  return &kAvx512Kernel;
}

}  // namespace staa::cpu::gemm_detail

#else  // not x86

namespace staa::cpu::gemm_detail {
const SgemmKernel* sgemm_avx512_kernel() {
  return nullptr;
}
}  // namespace staa::cpu::gemm_detail

#endif
