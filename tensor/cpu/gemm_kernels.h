// Private to tensor/cpu/gemm*.cpp (and white-box tests): the contract between the blocked GEMM
// driver (gemm.cpp) and the micro-kernels (gemm_avx2.cpp, gemm_avx512.cpp, generic in gemm.cpp).
// A micro-kernel computes one mr x nr tile of row-major C: C = alpha * Ap * Bp + beta * C, where
// Ap is a packed A micro-panel (kc steps of mr values, one per tile row) and Bp a packed B micro-
// panel (kc steps of nr values, one per tile column), both 64-byte aligned and zero padded to full
// mr / nr. Only the rows x cols corner of the tile is read or written; beta == 0 never reads C.
#pragma once

#include <cstdint>

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

}  // namespace staa::cpu::gemm_detail
