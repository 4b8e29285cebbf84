// CPU 2-D pooling: average (fixed and adaptive windows) and max with argmax, forward and
// backward. Layer: tensor/cpu. One pass over each [H, W] plane per output; planes (N * C) are
// split over OpenMP threads, so a backward's scatter into grad_x never races (a window never
// leaves its plane). Sums are accumulated in double, except the exact 2x2 fast path (sums of
// four in T).
#include <algorithm>
#include <cmath>
#include <limits>

#include "tensor/cpu/cpu_backend.h"

namespace staa::cpu {

namespace {

// Average over windows. x: [planes, h, w], y: [planes, out_h, out_w]
template <typename T, typename WindowFn>
void average_forward(const T* x, T* y, int64_t planes, int64_t h, int64_t w, int64_t out_h,
                     int64_t out_w, WindowFn window) {
#pragma omp parallel for if (planes * h * w > kParallelGrain)
  for (int64_t p = 0; p < planes; ++p) {
    const T* xp = x + p * h * w;
    T* yp = y + p * out_h * out_w;
    for (int64_t oh = 0; oh < out_h; ++oh) {
      for (int64_t ow = 0; ow < out_w; ++ow) {
        const PoolWindow win = window(oh, ow);
        double sum = 0;
        for (int64_t i = win.h0; i < win.h1; ++i)
          for (int64_t j = win.w0; j < win.w1; ++j) sum += xp[i * w + j];
        yp[oh * out_w + ow] = static_cast<T>(sum / static_cast<double>(win.divisor));
      }
    }
  }
}

// y = sum(x[window]) / divisor, so dx[window] += g / divisor.
// grad_y: [planes, out_h, out_w], grad_x: [planes, h, w] (overwritten)
template <typename T, typename WindowFn>
void average_backward(const T* grad_y, T* grad_x, int64_t planes, int64_t h, int64_t w,
                      int64_t out_h, int64_t out_w, WindowFn window) {
#pragma omp parallel for if (planes * h * w > kParallelGrain)
  for (int64_t p = 0; p < planes; ++p) {
    const T* gy = grad_y + p * out_h * out_w;
    T* gx = grad_x + p * h * w;
    std::fill(gx, gx + h * w, T(0));
    for (int64_t oh = 0; oh < out_h; ++oh) {
      for (int64_t ow = 0; ow < out_w; ++ow) {
        const PoolWindow win = window(oh, ow);
        const T share = static_cast<T>(gy[oh * out_w + ow] / static_cast<double>(win.divisor));
        for (int64_t i = win.h0; i < win.h1; ++i)
          for (int64_t j = win.w0; j < win.w1; ++j) gx[i * w + j] += share;
      }
    }
  }
}

// 2x2 windows, stride 2, no padding, tiling the plane exactly (ResNet-20's pools): the sums of
// four in T, one pass each way that the compiler vectorises.
bool is_exact_2x2(const Pool2dGeometry& g) {
  return g.kernel_h == 2 && g.kernel_w == 2 && g.stride_h == 2 && g.stride_w == 2 && g.pad_h == 0 &&
         g.pad_w == 0 && g.out_h * 2 == g.h && g.out_w * 2 == g.w;
}

// x: [planes, 2 out_h, 2 out_w], y: [planes, out_h, out_w]
template <typename T>
void average_2x2_forward(const T* x, T* y, int64_t planes, int64_t out_h, int64_t out_w) {
  const int64_t rows = planes * out_h, w = 2 * out_w;
#pragma omp parallel for if (rows * 2 * w > kParallelGrain)
  for (int64_t r = 0; r < rows; ++r) {
    const T* top = x + 2 * r * w;
    const T* bottom = top + w;
    T* out = y + r * out_w;
    for (int64_t j = 0; j < out_w; ++j)
      out[j] = ((top[2 * j] + top[2 * j + 1]) + (bottom[2 * j] + bottom[2 * j + 1])) * T(0.25);
  }
}

// grad_y: [planes, out_h, out_w], grad_x: [planes, 2 out_h, 2 out_w] (overwritten)
template <typename T>
void average_2x2_backward(const T* grad_y, T* grad_x, int64_t planes, int64_t out_h,
                          int64_t out_w) {
  const int64_t rows = planes * out_h, w = 2 * out_w;
#pragma omp parallel for if (rows * 2 * w > kParallelGrain)
  for (int64_t r = 0; r < rows; ++r) {
    const T* g = grad_y + r * out_w;
    T* top = grad_x + 2 * r * w;
    T* bottom = top + w;
    for (int64_t j = 0; j < out_w; ++j) {
      const T share = g[j] * T(0.25);
      top[2 * j] = top[2 * j + 1] = bottom[2 * j] = bottom[2 * j + 1] = share;
    }
  }
}

}  // namespace

void CpuBackend::avg_pool2d(const Tensor& x, const Pool2dGeometry& g, Tensor& y) {
  dispatch_float(x.dtype(), "avg_pool2d", [&](auto tag) {
    using T = decltype(tag);
    if (is_exact_2x2(g))
      return average_2x2_forward(x.data<T>(), y.data<T>(), g.n * g.c, g.out_h, g.out_w);
    average_forward(x.data<T>(), y.data<T>(), g.n * g.c, g.h, g.w, g.out_h, g.out_w,
                    [&g](int64_t oh, int64_t ow) { return pool_window(g, oh, ow); });
  });
}

void CpuBackend::avg_pool2d_backward(const Tensor& grad_y, const Pool2dGeometry& g,
                                     Tensor& grad_x) {
  dispatch_float(grad_y.dtype(), "avg_pool2d backward", [&](auto tag) {
    using T = decltype(tag);
    if (is_exact_2x2(g))
      return average_2x2_backward(grad_y.data<T>(), grad_x.data<T>(), g.n * g.c, g.out_h, g.out_w);
    average_backward(grad_y.data<T>(), grad_x.data<T>(), g.n * g.c, g.h, g.w, g.out_h, g.out_w,
                     [&g](int64_t oh, int64_t ow) { return pool_window(g, oh, ow); });
  });
}

void CpuBackend::adaptive_avg_pool2d(const Tensor& x, const AdaptivePool2dGeometry& g, Tensor& y) {
  dispatch_float(x.dtype(), "adaptive_avg_pool2d", [&](auto tag) {
    using T = decltype(tag);
    average_forward(x.data<T>(), y.data<T>(), g.n * g.c, g.h, g.w, g.out_h, g.out_w,
                    [&g](int64_t oh, int64_t ow) { return adaptive_window(g, oh, ow); });
  });
}

void CpuBackend::adaptive_avg_pool2d_backward(const Tensor& grad_y, const AdaptivePool2dGeometry& g,
                                              Tensor& grad_x) {
  dispatch_float(grad_y.dtype(), "adaptive_avg_pool2d backward", [&](auto tag) {
    using T = decltype(tag);
    average_backward(grad_y.data<T>(), grad_x.data<T>(), g.n * g.c, g.h, g.w, g.out_h, g.out_w,
                     [&g](int64_t oh, int64_t ow) { return adaptive_window(g, oh, ow); });
  });
}

// Max over each window, NaN propagating (as PyTorch); the first maximum wins ties.
// x: [N, C, H, W], y, index: [N, C, OH, OW]
void CpuBackend::max_pool2d(const Tensor& x, const Pool2dGeometry& g, Tensor& y, Tensor& index) {
  dispatch_float(x.dtype(), "max_pool2d", [&](auto tag) {
    using T = decltype(tag);
    const T* in = x.data<T>();
    T* out = y.data<T>();
    int64_t* arg = index.data<int64_t>();
    const int64_t planes = g.n * g.c, plane_in = g.h * g.w, plane_out = g.out_h * g.out_w;
#pragma omp parallel for if (planes * plane_in > kParallelGrain)
    for (int64_t p = 0; p < planes; ++p) {
      const T* xp = in + p * plane_in;
      for (int64_t oh = 0; oh < g.out_h; ++oh) {
        for (int64_t ow = 0; ow < g.out_w; ++ow) {
          const PoolWindow win = pool_window(g, oh, ow);
          T best = -std::numeric_limits<T>::infinity();
          int64_t best_at = win.h0 * g.w + win.w0;
          for (int64_t i = win.h0; i < win.h1; ++i) {
            for (int64_t j = win.w0; j < win.w1; ++j) {
              const T v = xp[i * g.w + j];
              if (v > best || (std::isnan(v) && !std::isnan(best))) {
                best = v;
                best_at = i * g.w + j;
              }
            }
          }
          out[p * plane_out + oh * g.out_w + ow] = best;
          arg[p * plane_out + oh * g.out_w + ow] = best_at;
        }
      }
    }
  });
}

// y = x[argmax], so dx[argmax] += g and 0 elsewhere (overlapping windows may share an argmax).
// grad_y, index: [N, C, OH, OW], grad_x: [N, C, H, W] (overwritten)
void CpuBackend::max_pool2d_backward(const Tensor& grad_y, const Tensor& index,
                                     const Pool2dGeometry& g, Tensor& grad_x) {
  dispatch_float(grad_y.dtype(), "max_pool2d backward", [&](auto tag) {
    using T = decltype(tag);
    const T* gy = grad_y.data<T>();
    const int64_t* arg = index.data<int64_t>();
    T* gx = grad_x.data<T>();
    const int64_t planes = g.n * g.c, plane_in = g.h * g.w, plane_out = g.out_h * g.out_w;
#pragma omp parallel for if (planes * plane_in > kParallelGrain)
    for (int64_t p = 0; p < planes; ++p) {
      T* gxp = gx + p * plane_in;
      std::fill(gxp, gxp + plane_in, T(0));
      for (int64_t o = 0; o < plane_out; ++o) gxp[arg[p * plane_out + o]] += gy[p * plane_out + o];
    }
  });
}

}  // namespace staa::cpu
