// CPU reductions (sum, max with argmax) over a merged ReduceLayout. Layer: tensor/cpu.
// Two loop shapes: when the last merged dim is reduced, each output walks contiguous runs of x
// (sums accumulate in double); when it is kept, each output row is updated by contiguous runs of
// x, one reduced position at a time. Both are parallel over outputs.
#include <algorithm>
#include <limits>
#include <vector>

#include "tensor/cpu/cpu_backend.h"

namespace staa::cpu {

namespace {

// Offsets in x of the kept and the reduced merged dims, to turn an output index and a reduced
// position into an element offset.
struct LayoutIndexer {
  std::vector<int64_t> kept_sizes, kept_strides, red_sizes, red_strides;

  explicit LayoutIndexer(const ReduceLayout& l, bool skip_last) {
    const int nd = static_cast<int>(l.sizes.size()) - (skip_last ? 1 : 0);
    std::vector<int64_t> strides(l.sizes.size());
    int64_t s = 1;
    for (int i = static_cast<int>(l.sizes.size()) - 1; i >= 0; --i) {
      strides[i] = s;
      s *= l.sizes[i];
    }
    for (int i = 0; i < nd; ++i) {
      (l.reduced[i] ? red_sizes : kept_sizes).push_back(l.sizes[i]);
      (l.reduced[i] ? red_strides : kept_strides).push_back(strides[i]);
    }
  }
  static int64_t offset(int64_t index, const std::vector<int64_t>& sizes,
                        const std::vector<int64_t>& strides) {
    int64_t off = 0;
    for (int d = static_cast<int>(sizes.size()) - 1; d >= 0; --d) {
      off += (index % sizes[d]) * strides[d];
      index /= sizes[d];
    }
    return off;
  }
  int64_t kept_offset(int64_t o) const { return offset(o, kept_sizes, kept_strides); }
  int64_t red_offset(int64_t r) const { return offset(r, red_sizes, red_strides); }
};

// Last merged dim reduced: out[o] = reduce over (r, i) of x[kept(o) + red(r) + i].
template <typename T>
void reduce_last_reduced(ReduceOp op, const T* x, const ReduceLayout& l, T* out, int64_t* index) {
  const LayoutIndexer ix(l, /*skip_last=*/true);
  const int64_t len = l.sizes.back(), runs = l.reduce_count / std::max<int64_t>(len, 1);
#pragma omp parallel for if (l.out_count * l.reduce_count > kParallelGrain && l.out_count > 1)
  for (int64_t o = 0; o < l.out_count; ++o) {
    const int64_t base = ix.kept_offset(o);
    if (op == ReduceOp::kSum) {
      double acc = 0;
      for (int64_t r = 0; r < runs; ++r) {
        const T* row = x + base + ix.red_offset(r);
        T part = 0;
#pragma omp simd reduction(+ : part)
        for (int64_t i = 0; i < len; ++i) part += row[i];
        acc += part;
      }
      out[o] = static_cast<T>(acc);
    } else {
      T best = -std::numeric_limits<T>::infinity();
      int64_t best_at = 0;
      for (int64_t r = 0; r < runs; ++r) {
        const T* row = x + base + ix.red_offset(r);
        for (int64_t i = 0; i < len; ++i) {
          if (row[i] > best || (r == 0 && i == 0)) {
            best = row[i];
            best_at = r * len + i;
          }
        }
      }
      out[o] = best;
      index[o] = best_at;
    }
  }
}

// Last merged dim kept (length `len`): rows of outputs, each updated by contiguous runs of x.
template <typename T>
void reduce_last_kept(ReduceOp op, const T* x, const ReduceLayout& l, T* out, int64_t* index) {
  const LayoutIndexer ix(l, /*skip_last=*/true);
  const int64_t len = l.sizes.back(), rows = l.out_count / std::max<int64_t>(len, 1);
  constexpr int64_t kChunk = 2048;
  const int64_t chunks = (len + kChunk - 1) / kChunk, tasks = rows * chunks;
#pragma omp parallel for if (l.out_count * l.reduce_count > kParallelGrain && tasks > 1)
  for (int64_t task = 0; task < tasks; ++task) {
    const int64_t row = task / chunks, i0 = (task % chunks) * kChunk;
    const int64_t n = std::min(kChunk, len - i0);
    const int64_t base = ix.kept_offset(row) + i0;
    T* o = out + row * len + i0;
    int64_t* idx = index ? index + row * len + i0 : nullptr;
    for (int64_t r = 0; r < l.reduce_count; ++r) {
      const T* in = x + base + ix.red_offset(r);
      if (op == ReduceOp::kSum) {
        if (r == 0) std::fill(o, o + n, T(0));
#pragma omp simd
        for (int64_t i = 0; i < n; ++i) o[i] += in[i];
      } else {
        for (int64_t i = 0; i < n; ++i) {
          if (r == 0 || in[i] > o[i]) {
            o[i] = in[i];
            idx[i] = r;
          }
        }
      }
    }
    if (l.reduce_count == 0 && op == ReduceOp::kSum) std::fill(o, o + n, T(0));
  }
}

}  // namespace

void CpuBackend::reduce(ReduceOp op, const Tensor& x, const ReduceLayout& layout, Tensor& out,
                        Tensor& index) {
  dispatch_float(x.dtype(), op == ReduceOp::kSum ? "sum" : "max", [&](auto tag) {
    using T = decltype(tag);
    int64_t* idx = index.defined() ? index.data<int64_t>() : nullptr;
    if (layout.reduced.back()) {
      reduce_last_reduced<T>(op, x.data<T>(), layout, out.data<T>(), idx);
    } else {
      reduce_last_kept<T>(op, x.data<T>(), layout, out.data<T>(), idx);
    }
  });
}

void CpuBackend::reduce_max_backward(const Tensor& grad_out, const Tensor& index,
                                     const ReduceLayout& layout, Tensor& grad_x) {
  const LayoutIndexer ix(layout, /*skip_last=*/false);
  dispatch_float(grad_out.dtype(), "max", [&](auto tag) {
    using T = decltype(tag);
    const T* g = grad_out.data<T>();
    const int64_t* idx = index.data<int64_t>();
    T* gx = grad_x.data<T>();
    std::fill(gx, gx + grad_x.numel(), T(0));
    for (int64_t o = 0; o < layout.out_count; ++o) {
      gx[ix.kept_offset(o) + ix.red_offset(idx[o])] += g[o];
    }
  });
}

}  // namespace staa::cpu
