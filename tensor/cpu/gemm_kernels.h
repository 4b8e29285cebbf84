// Private to tensor/cpu/gemm*.cpp (and white-box tests): the contract between the blocked GEMM
// driver (gemm.cpp) and the micro-kernels (gemm_avx2.cpp, gemm_avx512.cpp, generic in gemm.cpp).
// A micro-kernel computes one mr x nr tile of row-major C: C = alpha * Ap * Bp + beta * C, where
// Ap is a packed A micro-panel (kc steps of mr values, one per tile row) and Bp a packed B micro-
// panel (kc steps of nr values, one per tile column), both 64-byte aligned and zero padded to full
// mr / nr. Only the rows x cols corner of the tile is read or written; beta == 0 never reads C.
#pragma once

#include <cstdint>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

namespace staa::cpu::gemm_detail {

// a_panel: [kc, mr] packed, b_panel: [kc, nr] packed, c: [rows, cols] with row stride ldc.
template <typename T>
using MicroKernel = void (*)(int64_t kc, const T* a_panel, const T* b_panel, T alpha, T beta, T* c,
                             int64_t ldc, int rows, int cols);

// A micro-kernel and the cache blocking tuned for it. mc is a multiple of mr; nc (the B panel
// width one thread packs) is a multiple of nr; kc is the depth of one packed panel.
template <typename T>
struct GemmKernel {
  const char* name;
  int mr;
  int nr;
  int64_t mc;
  int64_t kc;
  int64_t nc;
  MicroKernel<T> micro;
};

using SgemmKernel = GemmKernel<float>;

// Each returns the ISA kernel when this build has it, nullptr otherwise (non-x86 builds). The
// caller checks that the CPU runs it (__builtin_cpu_supports) before use.
const SgemmKernel* sgemm_avx2_kernel();
const SgemmKernel* sgemm_avx512_kernel();

// The portable kernel (plain C++, vectorised by the compiler); always available.
const SgemmKernel* sgemm_generic_kernel();

// Kernels this build and this CPU can run, best first; the first is the one sgemm uses.
// Returns how many were written to out (at most 3).
int runnable_sgemm_kernels(const SgemmKernel* out[3]);

// sgemm with an explicit micro-kernel (same contract as staa::cpu::sgemm); lets the tests run
// every runnable kernel, not only the one sgemm picks.
void sgemm_with_kernel(const SgemmKernel& kernel, bool trans_a, bool trans_b, int64_t m, int64_t n,
                       int64_t k, float alpha, const float* a, int64_t lda, const float* b,
                       int64_t ldb, float beta, float* c, int64_t ldc);

#if defined(__AVX2__)
// r[l][q] -> r[q][l]: an 8 x 8 block transposed in registers.
inline void transpose_8x8_in_regs(__m256 r[8]) {
  __m256 t[8], u[8];
  for (int l = 0; l < 8; l += 2) {
    t[l] = _mm256_unpacklo_ps(r[l], r[l + 1]);
    t[l + 1] = _mm256_unpackhi_ps(r[l], r[l + 1]);
  }
  for (int g = 0; g < 8; g += 4)
    for (int h = 0; h < 2; ++h) {  // line groups {0..3}, {4..7}
      u[g + 2 * h] = _mm256_shuffle_ps(t[g + h], t[g + 2 + h], _MM_SHUFFLE(1, 0, 1, 0));
      u[g + 2 * h + 1] = _mm256_shuffle_ps(t[g + h], t[g + 2 + h], _MM_SHUFFLE(3, 2, 3, 2));
    }
  for (int q = 0; q < 4; ++q) {
    r[q] = _mm256_permute2f128_ps(u[q], u[4 + q], 0x20);
    r[q + 4] = _mm256_permute2f128_ps(u[q], u[4 + q], 0x31);
  }
}

// dst[q * dst_stride + l] = r[l][q] for an 8 x 8 block held in registers (r is clobbered).
inline void transpose_8x8_regs(__m256 r[8], float* dst, int64_t dst_stride) {
  transpose_8x8_in_regs(r);
  for (int q = 0; q < 8; ++q) _mm256_store_ps(dst + q * dst_stride, r[q]);
}

// dst[q * dst_stride + l] = src[l * ld + q] for an 8 x 8 block (lines l, steps q).
inline void transpose_8x8(const float* src, int64_t ld, float* dst, int64_t dst_stride) {
  __m256 r[8];
  for (int l = 0; l < 8; ++l) r[l] = _mm256_loadu_ps(src + l * ld);
  transpose_8x8_regs(r, dst, dst_stride);
}
#endif

// The kernel sgemm uses on this machine (the first of runnable_sgemm_kernels).
const SgemmKernel& chosen_sgemm_kernel();

// Cache blocks for one problem: rows of A per packed block, depth per slab, columns per B panel.
// mc depends only on m, kc only on k, nc only on n (callers that pre-pack rely on it).
struct Blocking {
  int64_t mc, kc, nc;
};
Blocking sgemm_blocking(const SgemmKernel& kernel, int64_t m, int64_t n, int64_t k);

// Packs lines [0, lines) x depth [0, depth) of a matrix into width-wide micro-panels:
// dst: [ceil(lines / width), depth, width], zero past the last line. Step p of line l is
// src[p * ld + l] when lines_contiguous, else src[l * ld + p].
void sgemm_pack_panels(int width, const float* src, int64_t ld, bool lines_contiguous,
                       int64_t lines, int64_t depth, float* dst);

// Packed micro-panels of one GEMM operand on demand: lines [l0, l0 + lines) (rows of op(A) or
// columns of op(B)), depth [p0, p0 + depth), in the layout of sgemm_pack_panels with the kernel's
// mr (A) or nr (B). Writes them to buf (room for the block of sgemm_blocking) and returns buf, or
// returns panels it already holds. l0 is a multiple of the width; calls come from one thread.
class PanelSource {
 public:
  virtual ~PanelSource() = default;
  virtual const float* panels(int64_t l0, int64_t lines, int64_t p0, int64_t depth,
                              float* buf) const = 0;
};

// C = A B + beta * C on the calling thread (the loop nest of sgemm), A: [m, k] and B: [k, n]
// packed by their sources (implicit GEMM: im2col fused into packing, pre-packed weights).
// c: [m, n] with row stride ldc; beta == 0 never reads C.
void sgemm_from_panels(const SgemmKernel& kernel, int64_t m, int64_t n, int64_t k,
                       const PanelSource& a, const PanelSource& b, float beta, float* c,
                       int64_t ldc);

}  // namespace staa::cpu::gemm_detail
