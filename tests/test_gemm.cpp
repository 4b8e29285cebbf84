// GemmTest: sgemm (every micro-kernel this CPU runs) and dgemm against plain triple loops, on
// awkward sizes (1, primes, sizes crossing the mc / kc / nc cache blocks), all four transposes,
// padded leading dimensions, alpha != 1 and beta in {0 (NaN in C before), 1, 0.5}; the thin
// (matrix-vector, outer product) path on sizes past its blocks.
// Tolerance: the worst-case rounding bound of a k-term dot product in any order, see tolerance().
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "tensor/cpu/gemm.h"
#include "tensor/cpu/gemm_dot.h"
#include "tensor/cpu/gemm_kernels.h"

namespace staa::cpu {
namespace {

struct GemmCase {
  bool trans_a, trans_b;
  int64_t m, n, k;
  int64_t pad;  // extra elements per row of A, B and C beyond the minimum leading dimension
  double alpha, beta;
};

std::string describe(const GemmCase& g) {
  return std::string(g.trans_a ? "T" : "N") + (g.trans_b ? "T" : "N") +
         " m=" + std::to_string(g.m) + " n=" + std::to_string(g.n) + " k=" + std::to_string(g.k) +
         " pad=" + std::to_string(g.pad) + " alpha=" + std::to_string(g.alpha) +
         " beta=" + std::to_string(g.beta);
}

template <typename T>
using GemmFn = void (*)(bool, bool, int64_t, int64_t, int64_t, T, const T*, int64_t, const T*,
                        int64_t, T, T*, int64_t);

// Worst-case error of fl(sum of k products) in any summation order, with or without FMA, is
// gamma_k * sum |a_ip * b_pj| (gamma_k ~ k * unit roundoff; Higham, Accuracy and Stability, 3.1).
// The blocked kernels sum in a different order than the reference, so the bound grows with k;
// +3 covers the alpha scaling, the beta * C term and the reference's own final rounding. A wrong
// index, a lost or doubled term, or a stale beta leaves errors of order |a * b| ~ 0.3, far above
// this bound at the sizes tested (k <= 700: bound <= 1e-4 * abs_dot in float).
template <typename T>
double tolerance(int64_t k, double abs_dot, double alpha, double beta, double c_old) {
  const double unit = std::numeric_limits<T>::epsilon() / 2;
  const double scale = std::abs(alpha) * abs_dot + std::abs(beta) * std::abs(c_old);
  return double(k + 3) * unit * scale + std::numeric_limits<T>::min();
}

template <typename T>
void check_case(GemmFn<T> gemm, const GemmCase& g, std::mt19937& rng) {
  // Stored shapes: A is [m, k] or [k, m] (trans_a); B is [k, n] or [n, k] (trans_b); C is [m, n].
  const int64_t a_rows = g.trans_a ? g.k : g.m, a_cols = g.trans_a ? g.m : g.k;
  const int64_t b_rows = g.trans_b ? g.n : g.k, b_cols = g.trans_b ? g.k : g.n;
  const int64_t lda = a_cols + g.pad, ldb = b_cols + g.pad, ldc = g.n + g.pad;
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);
  std::vector<T> a(size_t(std::max<int64_t>(a_rows * lda, 1)));
  std::vector<T> b(size_t(std::max<int64_t>(b_rows * ldb, 1)));
  std::vector<T> c(size_t(std::max<int64_t>(g.m * ldc, 1)));
  for (T& x : a) x = T(uniform(rng));
  for (T& x : b) x = T(uniform(rng));
  // beta == 0: C is write-only, so fill it with NaN; any read of it would poison the result.
  for (T& x : c) x = g.beta == 0.0 ? std::numeric_limits<T>::quiet_NaN() : T(uniform(rng));
  const std::vector<T> c_old = c;
  gemm(g.trans_a, g.trans_b, g.m, g.n, g.k, T(g.alpha), a.data(), lda, b.data(), ldb, T(g.beta),
       c.data(), ldc);
  int failures = 0;
  for (int64_t i = 0; i < g.m; ++i) {
    for (int64_t j = 0; j < ldc; ++j) {
      const double old = double(c_old[size_t(i * ldc + j)]);
      const double got = double(c[size_t(i * ldc + j)]);
      if (j >= g.n) {  // padding past column n must be untouched
        if (!(got == old || (std::isnan(got) && std::isnan(old)))) ++failures;
        continue;
      }
      double dot = 0.0, abs_dot = 0.0;
      for (int64_t p = 0; p < g.k; ++p) {
        const double a_ip = double(g.trans_a ? a[size_t(p * lda + i)] : a[size_t(i * lda + p)]);
        const double b_pj = double(g.trans_b ? b[size_t(j * ldb + p)] : b[size_t(p * ldb + j)]);
        dot += a_ip * b_pj;
        abs_dot += std::abs(a_ip * b_pj);
      }
      const double old_term = g.beta == 0.0 ? 0.0 : g.beta * old;
      const double want = g.alpha * dot + old_term;
      const double tol = tolerance<T>(g.k, abs_dot, g.alpha, g.beta, g.beta == 0.0 ? 0.0 : old);
      if (!(std::abs(got - want) <= tol) && ++failures <= 3)
        ADD_FAILURE() << describe(g) << ": C[" << i << "," << j << "] = " << got << ", want "
                      << want << " (tolerance " << tol << ")";
    }
  }
  EXPECT_EQ(failures, 0) << describe(g);
}

// Every transpose pair x every (alpha, beta) kind, on one size.
template <typename T>
void check_all_modes(GemmFn<T> gemm, int64_t m, int64_t n, int64_t k, int64_t pad,
                     std::mt19937& rng) {
  const double betas[] = {0.0, 1.0, 0.5};
  for (int trans = 0; trans < 4; ++trans)
    for (double beta : betas)
      check_case<T>(gemm, {(trans & 1) != 0, (trans & 2) != 0, m, n, k, pad, -1.5, beta}, rng);
}

// Sizes of 1, primes and block-boundary crossers, with and without padding.
template <typename T>
void check_awkward_sizes(GemmFn<T> gemm) {
  std::mt19937 rng(1234);
  const int64_t small[] = {1, 7, 13, 31};
  for (int64_t m : small)
    for (int64_t n : small)
      for (int64_t k : small) check_all_modes<T>(gemm, m, n, k, (m + n + k) % 3, rng);
  check_all_modes<T>(gemm, 97, 257, 97, 5, rng);
  check_all_modes<T>(gemm, 257, 97, 13, 0, rng);
  check_all_modes<T>(gemm, 13, 31, 257, 1, rng);
}

// Sizes that cross every cache block of the kernel: more than one mc block (and an uneven last
// one), several kc blocks, more columns than one jc step of a 2-thread team, a column count with
// too few micro-panels to split (the row-split path) and a tall-thin shape.
template <typename T>
void check_block_crossers(GemmFn<T> gemm, int64_t mc, int64_t kc, int64_t nc) {
  std::mt19937 rng(99);
  check_case<T>(gemm, {false, false, 2 * mc + 7, 61, 2 * kc + 3, 3, 0.75, 0.5}, rng);
  check_case<T>(gemm, {true, true, 2 * mc + 7, 61, 2 * kc + 3, 0, 0.75, 0.0}, rng);
  check_case<T>(gemm, {false, true, 5, 2 * nc + 37, kc + 1, 2, -1.0, 1.0}, rng);
  check_case<T>(gemm, {true, false, 9, 2 * nc + 37, 37, 0, 2.0, 0.0}, rng);
  check_case<T>(gemm, {false, false, 3 * mc + 1, 3, kc + 9, 1, 1.0, 0.0}, rng);
  check_case<T>(gemm, {true, true, 3 * mc + 1, 17, 29, 4, -0.5, 0.5}, rng);
}

void sgemm_reference_fn(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha,
                        const float* a, int64_t lda, const float* b, int64_t ldb, float beta,
                        float* c, int64_t ldc) {
  sgemm_reference(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

// The kernel under test in GemmTest.EveryKernel (a plain function pointer cannot capture it).
const gemm_detail::SgemmKernel* g_kernel = nullptr;

void sgemm_with_current_kernel(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha,
                               const float* a, int64_t lda, const float* b, int64_t ldb, float beta,
                               float* c, int64_t ldc) {
  gemm_detail::sgemm_with_kernel(*g_kernel, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

TEST(GemmTest, ReferenceMatchesDoubleDot) {
  check_awkward_sizes<float>(sgemm_reference_fn);
}

TEST(GemmTest, SgemmAwkwardSizes) {
  check_awkward_sizes<float>(sgemm);
}

TEST(GemmTest, EveryKernelAwkwardSizesAndBlockCrossers) {
  const gemm_detail::SgemmKernel* kernels[3];
  const int count = gemm_detail::runnable_sgemm_kernels(kernels);
  ASSERT_GE(count, 1);
  EXPECT_STREQ(kernels[count - 1]->name, "generic");
  for (int i = 0; i < count; ++i) {
    SCOPED_TRACE(kernels[i]->name);
    g_kernel = kernels[i];
    check_awkward_sizes<float>(sgemm_with_current_kernel);
    check_block_crossers<float>(sgemm_with_current_kernel, kernels[i]->mc, kernels[i]->kc,
                                kernels[i]->nc);
  }
}

// An element of C gets the same bits wherever its column falls in the micro-tiles: in a full
// tile, or in a row's last tile of 1 .. nr - 1 columns. Callers cut N by thread and by chunk
// (sgemm's threads, the Winograd forward's chunks of tiles), and their results must not depend
// on the cut.
TEST(GemmTest, ColumnBitsDoNotDependOnTheTileTheyFallIn) {
  const gemm_detail::SgemmKernel* kernels[3];
  const int count = gemm_detail::runnable_sgemm_kernels(kernels);
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (int i = 0; i < count; ++i) {
    SCOPED_TRACE(kernels[i]->name);
    g_kernel = kernels[i];
    const int64_t nr = kernels[i]->nr, m = 2 * kernels[i]->mr + 1, k = 37, ld = 2 * nr;
    std::vector<float> a(size_t(m * k)), b(size_t(k * ld));
    for (float& x : a) x = dist(rng);
    for (float& x : b) x = dist(rng);
    std::vector<float> full(size_t(m * ld));
    sgemm_with_current_kernel(false, false, m, ld, k, 1.0f, a.data(), k, b.data(), ld, 0.0f,
                              full.data(), ld);
    for (int64_t n = nr + 1; n < ld; ++n) {
      std::vector<float> part(size_t(m * ld), 0.0f);
      sgemm_with_current_kernel(false, false, m, n, k, 1.0f, a.data(), k, b.data(), ld, 0.0f,
                                part.data(), ld);
      for (int64_t r = 0; r < m; ++r)
        for (int64_t j = nr; j < n; ++j)
          ASSERT_EQ(part[r * ld + j], full[r * ld + j])
              << "n " << n << ", row " << r << ", col " << j;
    }
  }
}

TEST(GemmTest, KernelNameIsTheFirstRunnable) {
  const gemm_detail::SgemmKernel* kernels[3];
  gemm_detail::runnable_sgemm_kernels(kernels);
  EXPECT_STREQ(sgemm_kernel_name(), kernels[0]->name);
}

TEST(GemmTest, DgemmAwkwardSizesAndBlockCrossers) {
  check_awkward_sizes<double>(dgemm);
  check_block_crossers<double>(dgemm, 96, 256, 1024);
}

TEST(GemmTest, SgemmOnOneThreadAndInsideAParallelRegion) {
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  std::mt19937 rng(7);
  check_all_modes<float>(sgemm, 101, 203, 67, 1, rng);
  omp_set_num_threads(threads);
  // Called from inside an OpenMP region: each thread's own product, no nested team.
  int failures = 0;
#pragma omp parallel num_threads(2) reduction(+ : failures)
  {
    const int64_t m = 50 + omp_get_thread_num(), n = 70, k = 90;
    std::vector<float> a(size_t(m * k), 0.5f), b(size_t(k * n), 0.25f), c(size_t(m * n), 1.0f);
    sgemm(false, false, m, n, k, 1.0f, a.data(), k, b.data(), n, 1.0f, c.data(), n);
    for (float x : c) failures += x != 1.0f + 0.125f * k;  // exact: all terms are powers of 2
  }
  EXPECT_EQ(failures, 0);
}

// Matrix-vector and outer products (m, n or k of 1) take gemm_thin: sizes past its column block
// (1024) and its per-thread work grain, on 1 and 2 threads, in float and double.
template <typename T>
void check_thin_shapes(GemmFn<T> gemm) {
  std::mt19937 rng(31);
  const int threads = omp_get_max_threads();
  for (int team : {1, 2}) {
    SCOPED_TRACE(team);
    omp_set_num_threads(team);
    check_all_modes<T>(gemm, 1, 2600, 301, 3, rng);  // row vector times matrix
    check_all_modes<T>(gemm, 2600, 1, 301, 2, rng);  // matrix times column vector
    check_all_modes<T>(gemm, 700, 900, 1, 1, rng);   // outer product
    check_all_modes<T>(gemm, 1, 1, 5000, 0, rng);    // one long dot product
    check_all_modes<T>(gemm, 1, 3000, 2, 0, rng);
  }
  omp_set_num_threads(threads);
}

TEST(GemmTest, ThinShapes) {
  check_thin_shapes<float>(sgemm);
  check_thin_shapes<double>(dgemm);
}

// sgemm_dot computes A B^T only (alpha 1): the cases it is called with.
void sgemm_dot_fn(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                  int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  ASSERT_TRUE(!ta && tb && alpha == 1.0f);
  sgemm_dot(m, n, k, a, lda, b, ldb, beta, c, ldc);
}

// Every block shape (rows mod 4, columns mod 3), sums shorter than a vector, with a tail, and
// long; padded rows; beta 0 (NaN in C before), 1 and 0.5.
TEST(GemmTest, DotProductsOfRowsAwkwardSizes) {
  std::mt19937 rng(7);
  for (int64_t m : {1, 3, 4, 5, 8, 13})
    for (int64_t n : {1, 2, 3, 4, 7})
      for (int64_t k : {1, 7, 8, 9, 64, 257})
        for (double beta : {0.0, 1.0, 0.5})
          check_case<float>(sgemm_dot_fn, {false, true, m, n, k, (m + n + k) % 3, 1.0, beta}, rng);
}

TEST(GemmTest, DegenerateSizesOnlyScaleC) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> c = {nan, nan, nan, nan};
  sgemm(false, false, 2, 2, 0, 1.0f, nullptr, 0, nullptr, 2, 0.0f, c.data(), 2);  // k == 0
  for (float x : c) EXPECT_EQ(x, 0.0f);
  std::vector<float> a = {nan, nan}, b = {nan, nan};
  c = {1.0f, 2.0f, 3.0f, 4.0f};
  sgemm(false, false, 2, 2, 1, 0.0f, a.data(), 1, b.data(), 2, 0.5f, c.data(), 2);  // alpha == 0
  EXPECT_EQ(c, (std::vector<float>{0.5f, 1.0f, 1.5f, 2.0f}));
  sgemm(false, false, 0, 2, 1, 1.0f, a.data(), 1, b.data(), 2, 0.0f, c.data(), 2);  // m == 0
  EXPECT_EQ(c[0], 0.5f);
}

TEST(GemmTest, RejectsLeadingDimensionsBelowTheRowLength) {
  std::vector<float> a(64), b(64), c(64);
  EXPECT_ANY_THROW(sgemm(false, false, 4, 4, 4, 1.0f, a.data(), 3, b.data(), 4, 0.0f, c.data(), 4));
  EXPECT_ANY_THROW(sgemm(false, true, 4, 4, 4, 1.0f, a.data(), 4, b.data(), 3, 0.0f, c.data(), 4));
  EXPECT_ANY_THROW(sgemm(false, false, 4, 4, 4, 1.0f, a.data(), 4, b.data(), 4, 0.0f, c.data(), 3));
}

}  // namespace
}  // namespace staa::cpu
