// gemm_bench: staa::cpu::sgemm against OpenBLAS cblas_sgemm in one run, both on the same thread
// count (default 2), on square shapes and the ResNet-20 convolution GEMMs (forward, backward-data,
// backward-weight). Per shape: median GFLOP/s of several timed runs after a warm-up, and the ratio
// ours / OpenBLAS. The last line is `ratio openblas: <geometric mean of the ratios>`.
// OpenBLAS is only the peer, never linked into the library. x86-64 only (the peak-FLOP loop).
// Usage: gemm_bench [reps] [threads]
#include <cblas.h>
#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "tensor/cpu/gemm.h"

// Declared here too, so any cblas.h (not only OpenBLAS's own) will do.
extern "C" void openblas_set_num_threads(int num_threads);
extern "C" char* openblas_get_corename(void);

namespace {

using Clock = std::chrono::steady_clock;

struct Shape {
  std::string name;
  bool trans_a, trans_b;
  int64_t m, n, k;
};

// ResNet-20 conv GEMMs for batch 128, 3x3 kernels: M = C_out, K = C_in * 9, N = 128 * H * W.
std::vector<Shape> bench_shapes() {
  std::vector<Shape> shapes;
  for (int64_t s : {256, 512, 1024, 2048})
    shapes.push_back({"square " + std::to_string(s), false, false, s, s, s});
  const int64_t convs[][2] = {{64, 32}, {128, 16}, {256, 8}, {512, 4}};  // channels, pixels
  for (const auto& conv : convs) {
    const int64_t m = conv[0], k = conv[0] * 9, n = 128 * conv[1] * conv[1];
    const std::string tag = "conv " + std::to_string(conv[0]) + "ch " + std::to_string(conv[1]);
    shapes.push_back({tag + "px fwd", false, false, m, n, k});      // C[M,N] = W[M,K] cols[K,N]
    shapes.push_back({tag + "px bwd-data", true, false, k, n, m});  // cols_g = W^T G
    shapes.push_back({tag + "px bwd-w", false, true, m, k, n});     // W_g = G cols^T
  }
  return shapes;
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Appends the seconds of `reps` timed runs, after one untimed warm-up run, to times.
template <typename Fn>
void time_runs(int reps, std::vector<double>& times, Fn&& run) {
  run();
  for (int r = 0; r < reps; ++r) {
    const Clock::time_point start = Clock::now();
    run();
    times.push_back(seconds_since(start));
  }
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

// fp32 FMA throughput of one thread: 12 independent accumulator chains (more than FMA latency x
// FMA units on any current x86), so the loop runs at the FMA issue rate.
__attribute__((target("avx2,fma"), noinline)) double fma_loop_avx2(int64_t iters) {
  __m256 acc[12];
  for (int i = 0; i < 12; ++i) acc[i] = _mm256_set1_ps(0.001f * float(i));
  const __m256 x = _mm256_set1_ps(0.999f), y = _mm256_set1_ps(0.001f);
  for (int64_t it = 0; it < iters; ++it) {
#pragma GCC unroll 12
    for (int i = 0; i < 12; ++i) acc[i] = _mm256_fmadd_ps(acc[i], x, y);
  }
  float sum[8];
  for (int i = 1; i < 12; ++i) acc[0] = _mm256_add_ps(acc[0], acc[i]);
  _mm256_storeu_ps(sum, acc[0]);
  return double(sum[0]) * 0.0 + 12.0 * 8 * 2 * double(iters);  // flops
}

__attribute__((target("avx512f"), noinline)) double fma_loop_avx512(int64_t iters) {
  __m512 acc[24];
  for (int i = 0; i < 24; ++i) acc[i] = _mm512_set1_ps(0.001f * float(i));
  const __m512 x = _mm512_set1_ps(0.999f), y = _mm512_set1_ps(0.001f);
  for (int64_t it = 0; it < iters; ++it) {
#pragma GCC unroll 24
    for (int i = 0; i < 24; ++i) acc[i] = _mm512_fmadd_ps(acc[i], x, y);
  }
  float sum[16];
  for (int i = 1; i < 24; ++i) acc[0] = _mm512_add_ps(acc[0], acc[i]);
  _mm512_storeu_ps(sum, acc[0]);
  return double(sum[0]) * 0.0 + 24.0 * 16 * 2 * double(iters);  // flops
}

// Core clock from a chain of dependent integer adds (one per cycle on every x86 core).
double measure_ghz() {
  const int64_t iters = 100'000'000;
  double best = 0;
  for (int rep = 0; rep < 3; ++rep) {
    int64_t x = 0;
    const Clock::time_point start = Clock::now();
    for (int64_t i = 0; i < iters; ++i) asm volatile("add $1, %0\n\tadd $1, %0" : "+r"(x));
    best = std::max(best, 2.0 * double(iters) / seconds_since(start) / 1e9);
  }
  return best;
}

// Measured fp32 peak: the FMA loop on every thread at once, best of three.
double measure_peak_gflops(int threads, bool avx512) {
  double best = 0;
  for (int rep = 0; rep < 3; ++rep) {
    double flops = 0;
    const Clock::time_point start = Clock::now();
#pragma omp parallel num_threads(threads) reduction(+ : flops)
    flops += avx512 ? fma_loop_avx512(50'000'000) : fma_loop_avx2(100'000'000);
    best = std::max(best, flops / seconds_since(start) / 1e9);
  }
  return best;
}

struct Operands {
  std::vector<float> a, b, c_ours, c_blas;
};

Operands make_operands(const Shape& s) {
  Operands ops;
  ops.a.resize(size_t(s.m * s.k));
  ops.b.resize(size_t(s.k * s.n));
  ops.c_ours.assign(size_t(s.m * s.n), 0.0f);
  ops.c_blas.assign(size_t(s.m * s.n), 0.0f);
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  for (float& x : ops.a) x = uniform(rng);
  for (float& x : ops.b) x = uniform(rng);
  return ops;
}

// Largest |ours - OpenBLAS| relative to the largest |OpenBLAS| entry: a sanity check only.
double relative_difference(const Operands& ops) {
  double diff = 0, scale = 0;
  for (size_t i = 0; i < ops.c_ours.size(); ++i) {
    diff = std::max(diff, double(std::abs(ops.c_ours[i] - ops.c_blas[i])));
    scale = std::max(scale, double(std::abs(ops.c_blas[i])));
  }
  return scale > 0 ? diff / scale : diff;
}

struct Result {
  double ours_gflops, blas_gflops;
};

// The two sides take turns in blocks of runs (ours, OpenBLAS, ours, OpenBLAS), so a slow spell
// of this shared machine hits both; a pause after each block keeps one library's spinning idle
// threads off the other's cores. Medians are over all of a side's timed runs.
Result bench_shape(const Shape& s, int reps) {
  Operands ops = make_operands(s);
  const int64_t lda = s.trans_a ? s.m : s.k, ldb = s.trans_b ? s.k : s.n, ldc = s.n;
  const double flops = 2.0 * double(s.m) * double(s.n) * double(s.k);
  const auto ours = [&] {
    staa::cpu::sgemm(s.trans_a, s.trans_b, s.m, s.n, s.k, 1.0f, ops.a.data(), lda, ops.b.data(),
                     ldb, 0.0f, ops.c_ours.data(), ldc);
  };
  const auto blas = [&] {
    cblas_sgemm(CblasRowMajor, s.trans_a ? CblasTrans : CblasNoTrans,
                s.trans_b ? CblasTrans : CblasNoTrans, int(s.m), int(s.n), int(s.k), 1.0f,
                ops.a.data(), int(lda), ops.b.data(), int(ldb), 0.0f, ops.c_blas.data(), int(ldc));
  };
  std::vector<double> ours_times, blas_times;
  const int block = std::max(1, reps / 2);
  for (int done = 0; done < reps; done += block) {
    time_runs(std::min(block, reps - done), ours_times, ours);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    time_runs(std::min(block, reps - done), blas_times, blas);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  const double diff = relative_difference(ops);
  if (diff > 1e-4)
    std::printf("WARNING: %s: ours and OpenBLAS differ by %.2g\n", s.name.c_str(), diff);
  return {flops / median(ours_times) / 1e9, flops / median(blas_times) / 1e9};
}

}  // namespace

int main(int argc, char** argv) {
  const int reps = argc > 1 ? std::max(1, std::atoi(argv[1])) : 7;
  const int threads = argc > 2 ? std::max(1, std::atoi(argv[2])) : 2;
  omp_set_num_threads(threads);
  openblas_set_num_threads(threads);
  const char* coretype = std::getenv("OPENBLAS_CORETYPE");
  std::printf(
      "threads: %d, reps: %d (median), staa kernel: %s, OpenBLAS core: %s "
      "(OPENBLAS_CORETYPE=%s)\n",
      threads, reps, staa::cpu::sgemm_kernel_name(), openblas_get_corename(),
      coretype ? coretype : "unset");
  const bool avx512 = __builtin_cpu_supports("avx512f");
  const double ghz = measure_ghz();
  const double peak = measure_peak_gflops(threads, avx512);
  const int lanes = avx512 ? 16 : 8;
  std::printf(
      "fp32 peak: %.1f GFLOP/s measured (FMA loop on %d threads); for comparison "
      "%d cores x %.2f GHz (add-chain clock) x 2 FMA units x %d lanes x 2 = %.1f\n",
      peak, threads, threads, ghz, lanes, threads * ghz * 2 * lanes * 2);
  std::printf("%-28s %-3s %6s %7s %6s %10s %14s %7s\n", "shape", "op", "M", "N", "K", "ours GF/s",
              "openblas GF/s", "ratio");
  double log_sum = 0, ours_2048 = 0;
  const std::vector<Shape> shapes = bench_shapes();
  for (const Shape& s : shapes) {
    const Result r = bench_shape(s, reps);
    const double ratio = r.ours_gflops / r.blas_gflops;
    log_sum += std::log(ratio);
    if (s.name == "square 2048") ours_2048 = r.ours_gflops;
    std::printf("%-28s %c%c  %6lld %7lld %6lld %10.1f %14.1f %7.3f\n", s.name.c_str(),
                s.trans_a ? 'T' : 'N', s.trans_b ? 'T' : 'N', (long long)s.m, (long long)s.n,
                (long long)s.k, r.ours_gflops, r.blas_gflops, ratio);
    std::fflush(stdout);
  }
  std::printf("ours at 2048: %.1f GFLOP/s = %.1f%% of the measured fp32 peak (%.1f GFLOP/s)\n",
              ours_2048, 100.0 * ours_2048 / peak, peak);
  std::printf("ratio openblas: %.3f\n", std::exp(log_sum / double(shapes.size())));
  return 0;
}
