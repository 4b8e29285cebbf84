// Small helpers shared by the CPU kernels: sizes, thread counts, work split into per-thread
// ranges, fixed-order sums, plane padding. Layer: tensor/cpu, private to it.
#pragma once

#include <omp.h>

#include <algorithm>
#include <cstdint>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

namespace staa::cpu {

inline int64_t ceil_div(int64_t a, int64_t b) {
  return (a + b - 1) / b;
}
inline int64_t round_up(int64_t a, int64_t b) {
  return ceil_div(a, b) * b;
}

// Threads a kernel may start: none of its own inside someone else's parallel region.
inline int team_size() {
  return omp_in_parallel() ? 1 : omp_get_max_threads();
}

// Multiply-adds worth a thread of their own: a parallel region costs microseconds, so a GEMM of
// less (64^3) runs alone. CpuBackend::gemm runs such products of a batch one per thread instead.
constexpr double kGemmWorkPerThread = 1 << 18;

// Threads worth starting for `work` at `per_thread` each, at most team_size().
inline int team_for_work(double work, double per_thread = kGemmWorkPerThread) {
  return int(std::clamp(work / per_thread, 1.0, double(team_size())));
}

// fn(begin, end) over [0, count) cut into `threads` contiguous ranges (one per thread, each
// starting at a multiple of `align`); one thread: fn(0, count) without a parallel region.
template <typename Fn>
void for_ranges(int64_t count, int threads, const Fn& fn, int64_t align = 1) {
  if (threads <= 1) return fn(int64_t(0), count);
#pragma omp parallel num_threads(threads)
  {
    const int64_t part = round_up(ceil_div(count, omp_get_num_threads()), align);
    const int64_t begin = std::min(count, omp_get_thread_num() * part);
    fn(begin, std::min(count, begin + part));
  }
}

// sum_i x[i] y[i] (y null: sum_i x[i]) in 8 interleaved partial sums (the loop vectorises), then
// a fixed tree: the same order whatever the thread count.
template <typename T>
T ordered_dot(const T* x, const T* y, int64_t len) {
  T part[8] = {};
  int64_t i = 0;
  if (y != nullptr) {
    for (; i + 8 <= len; i += 8)
      for (int l = 0; l < 8; ++l) part[l] += x[i + l] * y[i + l];
  } else {
    for (; i + 8 <= len; i += 8)
      for (int l = 0; l < 8; ++l) part[l] += x[i + l];
  }
  T sum = ((part[0] + part[4]) + (part[1] + part[5])) + ((part[2] + part[6]) + (part[3] + part[7]));
  for (; i < len; ++i) sum += y != nullptr ? x[i] * y[i] : x[i];
  return sum;
}

// Outputs at least this large are written by streaming stores where whole lines are written:
// they are far past the caches (L3: 32 MiB, shared), and a streaming store does not read the line
// before writing it (one core here: 8.6 GB/s with plain stores, 16-23 GB/s streaming).
constexpr int64_t kStreamStoreBytes = int64_t{16} << 20;
inline bool streams_output(int64_t floats) {
  return floats * int64_t{sizeof(float)} >= kStreamStoreBytes;
}

#if defined(__AVX2__)
// An 8-float store: streaming (kStream: dst 32-byte aligned, the line not read before it is
// written; the caller fences with _mm_sfence) or plain.
template <bool kStream>
inline void store8(float* dst, __m256 v) {
  if constexpr (kStream) {
    _mm256_stream_ps(dst, v);
  } else {
    _mm256_storeu_ps(dst, v);
  }
}
#endif

// dst[0, n) = 0 and dst[0, n) = src[0, n) for short rows: 8-float moves, the last one
// overlapping, when n >= 8. GCC makes plain loops of such rows memset / memcpy calls, which cost
// more than the move (4% of a 64-channel Winograd forward).
inline void zero_row(float* dst, int64_t n) {
#if defined(__AVX2__)
  if (n >= 8) {
    const __m256 zero = _mm256_setzero_ps();
    for (int64_t j = 0; j + 8 < n; j += 8) _mm256_storeu_ps(dst + j, zero);
    _mm256_storeu_ps(dst + n - 8, zero);
    return;
  }
#endif
  std::fill(dst, dst + n, 0.0f);
}
#if defined(__AVX2__)
// zero_row by streaming stores: dst 32-byte aligned, n a multiple of 8.
inline void stream_zero_row(float* dst, int64_t n) {
  for (int64_t j = 0; j < n; j += 8) _mm256_stream_ps(dst + j, _mm256_setzero_ps());
}
#endif
inline void copy_row(const float* src, int64_t n, float* dst) {
#if defined(__AVX2__)
  if (n >= 8) {
    for (int64_t j = 0; j + 8 < n; j += 8) _mm256_storeu_ps(dst + j, _mm256_loadu_ps(src + j));
    _mm256_storeu_ps(dst + n - 8, _mm256_loadu_ps(src + n - 8));
    return;
  }
#endif
  std::copy(src, src + n, dst);
}

// Rows [r0, r1) of a zero-padded copy of one plane: in [h, w] at (top, left) of out [rows, cols],
// zero around it. Margins of at most 8 get one 8-float zero store each, before the copy
// overwrites what they cover of the data: the data is written once.
inline void pad_rows(const float* in, int64_t h, int64_t w, int64_t top, int64_t left, int64_t cols,
                     int64_t r0, int64_t r1, float* out) {
  const bool short_margins = cols >= 8 && left <= 8 && cols - left - w <= 8;
  for (int64_t r = r0; r < r1; ++r) {
    float* line = out + r * cols;
    if (r < top || r - top >= h) {
      zero_row(line, cols);
      continue;
    }
    if (short_margins) {
      zero_row(line, 8);
      zero_row(line + cols - 8, 8);
    } else {
      zero_row(line, cols);
    }
    copy_row(in + (r - top) * w, w, line + left);
  }
}

// The whole zero-padded plane.
inline void pad_plane(const float* in, int64_t h, int64_t w, int64_t top, int64_t left,
                      int64_t rows, int64_t cols, float* out) {
  pad_rows(in, h, w, top, left, cols, 0, rows, out);
}

}  // namespace staa::cpu
