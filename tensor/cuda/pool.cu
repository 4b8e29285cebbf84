// CUDA 2-D pooling: average (fixed and adaptive windows) and max with argmax, forward and
// backward, with tensor/ops/pool.h's geometry and tensor/cpu/pool.cpp's arithmetic. Layer:
// tensor/cuda. Our own kernels, not cuDNN: our max pool hands its argmax index to the backward
// and cuDNN's pooling does not, and cuDNN has no ceil_mode. Forwards run a thread per output;
// backwards a thread per input element that gathers the outputs whose windows hold it, in the
// CPU's (oh, ow) order: no atomics, bit-identical sums.
#include <cuda_runtime.h>

#include <cmath>

#include "tensor/cuda/kernels.h"
#include "tensor/cuda/launch.h"
#include "tensor/dispatch.h"

namespace staa::cuda {

namespace {

// Outputs [lo, hi] along one dim (of `out`) whose windows may hold input position i: a superset,
// callers check PoolWindow::holds. Fixed windows start at o * stride - pad, `kernel` long.
__device__ void fixed_range(int64_t i, int64_t kernel, int64_t stride, int64_t pad, int64_t out,
                            int64_t& lo, int64_t& hi) {
  const int64_t first = i + pad - kernel + 1;  // the lowest window start that still reaches i
  lo = first <= 0 ? 0 : (first + stride - 1) / stride;
  hi = (i + pad) / stride;
  if (hi > out - 1) hi = out - 1;
}

// Fixed windows: PyTorch's avg_pool2d window (tensor/ops/pool.h: pool_window).
struct FixedWindows {
  Pool2dGeometry g;
  __device__ PoolWindow window(int64_t oh, int64_t ow) const { return pool_window(g, oh, ow); }
  __device__ void rows_for(int64_t h, int64_t& lo, int64_t& hi) const {
    fixed_range(h, g.kernel_h, g.stride_h, g.pad_h, g.out_h, lo, hi);
  }
  __device__ void cols_for(int64_t w, int64_t& lo, int64_t& hi) const {
    fixed_range(w, g.kernel_w, g.stride_w, g.pad_w, g.out_w, lo, hi);
  }
};

// Adaptive windows: output i covers [floor(i * in / out), ceil((i + 1) * in / out)).
// Outputs holding input i: floor(i * out / in) .. ceil((i + 1) * out / in) - 1, widened by one
// on each side (callers check PoolWindow::holds).
__device__ void adaptive_range(int64_t i, int64_t in, int64_t out, int64_t& lo, int64_t& hi) {
  lo = max(i * out / in - 1, int64_t{0});
  hi = min(((i + 1) * out + in - 1) / in, out - 1);
}

struct AdaptiveWindows {
  AdaptivePool2dGeometry g;
  __device__ PoolWindow window(int64_t oh, int64_t ow) const {
    return adaptive_window(g, oh, ow);
  }
  __device__ void rows_for(int64_t h, int64_t& lo, int64_t& hi) const {
    adaptive_range(h, g.h, g.out_h, lo, hi);
  }
  __device__ void cols_for(int64_t w, int64_t& lo, int64_t& hi) const {
    adaptive_range(w, g.w, g.out_w, lo, hi);
  }
};

// y[p, oh, ow] = sum of x[p] over the window (double, row-major) / divisor.
// x: [N * C, H, W], y: [N * C, OH, OW] (sizes in windows.g)
template <typename T, typename Windows>
__global__ void average_forward_kernel(const T* x, Windows windows, T* y) {
  const auto& g = windows.g;
  const int64_t n = g.n * g.c * g.out_h * g.out_w;
  for (int64_t k = thread_index(); k < n; k += thread_stride()) {
    const int64_t ow = k % g.out_w, oh = (k / g.out_w) % g.out_h, p = k / (g.out_w * g.out_h);
    const PoolWindow win = windows.window(oh, ow);
    const T* xp = x + p * g.h * g.w;
    double sum = 0;
    for (int64_t i = win.h0; i < win.h1; ++i)
      for (int64_t j = win.w0; j < win.w1; ++j) sum += xp[i * g.w + j];
    y[k] = static_cast<T>(sum / static_cast<double>(win.divisor));
  }
}

// y = sum(x[window]) / divisor, so dL/dx[h, w] = sum over the windows holding (h, w) of
// grad_y / divisor. Each thread owns one input element and adds the shares T(g / divisor) in
// (oh, ow) order, the order of the CPU's scatter.
// grad_y: [N * C, OH, OW], grad_x: [N * C, H, W] (overwritten)
template <typename T, typename Windows>
__global__ void average_backward_kernel(const T* grad_y, Windows windows, T* grad_x) {
  const auto& g = windows.g;
  const int64_t n = g.n * g.c * g.h * g.w;
  for (int64_t k = thread_index(); k < n; k += thread_stride()) {
    const int64_t w = k % g.w, h = (k / g.w) % g.h, p = k / (g.w * g.h);
    const T* gy = grad_y + p * g.out_h * g.out_w;
    int64_t oh0, oh1, ow0, ow1;
    windows.rows_for(h, oh0, oh1);
    windows.cols_for(w, ow0, ow1);
    T acc = 0;
    for (int64_t oh = oh0; oh <= oh1; ++oh) {
      for (int64_t ow = ow0; ow <= ow1; ++ow) {
        const PoolWindow win = windows.window(oh, ow);
        if (win.holds(h, w))
          acc += static_cast<T>(gy[oh * g.out_w + ow] / static_cast<double>(win.divisor));
      }
    }
    grad_x[k] = acc;
  }
}

// Max over each window, NaN propagating (as PyTorch); the first maximum wins ties; index is
// h * W + w of the max in its plane. x: [N, C, H, W], y, index (i64): [N, C, OH, OW]
template <typename T>
__global__ void max_forward_kernel(const T* x, FixedWindows windows, T* y, int64_t* index) {
  const Pool2dGeometry& g = windows.g;
  const int64_t n = g.n * g.c * g.out_h * g.out_w;
  for (int64_t k = thread_index(); k < n; k += thread_stride()) {
    const int64_t ow = k % g.out_w, oh = (k / g.out_w) % g.out_h, p = k / (g.out_w * g.out_h);
    const PoolWindow win = windows.window(oh, ow);
    const T* xp = x + p * g.h * g.w;
    T best = static_cast<T>(-INFINITY);
    int64_t best_at = win.h0 * g.w + win.w0;
    for (int64_t i = win.h0; i < win.h1; ++i) {
      for (int64_t j = win.w0; j < win.w1; ++j) {
        const T v = xp[i * g.w + j];
        if (v > best || (isnan(v) && !isnan(best))) {
          best = v;
          best_at = i * g.w + j;
        }
      }
    }
    y[k] = best;
    index[k] = best_at;
  }
}

// y = x[argmax], so dL/dx[h, w] = sum of grad_y over the outputs whose index is h * W + w
// (overlapping windows may share one). Those outputs' windows hold (h, w); each thread gathers
// them in (oh, ow) order, the CPU's order. grad_y, index (i64): [N, C, OH, OW],
// grad_x: [N, C, H, W] (overwritten)
template <typename T>
__global__ void max_backward_kernel(const T* grad_y, const int64_t* index, FixedWindows windows,
                                    T* grad_x) {
  const Pool2dGeometry& g = windows.g;
  const int64_t n = g.n * g.c * g.h * g.w;
  for (int64_t k = thread_index(); k < n; k += thread_stride()) {
    const int64_t w = k % g.w, h = (k / g.w) % g.h, p = k / (g.w * g.h);
    const int64_t plane_out = g.out_h * g.out_w, at = h * g.w + w;
    int64_t oh0, oh1, ow0, ow1;
    windows.rows_for(h, oh0, oh1);
    windows.cols_for(w, ow0, ow1);
    T acc = 0;
    for (int64_t oh = oh0; oh <= oh1; ++oh) {
      for (int64_t ow = ow0; ow <= ow1; ++ow) {
        const int64_t o = p * plane_out + oh * g.out_w + ow;
        if (index[o] == at) acc += grad_y[o];
      }
    }
    grad_x[k] = acc;
  }
}

int64_t outputs(const Pool2dGeometry& g) {
  return g.n * g.c * g.out_h * g.out_w;
}
int64_t outputs(const AdaptivePool2dGeometry& g) {
  return g.n * g.c * g.out_h * g.out_w;
}

template <typename Windows>
void average_forward(const Tensor& x, const Windows& windows, Tensor& y, const char* op) {
  const int64_t n = outputs(windows.g);
  if (n == 0) return;
  dispatch_float(x.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    average_forward_kernel<T><<<blocks_for(n), kThreads>>>(x.data<T>(), windows, y.data<T>());
  });
  check_launch();
}

template <typename Windows>
void average_backward(const Tensor& grad_y, const Windows& windows, Tensor& grad_x,
                      const char* op) {
  const int64_t n = grad_x.numel();
  if (n == 0) return;
  dispatch_float(grad_y.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    average_backward_kernel<T>
        <<<blocks_for(n), kThreads>>>(grad_y.data<T>(), windows, grad_x.data<T>());
  });
  check_launch();
}

}  // namespace

void avg_pool2d(const Tensor& x, const Pool2dGeometry& g, Tensor& y) {
  average_forward(x, FixedWindows{g}, y, "avg_pool2d");
}

void avg_pool2d_backward(const Tensor& grad_y, const Pool2dGeometry& g, Tensor& grad_x) {
  average_backward(grad_y, FixedWindows{g}, grad_x, "avg_pool2d backward");
}

void max_pool2d(const Tensor& x, const Pool2dGeometry& g, Tensor& y, Tensor& index) {
  const int64_t n = outputs(g);
  if (n == 0) return;
  dispatch_float(x.dtype(), "max_pool2d", [&](auto tag) {
    using T = decltype(tag);
    max_forward_kernel<T><<<blocks_for(n), kThreads>>>(x.data<T>(), FixedWindows{g}, y.data<T>(),
                                                       index.data<int64_t>());
  });
  check_launch();
}

void max_pool2d_backward(const Tensor& grad_y, const Tensor& index, const Pool2dGeometry& g,
                         Tensor& grad_x) {
  const int64_t n = grad_x.numel();
  if (n == 0) return;
  dispatch_float(grad_y.dtype(), "max_pool2d backward", [&](auto tag) {
    using T = decltype(tag);
    max_backward_kernel<T><<<blocks_for(n), kThreads>>>(grad_y.data<T>(), index.data<int64_t>(),
                                                        FixedWindows{g}, grad_x.data<T>());
  });
  check_launch();
}

void adaptive_avg_pool2d(const Tensor& x, const AdaptivePool2dGeometry& g, Tensor& y) {
  average_forward(x, AdaptiveWindows{g}, y, "adaptive_avg_pool2d");
}

void adaptive_avg_pool2d_backward(const Tensor& grad_y, const AdaptivePool2dGeometry& g,
                                  Tensor& grad_x) {
  average_backward(grad_y, AdaptiveWindows{g}, grad_x, "adaptive_avg_pool2d backward");
}

}  // namespace staa::cuda
