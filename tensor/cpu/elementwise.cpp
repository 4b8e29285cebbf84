// CPU elementwise kernels: unary and binary ops from the functors of tensor/ops/elementwise_ops.h,
// binary ops with NumPy broadcasting. Layer: tensor/cpu.
// Broadcasting: out is contiguous; a and b get per-dim strides with 0 on broadcast dims, and
// adjacent dims that stay contiguous for all three are merged, so most cases become one flat loop
// or rows of a flat loop.
#include <vector>

#include "tensor/cpu/cpu_backend.h"
#include "tensor/cpu/kernel_util.h"

namespace staa::cpu {

namespace {

// Elements [begin, end) of a unary op. The parameters come by value: read through the caller's
// shared copy (an OpenMP region's), they could alias out, so GCC reloaded them per element and
// left loops such as the spike step scalar.
template <typename T, typename F>
void unary_forward_range(const T* in, T* out, int64_t begin, int64_t end, ScalarParams<T> p) {
  for (int64_t i = begin; i < end; ++i) out[i] = F::forward(in[i], p);
}

template <typename T, typename F>
void unary_grad_range(const T* in, const T* out, const T* g, T* gx, int64_t begin, int64_t end,
                      ScalarParams<T> p) {
  for (int64_t i = begin; i < end; ++i) {
    if constexpr (F::kSaves == Saves::kInput) {
      gx[i] = F::backward(in[i], T(0), g[i], p);
    } else if constexpr (F::kSaves == Saves::kOutput) {
      gx[i] = F::backward(T(0), out[i], g[i], p);
    } else {
      gx[i] = F::backward(T(0), T(0), g[i], p);
    }
  }
}

// f(begin, end) over [0, n): one range per thread (64-element aligned) when n is large.
template <typename F>
void for_blocks(int64_t n, const F& f) {
  for_ranges(n, n > kParallelGrain ? team_size() : 1, f, 64);
}

template <typename T, typename F>
void unary_forward(const Tensor& x, Tensor& y, ScalarParams<T> p) {
  const T* in = x.data<T>();
  T* out = y.data<T>();
  for_blocks(x.numel(), [&](int64_t b, int64_t e) { unary_forward_range<T, F>(in, out, b, e, p); });
}

template <typename T, typename F>
void unary_grad(const Tensor& x, const Tensor& y, const Tensor& grad_y, Tensor& grad_x,
                ScalarParams<T> p) {
  const T* in = F::kSaves == Saves::kInput ? x.data<T>() : nullptr;
  const T* out = F::kSaves == Saves::kOutput ? y.data<T>() : nullptr;
  const T* g = grad_y.data<T>();
  T* gx = grad_x.data<T>();
  for_blocks(grad_y.numel(),
             [&](int64_t b, int64_t e) { unary_grad_range<T, F>(in, out, g, gx, b, e, p); });
}

// Per merged dim: size and the element strides of a and b (out is contiguous).
struct BroadcastPlan {
  std::vector<int64_t> sizes, stride_a, stride_b;
};

BroadcastPlan plan_broadcast(const Shape& out, const Shape& a, const Shape& b) {
  BroadcastPlan plan;
  const int n = out.ndim();
  auto strides_for = [&](const Shape& s) {
    std::vector<int64_t> st(n, 0);
    int64_t stride = 1;
    for (int i = s.ndim() - 1; i >= 0; --i) {
      const int j = i + (n - s.ndim());
      st[j] = s[i] == 1 ? 0 : stride;
      stride *= s[i];
    }
    return st;
  };
  const std::vector<int64_t> sa = strides_for(a), sb = strides_for(b);
  for (int i = 0; i < n; ++i) {
    if (out[i] == 1) continue;
    if (!plan.sizes.empty()) {
      const int64_t size = out[i];
      int64_t& last_a = plan.stride_a.back();
      int64_t& last_b = plan.stride_b.back();
      if (last_a == sa[i] * size && last_b == sb[i] * size) {  // still contiguous for both
        plan.sizes.back() *= size;
        last_a = sa[i];
        last_b = sb[i];
        continue;
      }
    }
    plan.sizes.push_back(out[i]);
    plan.stride_a.push_back(sa[i]);
    plan.stride_b.push_back(sb[i]);
  }
  if (plan.sizes.empty()) {
    plan.sizes = {1};
    plan.stride_a = {0};
    plan.stride_b = {0};
  }
  return plan;
}

// Calls row(o, ia, ib, len, inc_a, inc_b) for each run of the innermost merged dim.
template <typename Row>
void for_each_row(const BroadcastPlan& plan, Row&& row) {
  const int nd = static_cast<int>(plan.sizes.size());
  const int64_t len = plan.sizes.back();
  const int64_t inc_a = plan.stride_a.back(), inc_b = plan.stride_b.back();
  int64_t rows = 1;
  for (int d = 0; d + 1 < nd; ++d) rows *= plan.sizes[d];
#pragma omp parallel for if (rows * len > kParallelGrain && rows > 1)
  for (int64_t r = 0; r < rows; ++r) {
    int64_t ia = 0, ib = 0, rest = r;
    for (int d = nd - 2; d >= 0; --d) {
      const int64_t idx = rest % plan.sizes[d];
      rest /= plan.sizes[d];
      ia += idx * plan.stride_a[d];
      ib += idx * plan.stride_b[d];
    }
    row(r * len, ia, ib, len, inc_a, inc_b);
  }
}

template <typename T, typename F>
void binary_forward(const Tensor& a, const Tensor& b, Tensor& out) {
  const T* pa = a.data<T>();
  const T* pb = b.data<T>();
  T* po = out.data<T>();
  const int64_t n = out.numel();
  if (a.numel() == n && b.numel() == n) {
#pragma omp parallel for simd if (n > kParallelGrain)
    for (int64_t i = 0; i < n; ++i) po[i] = F::forward(pa[i], pb[i]);
    return;
  }
  const BroadcastPlan plan = plan_broadcast(out.shape(), a.shape(), b.shape());
  for_each_row(plan, [&](int64_t o, int64_t ia, int64_t ib, int64_t len, int64_t sa, int64_t sb) {
    for (int64_t i = 0; i < len; ++i) po[o + i] = F::forward(pa[ia + i * sa], pb[ib + i * sb]);
  });
}

template <typename T, typename F>
void binary_grad(const Tensor& a, const Tensor& b, const Tensor& grad_out, Tensor& grad_a,
                 Tensor& grad_b) {
  const T* pa = a.data<T>();
  const T* pb = b.data<T>();
  const T* g = grad_out.data<T>();
  T* ga = grad_a.defined() ? grad_a.data<T>() : nullptr;
  T* gb = grad_b.defined() ? grad_b.data<T>() : nullptr;
  const BroadcastPlan plan = plan_broadcast(grad_out.shape(), a.shape(), b.shape());
  for_each_row(plan, [&](int64_t o, int64_t ia, int64_t ib, int64_t len, int64_t sa, int64_t sb) {
    for (int64_t i = 0; i < len; ++i) {
      const T x = pa[ia + i * sa], y = pb[ib + i * sb];
      if (ga) ga[o + i] = F::grad_a(x, y, g[o + i]);
      if (gb) gb[o + i] = F::grad_b(x, y, g[o + i]);
    }
  });
}

}  // namespace

void CpuBackend::unary(UnaryOp op, const Tensor& x, Tensor& y, double p0, double p1) {
  dispatch_float(x.dtype(), unary_op_name(op), [&](auto tag) {
    using T = decltype(tag);
    const ScalarParams<T> p{static_cast<T>(p0), static_cast<T>(p1)};
    switch (op) {
#define STAA_CASE(name, Functor)        \
  case UnaryOp::name:                   \
    unary_forward<T, Functor>(x, y, p); \
    break;
      STAA_UNARY_OPS(STAA_CASE)
#undef STAA_CASE
    }
  });
}

void CpuBackend::unary_backward(UnaryOp op, const Tensor& x, const Tensor& y, const Tensor& grad_y,
                                Tensor& grad_x, double p0, double p1) {
  dispatch_float(grad_y.dtype(), unary_op_name(op), [&](auto tag) {
    using T = decltype(tag);
    const ScalarParams<T> p{static_cast<T>(p0), static_cast<T>(p1)};
    switch (op) {
#define STAA_CASE(name, Functor)                     \
  case UnaryOp::name:                                \
    unary_grad<T, Functor>(x, y, grad_y, grad_x, p); \
    break;
      STAA_UNARY_OPS(STAA_CASE)
#undef STAA_CASE
    }
  });
}

void CpuBackend::binary(BinaryOp op, const Tensor& a, const Tensor& b, Tensor& out) {
  dispatch_float(a.dtype(), binary_op_name(op), [&](auto tag) {
    using T = decltype(tag);
    switch (op) {
#define STAA_CASE(name, Functor)           \
  case BinaryOp::name:                     \
    binary_forward<T, Functor>(a, b, out); \
    break;
      STAA_BINARY_OPS(STAA_CASE)
      STAA_COMPARE_OPS(STAA_CASE)
#undef STAA_CASE
    }
  });
}

void CpuBackend::binary_backward(BinaryOp op, const Tensor& a, const Tensor& b,
                                 const Tensor& grad_out, Tensor& grad_a, Tensor& grad_b) {
  dispatch_float(a.dtype(), binary_op_name(op), [&](auto tag) {
    using T = decltype(tag);
    switch (op) {
#define STAA_CASE(name, Functor)                             \
  case BinaryOp::name:                                       \
    binary_grad<T, Functor>(a, b, grad_out, grad_a, grad_b); \
    break;
      STAA_BINARY_OPS(STAA_CASE)
      STAA_COMPARE_OPS(STAA_CASE)
#undef STAA_CASE
    }
  });
}

void CpuBackend::sgd_step(Tensor& p, const Tensor& grad, Tensor& buf, const SgdStepParams& s) {
  dispatch_float(p.dtype(), "sgd_step", [&](auto tag) {
    using T = decltype(tag);
    const SgdScalars<T> scalars(s);
    T* pp = p.data<T>();
    const T* pg = grad.data<T>();
    T* pb = buf.defined() ? buf.data<T>() : nullptr;
    const int64_t n = p.numel();
    with_sgd_flags(s, [&](auto momentum, auto nesterov, auto first) {
#pragma omp parallel for simd if (n > kParallelGrain)
      for (int64_t i = 0; i < n; ++i) {
        T unused = 0;
        sgd_update<momentum, nesterov, first>(pp[i], pg[i], momentum ? pb[i] : unused, scalars);
      }
    });
  });
}

}  // namespace staa::cpu
