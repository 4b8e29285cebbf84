// CPU GEMM driver, Goto/BLIS style: op(B) is packed into nr-column micro-panels (kc x nc panel),
// op(A) into mr-row micro-panels (mc x kc block), and a register-blocked micro-kernel sweeps the
// tiles; OpenMP threads each run this on their own slice of C. Layer: tensor/cpu.
// Transposes are absorbed by packing; edge tiles are zero padded in the panels and clipped on
// store; beta == 0 never reads C. Packing buffers are thread-local, huge-page backed, only grow.
#include "tensor/cpu/gemm.h"

#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <type_traits>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "tensor/cpu/gemm_kernels.h"
#include "tensor/cpu/gemm_thin.h"
#include "tensor/cpu/kernel_util.h"
#include "tensor/error.h"

namespace staa::cpu {
namespace gemm_detail {
namespace {

// A 64-byte aligned scratch buffer that grows and never shrinks (fresh pages are expensive).
class PackBuffer {
 public:
  static constexpr int64_t kHugePage = int64_t(2) << 20;

  PackBuffer() = default;
  PackBuffer(const PackBuffer&) = delete;
  PackBuffer& operator=(const PackBuffer&) = delete;
  ~PackBuffer() { std::free(data_); }

  template <typename T>
  T* get(int64_t count) {
    const int64_t bytes = round_up(std::max<int64_t>(count, 1) * int64_t(sizeof(T)), kHugePage);
    if (bytes > bytes_) {
      std::free(data_);
      data_ = std::aligned_alloc(kHugePage, size_t(bytes));
      bytes_ = data_ ? bytes : 0;
      STAA_CHECK(data_ != nullptr, "gemm: cannot allocate a ", bytes, "-byte packing buffer");
#if defined(__linux__) && defined(MADV_HUGEPAGE)
      // Huge pages: fewer TLB misses, and a packed panel's cache-set mapping no longer depends
      // on where the kernel happened to put each 4 KiB page. Only a hint; failure is harmless.
      madvise(data_, size_t(bytes), MADV_HUGEPAGE);
#endif
    }
    return static_cast<T*>(data_);
  }

 private:
  void* data_ = nullptr;
  int64_t bytes_ = 0;
};

// Per-thread scratch: the packed A block (mc x kc) and B panel (kc x nc) of this thread's loop.
struct Workspace {
  PackBuffer a;
  PackBuffer b;
};

Workspace& thread_workspace() {
  static thread_local Workspace workspace;
  return workspace;
}

// One operand as stored: element (row, col) of op(X) is data[row * ld + col], or
// data[col * ld + row] when trans.
template <typename T>
struct Operand {
  const T* data;
  int64_t ld;
  bool trans;
};

template <typename T>
struct Problem {
  Operand<T> a;  // op(A): [m, k]
  Operand<T> b;  // op(B): [k, n]
  T* c;          // C: [m, n], row stride ldc
  int64_t ldc, m, n, k;
  T alpha, beta;
};

// Packed panels: panel q holds lines [q * W, q * W + W) of a region, kc steps of W values each
// (zero padded past the region's last line). Step p of line l is src[p * ld + l] when the lines are
// contiguous (op(B) untransposed, op(A) transposed), src[l * ld + p] when the steps are.

// Lines contiguous: read kStepGroup source rows at a time across the panels, so every read is a
// sequential stream (a panel at a time would touch kc rows, often aliasing in one cache set).
template <typename T, int W>
void pack_rows(const T* src, int64_t ld, int64_t lines, int64_t kc, T* dst) {
  constexpr int64_t kStepGroup = 4;
  const int64_t panels = ceil_div(lines, W);
  for (int64_t p0 = 0; p0 < kc; p0 += kStepGroup) {
    const int64_t steps = std::min(kStepGroup, kc - p0);
    for (int64_t q = 0; q < panels; ++q) {
      const int64_t valid = std::min<int64_t>(W, lines - q * W);
      for (int64_t p = p0; p < p0 + steps; ++p) {
        const T* in = src + p * ld + q * W;
        T* out = dst + q * W * kc + p * W;
        if (valid == W) {
          for (int l = 0; l < W; ++l) out[l] = in[l];
        } else {
          for (int64_t l = 0; l < valid; ++l) out[l] = in[l];
          for (int64_t l = valid; l < W; ++l) out[l] = T(0);
        }
      }
    }
  }
}

// Steps contiguous: one panel at a time; float uses 8 x 8 (4 x 4 for 4-wide panels) register
// transposes where it can.
template <typename T, int W>
void pack_columns(const T* src, int64_t ld, int64_t lines, int64_t kc, T* dst) {
  const int64_t panels = ceil_div(lines, W);
  for (int64_t q = 0; q < panels; ++q) {
    const int64_t valid = std::min<int64_t>(W, lines - q * W);
    const T* in = src + q * W * ld;
    T* out = dst + q * W * kc;
    int64_t l = 0;
#if defined(__AVX2__)
    if constexpr (std::is_same_v<T, float> && W % 8 == 0) {
      const int64_t kc8 = kc / 8 * 8;
      for (; l + 8 <= valid; l += 8) {
        for (int64_t p = 0; p < kc8; p += 8) transpose_8x8(in + l * ld + p, ld, out + p * W + l, W);
        for (int64_t p = kc8; p < kc; ++p)
          for (int64_t i = l; i < l + 8; ++i) out[p * W + i] = in[i * ld + p];
      }
    }
    if constexpr (std::is_same_v<T, float> && W == 4) {  // A panels: 4 x 4 transposes
      if (valid == 4) {
        int64_t p = 0;
        for (; p + 4 <= kc; p += 4) {
          __m128 r0 = _mm_loadu_ps(in + p), r1 = _mm_loadu_ps(in + ld + p);
          __m128 r2 = _mm_loadu_ps(in + 2 * ld + p), r3 = _mm_loadu_ps(in + 3 * ld + p);
          _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
          _mm_storeu_ps(out + p * 4, r0);
          _mm_storeu_ps(out + p * 4 + 4, r1);
          _mm_storeu_ps(out + p * 4 + 8, r2);
          _mm_storeu_ps(out + p * 4 + 12, r3);
        }
        for (; p < kc; ++p)
          for (int64_t i = 0; i < 4; ++i) out[p * 4 + i] = in[i * ld + p];
        l = 4;
      }
    }
#endif
    for (; l < valid; ++l)
      for (int64_t p = 0; p < kc; ++p) out[p * W + l] = in[l * ld + p];
    for (int64_t p = 0; p < kc; ++p)
      for (int64_t i = valid; i < W; ++i) out[p * W + i] = T(0);
  }
}

// Every panel of a lines x kc region (see above) for micro-panel width `width`.
template <typename T>
void pack_panels(int width, const T* src, int64_t ld, bool lines_contiguous, int64_t lines,
                 int64_t kc, T* dst) {
  const auto pack = [&](auto width_constant) {
    constexpr int W = decltype(width_constant)::value;
    if (lines_contiguous) return pack_rows<T, W>(src, ld, lines, kc, dst);
    pack_columns<T, W>(src, ld, lines, kc, dst);
  };
  switch (width) {
    case 4:
      return pack(std::integral_constant<int, 4>{});
    case 6:
      return pack(std::integral_constant<int, 6>{});
    case 8:
      return pack(std::integral_constant<int, 8>{});
    case 16:
      return pack(std::integral_constant<int, 16>{});
    case 24:
      return pack(std::integral_constant<int, 24>{});
    case 32:
      return pack(std::integral_constant<int, 32>{});
    default:
      STAA_FAIL("gemm: no packing routine for micro-panel width ", width);
  }
}

// a_block: [ceil(mc / mr), kc, mr] panels of op(A) rows [i0, i0 + mc), depth [p0, p0 + kc).
template <typename T>
void pack_a_block(const GemmKernel<T>& kern, const Operand<T>& a, int64_t i0, int64_t mc,
                  int64_t p0, int64_t kc, T* a_block) {
  const T* src = a.trans ? a.data + p0 * a.ld + i0 : a.data + i0 * a.ld + p0;
  pack_panels(kern.mr, src, a.ld, a.trans, mc, kc, a_block);
}

// b_panel: [ceil(nc / nr), kc, nr] panels of op(B) columns [j0, j0 + nc), depth [p0, p0 + kc).
template <typename T>
void pack_b_panel(const GemmKernel<T>& kern, const Operand<T>& b, int64_t j0, int64_t nc,
                  int64_t p0, int64_t kc, T* b_panel) {
  const T* src = b.trans ? b.data + j0 * b.ld + p0 : b.data + p0 * b.ld + j0;
  pack_panels(kern.nr, src, b.ld, !b.trans, nc, kc, b_panel);
}

// C rows [i0, i0 + mc) x cols [j0, j0 + nc) = alpha * a_block * b_panel + beta * C, tile by tile:
// each B micro-panel stays in L1 while the A micro-panels stream past it from L2.
template <typename T>
void macro_kernel(const GemmKernel<T>& kern, const Problem<T>& pr, const T* a_block,
                  const T* b_panel, int64_t i0, int64_t mc, int64_t j0, int64_t nc, int64_t kc,
                  T beta) {
  for (int64_t jr = 0; jr < nc; jr += kern.nr) {
    const int cols = int(std::min<int64_t>(kern.nr, nc - jr));
    const T* b_micro = b_panel + jr * kc;
    for (int64_t ir = 0; ir < mc; ir += kern.mr) {
      const int rows = int(std::min<int64_t>(kern.mr, mc - ir));
      T* c = pr.c + (i0 + ir) * pr.ldc + j0 + jr;
      kern.micro(kc, a_block + ir * kc, b_micro, pr.alpha, beta, c, pr.ldc, rows, cols);
    }
  }
}

// The kernel's cache blocks, evened out so that no dimension ends in a sliver of a block.
template <typename T>
Blocking choose_blocking(const GemmKernel<T>& kern, int64_t m, int64_t n, int64_t k) {
  Blocking bl;
  bl.kc = ceil_div(k, ceil_div(k, kern.kc));
  bl.mc = round_up(ceil_div(m, ceil_div(m, kern.mc)), kern.mr);
  bl.nc = round_up(ceil_div(n, ceil_div(n, kern.nc)), kern.nr);
  return bl;
}

// Goto / BLIS loop nest on this thread alone, with its own packing buffers: for each nc-column
// B panel and kc-deep slab, pack B, then for each mc-row block pack A and sweep the tiles. The
// first slab applies the caller's beta, later slabs accumulate (beta = 1).
template <typename T>
void gemm_serial(const GemmKernel<T>& kern, const Problem<T>& pr) {
  const Blocking bl = choose_blocking(kern, pr.m, pr.n, pr.k);
  Workspace& ws = thread_workspace();
  T* a_block = ws.a.get<T>(bl.mc * bl.kc);
  T* b_panel = ws.b.get<T>(bl.kc * bl.nc);
  for (int64_t jc = 0; jc < pr.n; jc += bl.nc) {
    const int64_t nc = std::min(bl.nc, pr.n - jc);
    for (int64_t pc = 0; pc < pr.k; pc += bl.kc) {
      const int64_t kc = std::min(bl.kc, pr.k - pc);
      pack_b_panel(kern, pr.b, jc, nc, pc, kc, b_panel);
      const T beta = pc == 0 ? pr.beta : T(1);
      for (int64_t ic = 0; ic < pr.m; ic += bl.mc) {
        const int64_t mc = std::min(bl.mc, pr.m - ic);
        pack_a_block(kern, pr.a, ic, mc, pc, kc, a_block);
        macro_kernel(kern, pr, a_block, b_panel, ic, mc, jc, nc, kc, beta);
      }
    }
  }
}

// Rows [i0, i0 + rows) or columns [j0, j0 + cols) of the problem, as a problem of its own.
template <typename T>
Problem<T> row_slice(const Problem<T>& pr, int64_t i0, int64_t rows) {
  Problem<T> sub = pr;
  sub.a.data = pr.a.trans ? pr.a.data + i0 : pr.a.data + i0 * pr.a.ld;
  sub.c = pr.c + i0 * pr.ldc;
  sub.m = rows;
  return sub;
}

template <typename T>
Problem<T> column_slice(const Problem<T>& pr, int64_t j0, int64_t cols) {
  Problem<T> sub = pr;
  sub.b.data = pr.b.trans ? pr.b.data + j0 * pr.b.ld : pr.b.data + j0;
  sub.c = pr.c + j0;
  sub.n = cols;
  return sub;
}

// C is cut into one independent sub-product per thread, no barriers (a thread that the OS
// preempts delays only its own part). Cutting columns makes every thread pack all of A (M x K),
// cutting rows all of B (K x N): cut the side that duplicates the smaller operand, unless it is
// too short to give each thread a couple of micro-tiles.
template <typename T>
void gemm_parallel(const GemmKernel<T>& kern, const Problem<T>& pr) {
  const int nthreads = team_for_work(double(pr.m) * double(pr.n) * double(pr.k));
  const bool columns_ok = ceil_div(pr.n, kern.nr) >= 2 * nthreads;
  const bool rows_ok = ceil_div(pr.m, kern.mr) >= 2 * nthreads;
  if (nthreads <= 1 || !(columns_ok || rows_ok)) return gemm_serial(kern, pr);
  const bool cut_columns = columns_ok && (pr.m <= pr.n || !rows_ok);
  const int64_t extent = cut_columns ? pr.n : pr.m;
  const int64_t part = round_up(ceil_div(extent, nthreads), cut_columns ? kern.nr : kern.mr);
#pragma omp parallel num_threads(nthreads)
  {
    const int64_t begin = std::min(extent, omp_get_thread_num() * part);
    const int64_t count = std::min(extent - begin, part);
    if (count > 0)
      gemm_serial(kern, cut_columns ? column_slice(pr, begin, count) : row_slice(pr, begin, count));
  }
}

// C = beta * C (k == 0 or alpha == 0); beta == 0 writes zeros without reading C.
template <typename T>
void scale_c(int64_t m, int64_t n, T beta, T* c, int64_t ldc) {
  for (int64_t i = 0; i < m; ++i) {
    T* row = c + i * ldc;
    for (int64_t j = 0; j < n; ++j) row[j] = beta == T(0) ? T(0) : beta * row[j];
  }
}

// Shared front door: validates the arguments, handles the degenerate cases, sends matrix-vector
// and outer products to gemm_thin (packing them would cost more than the product), runs the
// blocked path.
template <typename T>
void gemm_checked(const char* op, const GemmKernel<T>& kern, bool trans_a, bool trans_b, int64_t m,
                  int64_t n, int64_t k, T alpha, const T* a, int64_t lda, const T* b, int64_t ldb,
                  T beta, T* c, int64_t ldc) {
  STAA_CHECK(m >= 0 && n >= 0 && k >= 0, op, ": sizes must be >= 0, got m=", m, " n=", n, " k=", k);
  STAA_CHECK(lda >= (trans_a ? m : k), op, ": lda=", lda, " is below the row length of A");
  STAA_CHECK(ldb >= (trans_b ? k : n), op, ": ldb=", ldb, " is below the row length of B");
  STAA_CHECK(ldc >= n, op, ": ldc=", ldc, " is below n=", n);
  if (m == 0 || n == 0) return;
  if (k == 0 || alpha == T(0)) return scale_c(m, n, beta, c, ldc);
  if (gemm_is_thin(m, n, k))
    return gemm_thin(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  const Problem<T> pr{{a, lda, trans_a}, {b, ldb, trans_b}, c, ldc, m, n, k, alpha, beta};
  gemm_parallel(kern, pr);
}

// Portable micro-kernel: plain loops over an MR x NR accumulator the compiler vectorises.
template <typename T, int MR, int NR>
void micro_generic(int64_t kc, const T* a_panel, const T* b_panel, T alpha, T beta, T* c,
                   int64_t ldc, int rows, int cols) {
  T acc[MR][NR] = {};
  for (int64_t p = 0; p < kc; ++p) {
    const T* a = a_panel + p * MR;
    const T* b = b_panel + p * NR;
    for (int r = 0; r < MR; ++r)
      for (int j = 0; j < NR; ++j) acc[r][j] += a[r] * b[j];
  }
  for (int r = 0; r < rows; ++r) {
    T* c_row = c + r * ldc;
    for (int j = 0; j < cols; ++j) {
      const T v = alpha * acc[r][j];
      c_row[j] = beta == T(0) ? v : v + beta * c_row[j];
    }
  }
}

constexpr SgemmKernel kGenericSgemm{"generic", 4, 16, 128, 256, 2048, micro_generic<float, 4, 16>};
constexpr GemmKernel<double> kGenericDgemm{
    "generic", 4, 8, 96, 256, 1024, micro_generic<double, 4, 8>};

}  // namespace

const SgemmKernel& chosen_sgemm_kernel() {
  static const SgemmKernel* const chosen = [] {
    const SgemmKernel* kernels[3];
    runnable_sgemm_kernels(kernels);
    return kernels[0];
  }();
  return *chosen;
}

Blocking sgemm_blocking(const SgemmKernel& kern, int64_t m, int64_t n, int64_t k) {
  return choose_blocking(kern, m, n, k);
}

void sgemm_pack_panels(int width, const float* src, int64_t ld, bool lines_contiguous,
                       int64_t lines, int64_t depth, float* dst) {
  pack_panels(width, src, ld, lines_contiguous, lines, depth, dst);
}

// gemm_serial's loop nest with the packing left to the sources.
void sgemm_from_panels(const SgemmKernel& kern, int64_t m, int64_t n, int64_t k,
                       const PanelSource& a, const PanelSource& b, float beta, float* c,
                       int64_t ldc) {
  if (m == 0 || n == 0) return;
  if (k == 0) return scale_c(m, n, beta, c, ldc);
  const Blocking bl = choose_blocking(kern, m, n, k);
  Workspace& ws = thread_workspace();
  float* a_block = ws.a.get<float>(bl.mc * bl.kc);
  float* b_panel = ws.b.get<float>(bl.kc * bl.nc);
  Problem<float> pr{{nullptr, 0, false}, {nullptr, 0, false}, c, ldc, m, n, k, 1.0f, beta};
  for (int64_t jc = 0; jc < n; jc += bl.nc) {
    const int64_t nc = std::min(bl.nc, n - jc);
    for (int64_t pc = 0; pc < k; pc += bl.kc) {
      const int64_t kc = std::min(bl.kc, k - pc);
      const float* b_packed = b.panels(jc, nc, pc, kc, b_panel);
      const float step_beta = pc == 0 ? beta : 1.0f;
      for (int64_t ic = 0; ic < m; ic += bl.mc) {
        const int64_t mc = std::min(bl.mc, m - ic);
        const float* a_packed = a.panels(ic, mc, pc, kc, a_block);
        macro_kernel(kern, pr, a_packed, b_packed, ic, mc, jc, nc, kc, step_beta);
      }
    }
  }
}

const SgemmKernel* sgemm_generic_kernel() {
  return &kGenericSgemm;
}

int runnable_sgemm_kernels(const SgemmKernel* out[3]) {
  int count = 0;
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  if (sgemm_avx512_kernel() != nullptr && __builtin_cpu_supports("avx512f"))
    out[count++] = sgemm_avx512_kernel();
  if (sgemm_avx2_kernel() != nullptr && __builtin_cpu_supports("avx2") &&
      __builtin_cpu_supports("fma"))
    out[count++] = sgemm_avx2_kernel();
#endif
  out[count++] = sgemm_generic_kernel();
  return count;
}

void sgemm_with_kernel(const SgemmKernel& kernel, bool trans_a, bool trans_b, int64_t m, int64_t n,
                       int64_t k, float alpha, const float* a, int64_t lda, const float* b,
                       int64_t ldb, float beta, float* c, int64_t ldc) {
  gemm_checked("sgemm", kernel, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

}  // namespace gemm_detail

void sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
           int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  gemm_detail::sgemm_with_kernel(gemm_detail::chosen_sgemm_kernel(), trans_a, trans_b, m, n, k,
                                 alpha, a, lda, b, ldb, beta, c, ldc);
}

void dgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha,
           const double* a, int64_t lda, const double* b, int64_t ldb, double beta, double* c,
           int64_t ldc) {
  gemm_detail::gemm_checked("dgemm", gemm_detail::kGenericDgemm, trans_a, trans_b, m, n, k, alpha,
                            a, lda, b, ldb, beta, c, ldc);
}

void sgemm_reference(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                     const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
                     int64_t ldc) {
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double acc = 0.0;  // double accumulation: the reference is the accurate side
      for (int64_t p = 0; p < k; ++p) {
        const float a_ip = trans_a ? a[p * lda + i] : a[i * lda + p];
        const float b_pj = trans_b ? b[j * ldb + p] : b[p * ldb + j];
        acc += double(a_ip) * double(b_pj);
      }
      float& c_ij = c[i * ldc + j];
      const double old = beta == 0.0f ? 0.0 : double(beta) * double(c_ij);
      c_ij = float(double(alpha) * acc + old);
    }
  }
}

const char* sgemm_kernel_name() {
  return gemm_detail::chosen_sgemm_kernel().name;
}

}  // namespace staa::cpu
