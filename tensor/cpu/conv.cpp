// CPU conv2d forward, backward-data and backward-weight, lowered to our GEMM. Layer: tensor/cpu.
// Each pass takes the first path that applies: dense (conv_dense.h: planes smaller than the
// kernel), Winograd (conv_winograd.h, f32 3x3 stride 1), implicit GEMM (conv_implicit.h, f32),
// else the im2col path of this file, which also serves f64 and groups. The batch is cut into chunks
// of images, each chunk run start to end by one OpenMP thread (single-threaded GEMMs, no barriers).
// A chunk's column matrix cols [C_in * KH * KW, count * P] (row (c, kh, kw), column (image, oh,
// ow), P = OH * OW) comes from im2col into a workspace Tensor (the caching allocator reuses it).
// Per group g: y_g = W_g cols_g; cols_g = W_g^T grad_y_g, then col2im; grad_W_g += grad_y_g
// cols_g^T (f32 with few column rows: row dot products, gemm_dot.h). Planes >=
// kPerImagePlane: one image per chunk, GEMMs straight on NCHW (a 1x1 stride-1 unpadded conv skips
// im2col: x[n] is [C_in, P]); smaller planes batch images into one GEMM with a copy to / from
// NCHW. tools/bench/conv/NOTES.md.
#include <algorithm>
#include <cstring>
#include <type_traits>
#include <vector>

#include <omp.h>

#include "tensor/cpu/conv_dense.h"
#include "tensor/cpu/conv_implicit.h"
#include "tensor/cpu/conv_winograd.h"
#include "tensor/cpu/cpu_backend.h"
#include "tensor/cpu/gemm.h"
#include "tensor/cpu/gemm_dot.h"

namespace staa::cpu {

namespace {

// Output planes at least this large run one GEMM per image; smaller ones batch a chunk of images
// into GEMMs of about kBatchColumns columns.
constexpr int64_t kPerImagePlane = 64;
constexpr int64_t kBatchColumns = 1024;
// Column workspace per chunk (bytes): large enough to amortise packing the weights per GEMM,
// small enough to stay mostly in L3 between im2col and the GEMM that reads it.
constexpr int64_t kColumnBytes = int64_t{8} << 20;
// Small planes with at least this many column rows (C_in * KH * KW) run one chunk at a time
// through a GEMM shared by all threads, with up to kSharedColumnBytes of columns per chunk.
constexpr int64_t kSharedGemmRows = 1024;
constexpr int64_t kSharedColumnBytes = int64_t{32} << 20;

// How a call walks the batch: chunks of images, each chunk on one thread (its GEMMs then run
// single-threaded); with one chunk or inside a parallel region, one thread whose GEMMs and copies
// parallelise internally.
struct ConvPlan {
  int64_t rows = 0;     // C_in * KH * KW: rows of the column matrix
  int64_t chunk = 1;    // images per chunk; 1 when the plane is large (GEMM straight on NCHW)
  int64_t chunks = 0;   // number of chunks
  int threads = 1;      // threads over chunks
  bool direct = false;  // pointwise conv, one image per chunk: x[n] is the column matrix
  int64_t col_size = 0, mat_size = 0;  // per-thread workspace: columns and batched output
};

ConvPlan plan_conv(const Conv2dGeometry& g, size_t elem) {
  ConvPlan p;
  const int64_t plane = g.out_plane(), n = std::max<int64_t>(g.n, 1);
  const int max_threads = omp_in_parallel() ? 1 : omp_get_max_threads();
  const int64_t bytes_per_image = static_cast<int64_t>(elem) * g.c_in * g.kh * g.kw * plane;
  p.rows = g.c_in * g.kh * g.kw;
  const bool shared = plane < kPerImagePlane && p.rows >= kSharedGemmRows;
  if (shared) {
    // One chunk at a time through a GEMM shared by all threads: the large weight matrix is
    // packed once per chunk instead of once per thread and chunk.
    p.chunk = std::max<int64_t>(1, std::min(kSharedColumnBytes / bytes_per_image, n));
  } else if (plane < kPerImagePlane) {
    const int64_t per_thread = (n + max_threads - 1) / max_threads;
    const int64_t wanted = (kBatchColumns + plane - 1) / plane;
    p.chunk = std::max<int64_t>(1, std::min({wanted, kColumnBytes / bytes_per_image, per_thread}));
  }
  p.chunks = (n + p.chunk - 1) / p.chunk;
  p.threads = shared ? 1 : static_cast<int>(std::min<int64_t>(max_threads, p.chunks));
  p.direct = p.chunk == 1 && g.is_pointwise();
  p.col_size = p.direct ? 0 : p.rows * p.chunk * plane;
  p.mat_size = p.chunk > 1 ? g.c_out * p.chunk * plane : 0;
  return p;
}

// The KH * KW rows of one input channel of one image.
// x: [H, W] (one plane), col: [KH * KW, ld] (this plane's rows, at the image's first column)
template <typename T>
void im2col_plane(const T* x, const Conv2dGeometry& g, T* col, int64_t ld) {
  for (int64_t i = 0; i < g.kh; ++i) {
    int64_t oh_lo, oh_hi;
    conv_valid_range(g.out_h, g.h, g.stride_h, g.pad_h, i * g.dil_h, oh_lo, oh_hi);
    for (int64_t j = 0; j < g.kw; ++j) {
      int64_t ow_lo, ow_hi;
      conv_valid_range(g.out_w, g.w, g.stride_w, g.pad_w, j * g.dil_w, ow_lo, ow_hi);
      T* row = col + (i * g.kw + j) * ld;
      std::fill(row, row + oh_lo * g.out_w, T(0));
      for (int64_t oh = oh_lo; oh < oh_hi; ++oh) {
        T* out = row + oh * g.out_w;
        // Offset of output column 0's tap; it may be negative (left padding), so index from x
        // only at valid columns.
        const int64_t in0 = (oh * g.stride_h - g.pad_h + i * g.dil_h) * g.w - g.pad_w + j * g.dil_w;
        std::fill(out, out + ow_lo, T(0));
        if (g.stride_w == 1) {
          std::memcpy(out + ow_lo, x + in0 + ow_lo, (ow_hi - ow_lo) * sizeof(T));
        } else {
          for (int64_t ow = ow_lo; ow < ow_hi; ++ow) out[ow] = x[in0 + ow * g.stride_w];
        }
        std::fill(out + ow_hi, out + g.out_w, T(0));
      }
      std::fill(row + oh_hi * g.out_w, row + g.out_plane(), T(0));
    }
  }
}

// The adjoint of im2col_plane: adds the KH * KW rows back into one plane (zeroed here first).
// col: [KH * KW, ld], x: [H, W]
template <typename T>
void col2im_plane(const T* col, const Conv2dGeometry& g, int64_t ld, T* x) {
  std::fill(x, x + g.in_plane(), T(0));
  for (int64_t i = 0; i < g.kh; ++i) {
    int64_t oh_lo, oh_hi;
    conv_valid_range(g.out_h, g.h, g.stride_h, g.pad_h, i * g.dil_h, oh_lo, oh_hi);
    for (int64_t j = 0; j < g.kw; ++j) {
      int64_t ow_lo, ow_hi;
      conv_valid_range(g.out_w, g.w, g.stride_w, g.pad_w, j * g.dil_w, ow_lo, ow_hi);
      const T* row = col + (i * g.kw + j) * ld;
      for (int64_t oh = oh_lo; oh < oh_hi; ++oh) {
        const T* in = row + oh * g.out_w;
        const int64_t out0 =
            (oh * g.stride_h - g.pad_h + i * g.dil_h) * g.w - g.pad_w + j * g.dil_w;
        for (int64_t ow = ow_lo; ow < ow_hi; ++ow) x[out0 + ow * g.stride_w] += in[ow];
      }
    }
  }
}

// cols of images [n0, n0 + count): x: [N, C_in, H, W], col: [C_in * KH * KW, count * OH * OW].
// Channel-major over the work, so a thread walks each row of col from image to image.
template <typename T>
void im2col_chunk(const T* x, const Conv2dGeometry& g, int64_t n0, int64_t count, T* col) {
  const int64_t ld = count * g.out_plane(), taps = g.kh * g.kw;
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t c = 0; c < g.c_in; ++c)
    for (int64_t i = 0; i < count; ++i)
      im2col_plane(x + ((n0 + i) * g.c_in + c) * g.in_plane(), g,
                   col + c * taps * ld + i * g.out_plane(), ld);
}

// grad_x of images [n0, n0 + count) from their cols.
// col: [C_in * KH * KW, count * OH * OW], grad_x: [N, C_in, H, W]
template <typename T>
void col2im_chunk(const T* col, const Conv2dGeometry& g, int64_t n0, int64_t count, T* grad_x) {
  const int64_t ld = count * g.out_plane(), taps = g.kh * g.kw;
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t c = 0; c < g.c_in; ++c)
    for (int64_t i = 0; i < count; ++i)
      col2im_plane(col + c * taps * ld + i * g.out_plane(), g, ld,
                   grad_x + ((n0 + i) * g.c_in + c) * g.in_plane());
}

// NCHW -> the batched layout of a chunk. t: [N, C, P] (images n0 .. n0 + count),
// mat: [C, count * P]
template <typename T>
void gather_chunk(const T* t, int64_t c_count, int64_t plane, int64_t n0, int64_t count, T* mat) {
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t i = 0; i < count; ++i)
    for (int64_t c = 0; c < c_count; ++c)
      std::memcpy(mat + (c * count + i) * plane, t + ((n0 + i) * c_count + c) * plane,
                  plane * sizeof(T));
}

// The batched layout -> NCHW, adding bias when given. mat: [C, count * P], bias: [C] or null,
// t: [N, C, P]
template <typename T>
void scatter_chunk(const T* mat, const T* bias, int64_t c_count, int64_t plane, int64_t n0,
                   int64_t count, T* t) {
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t i = 0; i < count; ++i) {
    for (int64_t c = 0; c < c_count; ++c) {
      const T* from = mat + (c * count + i) * plane;
      T* to = t + ((n0 + i) * c_count + c) * plane;
      const T b = bias ? bias[c] : T(0);
      for (int64_t p = 0; p < plane; ++p) to[p] = from[p] + b;
    }
  }
}

// y[c, p] += bias[c]. y: [C, P] (one image), bias: [C]
template <typename T>
void add_bias(T* y, const T* bias, int64_t c_count, int64_t plane) {
#pragma omp parallel for schedule(static) if (c_count * plane > kParallelGrain)
  for (int64_t c = 0; c < c_count; ++c)
    for (int64_t p = 0; p < plane; ++p) y[c * plane + p] += bias[c];
}

// A scratch buffer from the caching allocator (freed blocks are reused across calls).
template <typename T>
Tensor workspace(int64_t numel) {
  return Tensor::empty(Shape{numel}, dtype_of<T>::value);
}

// Runs f(n0, count, workspace, thread) for every chunk, chunks spread over p.threads threads;
// each thread gets `per_thread` elements of ws.
template <typename T, typename F>
void for_each_chunk(const Conv2dGeometry& g, const ConvPlan& p, T* ws, int64_t per_thread, F&& f) {
#pragma omp parallel for num_threads(p.threads) schedule(static)
  for (int64_t c = 0; c < p.chunks; ++c) {
    const int t = omp_get_thread_num();
    f(c * p.chunk, std::min(p.chunk, g.n - c * p.chunk), ws + t * per_thread, t);
  }
}

// y = conv(x, w) + bias. x: [N, C_in, H, W], w: [C_out, C_in / G, KH, KW], bias: [C_out] or
// null, y: [N, C_out, OH, OW]
template <typename T>
void conv_forward(const T* x, const T* w, const T* bias, const Conv2dGeometry& g, const ConvPlan& p,
                  T* y) {
  const int64_t mg = g.c_out_group(), kg = g.col_rows_group(), plane = g.out_plane();
  const int64_t per_thread = p.col_size + p.mat_size;
  const Tensor ws_t = workspace<T>(std::max<int64_t>(p.threads * per_thread, 1));
  for_each_chunk(g, p, ws_t.data<T>(), per_thread, [&](int64_t n0, int64_t count, T* ws, int) {
    const int64_t ld = count * plane;
    if (!p.direct) im2col_chunk(x, g, n0, count, ws);
    const T* cols = p.direct ? x + n0 * g.c_in * g.in_plane() : ws;    // [C_in * KH * KW, ld]
    T* out = count == 1 ? y + n0 * g.c_out * plane : ws + p.col_size;  // [C_out, ld]
    for (int64_t gi = 0; gi < g.groups; ++gi)
      gemm(false, false, mg, ld, kg, w + gi * mg * kg, kg, cols + gi * kg * ld, ld, T(0),
           out + gi * mg * ld, ld);
    if (count > 1) {
      scatter_chunk(out, bias, g.c_out, plane, n0, count, y);
    } else if (bias) {
      add_bias(out, bias, g.c_out, plane);
    }
  });
}

// grad_x = col2im(W^T grad_y) per chunk. grad_y: [N, C_out, OH, OW],
// w: [C_out, C_in / G, KH, KW], grad_x: [N, C_in, H, W]
template <typename T>
void conv_backward_data(const T* gy, const T* w, const Conv2dGeometry& g, const ConvPlan& p,
                        T* gx) {
  const int64_t mg = g.c_out_group(), kg = g.col_rows_group(), plane = g.out_plane();
  const int64_t per_thread = p.col_size + p.mat_size;
  const Tensor ws_t = workspace<T>(std::max<int64_t>(p.threads * per_thread, 1));
  for_each_chunk(g, p, ws_t.data<T>(), per_thread, [&](int64_t n0, int64_t count, T* ws, int) {
    const int64_t ld = count * plane;
    const T* g_mat = gy + n0 * g.c_out * plane;  // [C_out, ld]
    if (count > 1) {
      gather_chunk(gy, g.c_out, plane, n0, count, ws + p.col_size);
      g_mat = ws + p.col_size;
    }
    T* cols = p.direct ? gx + n0 * g.c_in * g.in_plane() : ws;  // [C_in * KH * KW, ld]
    for (int64_t gi = 0; gi < g.groups; ++gi)
      gemm(true, false, kg, ld, mg, w + gi * mg * kg, kg, g_mat + gi * mg * ld, ld, T(0),
           cols + gi * kg * ld, ld);
    if (!p.direct) col2im_chunk(cols, g, n0, count, gx);
  });
}

// grad_w = sum over chunks of grad_y cols^T: each thread accumulates into its own partial
// (thread 0 into grad_w itself), then the partials are summed. f32 products with few
// multiply-adds per operand element (few column rows: conv1 3->64) run as row dot products
// (gemm_dot.h): packing both operands for sgemm cost more than the product. grad_y: [N, C_out, OH,
// OW], x: [N, C_in, H, W], grad_w: [C_out, C_in / G, KH, KW]
template <typename T>
void conv_backward_weight(const T* gy, const T* x, const Conv2dGeometry& g, const ConvPlan& p,
                          T* gw) {
  const int64_t mg = g.c_out_group(), kg = g.col_rows_group(), plane = g.out_plane();
  const int64_t w_size = g.c_out * kg, per_thread = p.col_size + p.mat_size + w_size;
  const bool dot = std::is_same_v<T, float> && sgemm_dot_pays(mg, kg, p.chunk * plane);
  const Tensor ws_t = workspace<T>(std::max<int64_t>(p.threads * per_thread, 1));
  std::vector<char> first(p.threads, 1);
  for_each_chunk(g, p, ws_t.data<T>(), per_thread, [&](int64_t n0, int64_t count, T* ws, int t) {
    const int64_t ld = count * plane;
    if (!p.direct) im2col_chunk(x, g, n0, count, ws);
    const T* cols = p.direct ? x + n0 * g.c_in * g.in_plane() : ws;  // [C_in * KH * KW, ld]
    const T* g_mat = gy + n0 * g.c_out * plane;                      // [C_out, ld]
    if (count > 1) {
      gather_chunk(gy, g.c_out, plane, n0, count, ws + p.col_size);
      g_mat = ws + p.col_size;
    }
    T* part = t == 0 ? gw : ws + p.col_size + p.mat_size;  // [C_out, Kg]
    for (int64_t gi = 0; gi < g.groups; ++gi) {
      const T *gy_g = g_mat + gi * mg * ld, *cols_g = cols + gi * kg * ld;
      const T beta = first[t] ? 0 : 1;
      if constexpr (std::is_same_v<T, float>) {
        if (dot) {
          sgemm_dot(mg, kg, ld, gy_g, ld, cols_g, ld, beta, part + gi * mg * kg, kg);
          continue;
        }
      }
      gemm(false, true, mg, kg, ld, gy_g, ld, cols_g, ld, beta, part + gi * mg * kg, kg);
    }
    first[t] = 0;
  });
  const T* ws = ws_t.data<T>();
  for (int t = 1; t < p.threads; ++t) {
    const T* part = ws + t * per_thread + p.col_size + p.mat_size;
    for (int64_t i = 0; i < w_size; ++i) gw[i] += part[i];
  }
}

// grad_bias[c] = sum of grad_y[:, c, :, :]. grad_y: [N, C_out, OH, OW], grad_bias: [C_out]
template <typename T>
void conv_backward_bias(const T* gy, const Conv2dGeometry& g, T* gb) {
  const int64_t plane = g.out_plane();
#pragma omp parallel for schedule(static) if (g.n * g.c_out * plane > kParallelGrain)
  for (int64_t c = 0; c < g.c_out; ++c) {
    double total = 0;
    for (int64_t n = 0; n < g.n; ++n) {
      const T* row = gy + (n * g.c_out + c) * plane;
      T s = 0;
      for (int64_t q = 0; q < plane; ++q) s += row[q];
      total += s;
    }
    gb[c] = static_cast<T>(total);
  }
}

// The dense, Winograd or implicit-GEMM backward-weight where one applies (conv_dense.h; float
// only: conv_winograd.h and conv_implicit.h); false otherwise.
template <typename T>
bool fast_backward_weight(const T* gy, const T* x, const Conv2dGeometry& g, T* gw) {
  if (conv_dense_supported(g, sizeof(T))) {
    conv_backward_weight_dense(gy, x, g, gw);
    return true;
  }
  if constexpr (std::is_same_v<T, float>) {
    if (conv_winograd_supported(g)) {
      conv_backward_weight_winograd(gy, x, g, gw);
    } else if (conv_backward_weight_implicit_supported(g)) {
      conv_backward_weight_implicit(gy, x, g, gw);
    } else {
      return false;
    }
    return true;
  }
  return false;
}

}  // namespace

void CpuBackend::conv2d(const Tensor& x, const Tensor& w, const Tensor& bias,
                        const Conv2dGeometry& g, Tensor& y) {
  if (y.numel() == 0) return;
  dispatch_float(x.dtype(), "conv2d", [&](auto tag) {
    using T = decltype(tag);
    const T* b = bias.defined() ? bias.data<T>() : nullptr;
    if (conv_dense_supported(g, sizeof(T)))
      return conv_forward_dense(x.data<T>(), w.data<T>(), b, g, y.data<T>());
    if constexpr (std::is_same_v<T, float>) {
      if (conv_winograd_supported(g))
        return conv_forward_winograd(x.data<T>(), w.data<T>(), b, g, y.data<T>());
      if (conv_implicit_supported(g))
        return conv_forward_implicit(x.data<T>(), w.data<T>(), b, g, y.data<T>());
    }
    conv_forward(x.data<T>(), w.data<T>(), b, g, plan_conv(g, sizeof(T)), y.data<T>());
  });
}

void CpuBackend::conv2d_backward_data(const Tensor& grad_y, const Tensor& w,
                                      const Conv2dGeometry& g, Tensor& grad_x) {
  if (grad_x.numel() == 0) return;
  dispatch_float(grad_y.dtype(), "conv2d", [&](auto tag) {
    using T = decltype(tag);
    if (grad_y.numel() == 0) {  // no output position reads x
      std::fill(grad_x.data<T>(), grad_x.data<T>() + grad_x.numel(), T(0));
      return;
    }
    if (conv_dense_supported(g, sizeof(T)))
      return conv_backward_data_dense(grad_y.data<T>(), w.data<T>(), g, grad_x.data<T>());
    if constexpr (std::is_same_v<T, float>) {
      if (conv_winograd_supported(g))
        return conv_backward_data_winograd(grad_y.data<T>(), w.data<T>(), g, grad_x.data<T>());
      if (conv_backward_data_implicit_supported(g))
        return conv_backward_data_implicit(grad_y.data<T>(), w.data<T>(), g, grad_x.data<T>());
    }
    conv_backward_data(grad_y.data<T>(), w.data<T>(), g, plan_conv(g, sizeof(T)), grad_x.data<T>());
  });
}

void CpuBackend::conv2d_backward_weight(const Tensor& grad_y, const Tensor& x,
                                        const Conv2dGeometry& g, Tensor& grad_w,
                                        Tensor& grad_bias) {
  dispatch_float(grad_y.dtype(), "conv2d", [&](auto tag) {
    using T = decltype(tag);
    if (grad_w.defined() && grad_w.numel() > 0) {
      if (grad_y.numel() == 0) {
        std::fill(grad_w.data<T>(), grad_w.data<T>() + grad_w.numel(), T(0));
      } else if (!fast_backward_weight(grad_y.data<T>(), x.data<T>(), g, grad_w.data<T>())) {
        conv_backward_weight(grad_y.data<T>(), x.data<T>(), g, plan_conv(g, sizeof(T)),
                             grad_w.data<T>());
      }
    }
    if (grad_bias.defined()) conv_backward_bias(grad_y.data<T>(), g, grad_bias.data<T>());
  });
}

}  // namespace staa::cpu
