// Small helpers shared by the blocked CPU kernels (gemm.cpp, conv_implicit.cpp,
// conv_winograd.cpp, winograd_tiles.cpp). Layer: tensor/cpu, private to it.
#pragma once

#include <omp.h>

#include <algorithm>
#include <cstdint>

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

// Zero-padded copy of one plane: in [h, w] at (top, left) of out [rows, cols], zero around it.
// Plain loops: the rows are short, and memcpy / memset calls cost more than the copy.
inline void pad_plane(const float* in, int64_t h, int64_t w, int64_t top, int64_t left,
                      int64_t rows, int64_t cols, float* out) {
  for (int64_t e = 0; e < top * cols; ++e) out[e] = 0.0f;
  for (int64_t i = 0; i < h; ++i) {
    float* line = out + (top + i) * cols;
    const float* from = in + i * w;
    for (int64_t j = 0; j < left; ++j) line[j] = 0.0f;
    for (int64_t j = 0; j < w; ++j) line[left + j] = from[j];
    for (int64_t j = left + w; j < cols; ++j) line[j] = 0.0f;
  }
  for (int64_t e = (top + h) * cols; e < rows * cols; ++e) out[e] = 0.0f;
}

}  // namespace staa::cpu
