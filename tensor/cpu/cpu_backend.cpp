// CpuBackend: memory moves, fills, Philox random fills, where and the batched GEMM front.
// Layer: tensor/cpu.
#include "tensor/cpu/cpu_backend.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>

#include "tensor/cpu/gemm.h"
#include "tensor/cpu/kernel_util.h"
#include "tensor/generator.h"

namespace staa::cpu {

CpuBackend& cpu_backend() {
  static CpuBackend instance;
  return instance;
}

void CpuBackend::copy(const Tensor& src, Tensor& dst) {
  STAA_CHECK(src.numel() == dst.numel(), "copy: source has ", src.numel(),
             " elements, destination ", dst.numel());
  const int64_t n = src.numel();
  if (src.dtype() == dst.dtype()) {
    if (src.raw_data() != dst.raw_data()) std::memcpy(dst.raw_data(), src.raw_data(), src.nbytes());
    return;
  }
  dispatch_all(src.dtype(), [&](auto s) {
    using S = decltype(s);
    dispatch_all(dst.dtype(), [&](auto d) {
      using D = decltype(d);
      const S* in = src.data<S>();
      D* out = dst.data<D>();
#pragma omp parallel for if (n > kParallelGrain)
      for (int64_t i = 0; i < n; ++i) out[i] = static_cast<D>(in[i]);
    });
  });
}

void CpuBackend::copy_from_host(const void* src, Tensor& dst) {
  std::memcpy(dst.raw_data(), src, dst.nbytes());
}

void CpuBackend::copy_to_host(const Tensor& src, void* dst) {
  std::memcpy(dst, src.raw_data(), src.nbytes());
}

void CpuBackend::copy_block(const Tensor& src, int64_t src_ld, int64_t src_col, Tensor& dst,
                            int64_t dst_ld, int64_t dst_col, int64_t rows, int64_t cols) {
  check_same_dtype("copy_block", src, dst);
  const size_t es = dtype_size(src.dtype());
  const char* in = static_cast<const char*>(src.raw_data());
  char* out = static_cast<char*>(dst.raw_data());
  if (cols * static_cast<int64_t>(es) <= 16 && (es == 4 || es == 8)) {
    // Short rows (gc_context's backward concatenates [B, C, 1] columns): element copies, not a
    // memcpy call per row.
    const auto copy = [&](auto size) {
      constexpr size_t n = decltype(size)::value;  // a fixed-size memcpy is one move
#pragma omp parallel for if (rows * cols > kParallelGrain)
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c)
          std::memcpy(out + (r * dst_ld + dst_col + c) * n, in + (r * src_ld + src_col + c) * n, n);
    };
    return es == 4 ? copy(std::integral_constant<size_t, 4>{})
                   : copy(std::integral_constant<size_t, 8>{});
  }
  // Rows cut into pieces of at most 64K elements, so that the threads share long rows too (a
  // concat along dim 0 copies each input as one row).
  const int64_t piece = std::clamp<int64_t>(cols, 1, int64_t{1} << 16);
  const int64_t pieces = ceil_div(cols, piece);
#pragma omp parallel for if (rows * cols > kParallelGrain)
  for (int64_t t = 0; t < rows * pieces; ++t) {
    const int64_t r = t / pieces, c0 = t % pieces * piece, n = std::min(piece, cols - c0);
    std::memcpy(out + (r * dst_ld + dst_col + c0) * es, in + (r * src_ld + src_col + c0) * es,
                n * es);
  }
}

void CpuBackend::fill(Tensor& out, double value) {
  const int64_t n = out.numel();
  dispatch_all(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* o = out.data<T>();
    const T v = static_cast<T>(value);
#pragma omp parallel for if (n > kParallelGrain)
    for (int64_t i = 0; i < n; ++i) o[i] = v;
  });
}

void CpuBackend::arange(Tensor& out, double start, double step) {
  const int64_t n = out.numel();
  dispatch_all(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* o = out.data<T>();
    for (int64_t i = 0; i < n; ++i) o[i] = static_cast<T>(start + step * static_cast<double>(i));
  });
}

namespace {

// out[i] = value(r) where r is Philox block (seed, offset + i): the result does not depend on the
// thread count, and a CUDA kernel computing the same formula gives the same numbers.
template <typename F>
void philox_fill(Tensor& out, const char* op, uint64_t seed, uint64_t offset, F value) {
  const int64_t n = out.numel();
  dispatch_float(out.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    T* o = out.data<T>();
#pragma omp parallel for if (n > kParallelGrain / 8)
    for (int64_t i = 0; i < n; ++i) {
      uint32_t r[4];
      philox4x32(seed, offset + i, 0, r);
      o[i] = static_cast<T>(value(r));
    }
  });
}

}  // namespace

void CpuBackend::uniform(Tensor& out, double low, double high, uint64_t seed, uint64_t offset) {
  philox_fill(out, "uniform", seed, offset, [=](const uint32_t* r) {
    return low + (high - low) * uint_to_unit_double(r[0], r[1]);
  });
}

// Box-Muller on two uniforms of the element's own Philox block.
void CpuBackend::normal(Tensor& out, double mean, double stddev, uint64_t seed, uint64_t offset) {
  philox_fill(out, "normal", seed, offset, [=](const uint32_t* r) {
    const double u1 = 1.0 - uint_to_unit_double(r[0], r[1]);  // (0, 1]: log is finite
    const double u2 = uint_to_unit_double(r[2], r[3]);
    return mean + stddev * std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  });
}

void CpuBackend::dropout_mask(Tensor& mask, double keep, uint64_t seed, uint64_t offset) {
  philox_fill(mask, "dropout", seed, offset, [=](const uint32_t* r) {
    return uint_to_unit_double(r[0], r[1]) < keep ? 1.0 / keep : 0.0;
  });
}

void CpuBackend::where(const Tensor& cond, const Tensor& a, const Tensor& b, Tensor& out) {
  const int64_t n = out.numel();
  dispatch_float(out.dtype(), "where", [&](auto tag) {
    using T = decltype(tag);
    const T* c = cond.data<T>();
    const T* x = a.data<T>();
    const T* y = b.data<T>();
    T* o = out.data<T>();
#pragma omp parallel for if (n > kParallelGrain)
    for (int64_t i = 0; i < n; ++i) o[i] = c[i] != T(0) ? x[i] : y[i];
  });
}

void CpuBackend::gemm(const GemmParams& p, const Tensor& a, const Tensor& b, Tensor& c) {
  const int64_t lda = p.trans_a ? p.m : p.k, ldb = p.trans_b ? p.k : p.n;
  dispatch_float(c.dtype(), "matmul", [&](auto tag) {
    using T = decltype(tag);
    const auto item = [&](int64_t i) {
      const T* pa = a.data<T>() + i * p.stride_a;
      const T* pb = b.data<T>() + i * p.stride_b;
      T* pc = c.data<T>() + i * p.stride_c;
      if constexpr (std::is_same_v<T, float>) {
        sgemm(p.trans_a, p.trans_b, p.m, p.n, p.k, static_cast<float>(p.alpha), pa, lda, pb, ldb,
              static_cast<float>(p.beta), pc, p.n);
      } else {
        dgemm(p.trans_a, p.trans_b, p.m, p.n, p.k, p.alpha, pa, lda, pb, ldb, p.beta, pc, p.n);
      }
    };
    // Products that sgemm would run on one thread (the GC blocks' per-sample products) run one
    // per thread, larger ones one at a time with every thread inside sgemm. Not an `if` clause:
    // sgemm's own parallel region inside an inactive one would be nested, and start a fresh team
    // each call.
    if (p.batch > 1 && team_for_work(double(p.m) * double(p.n) * double(p.k)) == 1 &&
        !omp_in_parallel()) {
#pragma omp parallel for schedule(static)
      for (int64_t i = 0; i < p.batch; ++i) item(i);
    } else {
      for (int64_t i = 0; i < p.batch; ++i) item(i);
    }
  });
}

}  // namespace staa::cpu
