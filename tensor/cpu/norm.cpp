// CPU batch norm (statistics, forward, backward) and layer norm (forward, backward). Layer:
// tensor/cpu. Batch norm runs one OpenMP thread per channel group; each pass over memory is a
// single sweep: statistics are shifted sums (by the channel's first element) of x and x^2 (f32:
// float lanes over blocks of a row, totals in double), the backward's two reductions sum(g) and
// sum(g * x_hat) share one sweep, then one elementwise sweep writes grad_x. Layer norm does the
// same per row, threads over rows.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "tensor/cpu/cpu_backend.h"

namespace staa::cpu {

namespace {

// Mean and biased variance from sums of (x - shift) and (x - shift)^2 over count elements.
void moments(double shift, double sum, double sum_sq, int64_t count, double& mean, double& var) {
  const double m = sum / static_cast<double>(count);
  mean = shift + m;
  var = std::max(sum_sq / static_cast<double>(count) - m * m, 0.0);
}

// Per-row sums of a channel, added into double totals. f32 rows sum in 8 float lanes, blocks of
// kBlock elements at a time (64 terms per lane), then in double; f64 rows in double throughout.
typedef float Lanes8 __attribute__((vector_size(8 * sizeof(float))));

inline Lanes8 load8(const float* p) {
  Lanes8 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

inline double lane_sum(Lanes8 v) {
  double s = 0;
  for (int l = 0; l < 8; ++l) s += v[l];
  return s;
}

// Float lanes hold at most kBlock / 8 terms each before they go into the double totals.
constexpr int64_t kBlock = 512;

// sum += sum(row - shift), sum_sq += sum((row - shift)^2).
inline void add_moments(const float* row, int64_t len, float shift, double& sum, double& sum_sq) {
  int64_t i = 0;
  for (; i + 8 <= len;) {
    Lanes8 s = {}, s2 = {};
    for (const int64_t end = std::min(len, i + kBlock); i + 8 <= end; i += 8) {
      const Lanes8 d = load8(row + i) - shift;
      s += d;
      s2 += d * d;
    }
    sum += lane_sum(s);
    sum_sq += lane_sum(s2);
  }
  for (; i < len; ++i) {
    const double d = row[i] - shift;
    sum += d;
    sum_sq += d * d;
  }
}

inline void add_moments(const double* row, int64_t len, double shift, double& sum, double& sum_sq) {
  for (int64_t i = 0; i < len; ++i) {
    const double d = row[i] - shift;
    sum += d;
    sum_sq += d * d;
  }
}

// sum_g += sum(g), sum_gx += sum(g * (x - m)).
inline void add_grad_sums(const float* g, const float* x, int64_t len, float m, double& sum_g,
                          double& sum_gx) {
  int64_t i = 0;
  for (; i + 8 <= len;) {
    Lanes8 s = {}, sx = {};
    for (const int64_t end = std::min(len, i + kBlock); i + 8 <= end; i += 8) {
      const Lanes8 gv = load8(g + i);
      s += gv;
      sx += gv * (load8(x + i) - m);
    }
    sum_g += lane_sum(s);
    sum_gx += lane_sum(sx);
  }
  for (; i < len; ++i) {
    sum_g += g[i];
    sum_gx += static_cast<double>(g[i]) * (x[i] - m);
  }
}

inline void add_grad_sums(const double* g, const double* x, int64_t len, double m, double& sum_g,
                          double& sum_gx) {
  for (int64_t i = 0; i < len; ++i) {
    sum_g += g[i];
    sum_gx += g[i] * (x[i] - m);
  }
}

// x: [outer, C, inner]; the elements of channel c are rows x[n, c, :].
template <typename T>
void bn_stats(const T* x, const BatchNormLayout& l, T* mean, T* var) {
  const int64_t C = l.channels, inner = l.inner;
#pragma omp parallel for if (l.outer * C * inner > kParallelGrain)
  for (int64_t c = 0; c < C; ++c) {
    const T shift = x[c * inner];
    double sum = 0, sum_sq = 0;
    for (int64_t n = 0; n < l.outer; ++n)
      add_moments(x + (n * C + c) * inner, inner, shift, sum, sum_sq);
    double m, v;
    moments(shift, sum, sum_sq, l.count(), m, v);
    mean[c] = static_cast<T>(m);
    var[c] = static_cast<T>(v);
  }
}

// y = (x - mean) * (weight * inv_std) + bias per channel.
template <typename T>
void bn_forward(const T* x, const T* mean, const T* var, const T* weight, const T* bias,
                const BatchNormLayout& l, double eps, T* y) {
  const int64_t C = l.channels, inner = l.inner;
#pragma omp parallel for if (l.outer * C * inner > kParallelGrain)
  for (int64_t c = 0; c < C; ++c) {
    const double inv_std = 1.0 / std::sqrt(static_cast<double>(var[c]) + eps);
    const T scale = static_cast<T>(inv_std * (weight ? weight[c] : T(1)));
    const T m = mean[c], b = bias ? bias[c] : T(0);
    for (int64_t n = 0; n < l.outer; ++n) {
      const int64_t base = (n * C + c) * inner;
      for (int64_t i = 0; i < inner; ++i) y[base + i] = (x[base + i] - m) * scale + b;
    }
  }
}

// Derivation: autograd/README.md, "Batch norm and layer norm". Per channel, one sweep for
// sum(g) and sum(g * x_hat), one sweep for grad_x (in T: scale (g - mean(g)) - k (x - m) with
// the per-channel constants in double). Any output pointer may be null.
template <typename T>
void bn_backward(const T* x, const T* mean, const T* var, const T* weight, const T* grad_y,
                 const BatchNormLayout& l, double eps, bool training, T* grad_x, T* grad_weight,
                 T* grad_bias) {
  const int64_t C = l.channels, inner = l.inner;
  const double count = static_cast<double>(l.count());
#pragma omp parallel for if (l.outer * C * inner > kParallelGrain)
  for (int64_t c = 0; c < C; ++c) {
    const T m = mean[c];
    const double inv_std = 1.0 / std::sqrt(static_cast<double>(var[c]) + eps);
    double sum_g = 0, sum_gx = 0;  // sum(g), sum(g (x - m)) = sum(g x_hat) / inv_std
    for (int64_t n = 0; n < l.outer; ++n) {
      const int64_t base = (n * C + c) * inner;
      add_grad_sums(grad_y + base, x + base, inner, m, sum_g, sum_gx);
    }
    const double sum_g_xhat = sum_gx * inv_std;
    if (grad_weight) grad_weight[c] = static_cast<T>(sum_g_xhat);
    if (grad_bias) grad_bias[c] = static_cast<T>(sum_g);
    if (!grad_x) continue;
    const double scale = inv_std * (weight ? static_cast<double>(weight[c]) : 1.0);
    const double mean_g = training ? sum_g / count : 0.0;
    const double mean_g_xhat = training ? sum_g_xhat / count : 0.0;
    // grad_x = scale (g - mean_g - x_hat mean_g_xhat) = a g - k (x - m) + b
    const T a = static_cast<T>(scale), b = static_cast<T>(-scale * mean_g);
    const T k = static_cast<T>(scale * mean_g_xhat * inv_std);
    for (int64_t n = 0; n < l.outer; ++n) {
      const int64_t base = (n * C + c) * inner;
      const T* g = grad_y + base;
      const T* xr = x + base;
      T* gx = grad_x + base;
      for (int64_t i = 0; i < inner; ++i) gx[i] = a * g[i] - k * (xr[i] - m) + b;
    }
  }
}

}  // namespace

void CpuBackend::batch_norm_stats(const Tensor& x, const BatchNormLayout& l, Tensor& mean,
                                  Tensor& var) {
  dispatch_float(x.dtype(), "batch_norm", [&](auto tag) {
    using T = decltype(tag);
    bn_stats(x.data<T>(), l, mean.data<T>(), var.data<T>());
  });
}

void CpuBackend::batch_norm_forward(const Tensor& x, const Tensor& mean, const Tensor& var,
                                    const Tensor& weight, const Tensor& bias,
                                    const BatchNormLayout& l, double eps, Tensor& y) {
  dispatch_float(x.dtype(), "batch_norm", [&](auto tag) {
    using T = decltype(tag);
    bn_forward(x.data<T>(), mean.data<T>(), var.data<T>(), data_or_null<T>(weight),
               data_or_null<T>(bias), l, eps, y.data<T>());
  });
}

void CpuBackend::batch_norm_backward(const Tensor& x, const Tensor& mean, const Tensor& var,
                                     const Tensor& weight, const Tensor& grad_y,
                                     const BatchNormLayout& l, double eps, bool training,
                                     Tensor& grad_x, Tensor& grad_weight, Tensor& grad_bias) {
  dispatch_float(x.dtype(), "batch_norm backward", [&](auto tag) {
    using T = decltype(tag);
    bn_backward(x.data<T>(), mean.data<T>(), var.data<T>(), data_or_null<T>(weight),
                grad_y.data<T>(), l, eps, training, mutable_or_null<T>(grad_x),
                mutable_or_null<T>(grad_weight), mutable_or_null<T>(grad_bias));
  });
}

namespace {

// Per row r of x: [rows, cols]: mean[r], inv_std[r], y = x_hat * weight + bias.
template <typename T>
void ln_forward(const T* x, const T* weight, const T* bias, const LayerNormLayout& l, double eps,
                T* y, T* mean, T* inv_std) {
  const int64_t cols = l.cols;
#pragma omp parallel for if (l.rows * cols > kParallelGrain)
  for (int64_t r = 0; r < l.rows; ++r) {
    const T* xr = x + r * cols;
    const double shift = xr[0];
    double sum = 0, sum_sq = 0;
    for (int64_t j = 0; j < cols; ++j) {
      const double d = xr[j] - shift;
      sum += d;
      sum_sq += d * d;
    }
    double m, v;
    moments(shift, sum, sum_sq, cols, m, v);
    const double is = 1.0 / std::sqrt(v + eps);
    mean[r] = static_cast<T>(m);
    inv_std[r] = static_cast<T>(is);
    T* yr = y + r * cols;
    for (int64_t j = 0; j < cols; ++j) {
      const double x_hat = (xr[j] - m) * is;
      yr[j] = static_cast<T>(x_hat * (weight ? weight[j] : T(1)) + (bias ? bias[j] : T(0)));
    }
  }
}

// grad_x per row (derivation: autograd/README.md, "Batch norm and layer norm").
// x, grad_y, grad_x: [rows, cols], mean, inv_std: [rows], weight: [cols] or null
template <typename T>
void ln_grad_x(const T* x, const T* mean, const T* inv_std, const T* weight, const T* grad_y,
               const LayerNormLayout& l, T* grad_x) {
  const int64_t cols = l.cols;
#pragma omp parallel for if (l.rows * cols > kParallelGrain)
  for (int64_t r = 0; r < l.rows; ++r) {
    const T *xr = x + r * cols, *gr = grad_y + r * cols;
    const double m = mean[r], is = inv_std[r];
    double sum_h = 0, sum_h_xhat = 0;
    for (int64_t j = 0; j < cols; ++j) {
      const double h = gr[j] * (weight ? static_cast<double>(weight[j]) : 1.0);
      sum_h += h;
      sum_h_xhat += h * (xr[j] - m) * is;
    }
    const double mean_h = sum_h / cols, mean_h_xhat = sum_h_xhat / cols;
    for (int64_t j = 0; j < cols; ++j) {
      const double h = gr[j] * (weight ? static_cast<double>(weight[j]) : 1.0);
      const double x_hat = (xr[j] - m) * is;
      grad_x[r * cols + j] = static_cast<T>(is * (h - mean_h - x_hat * mean_h_xhat));
    }
  }
}

// grad_weight[j] = sum_r g * x_hat, grad_bias[j] = sum_r g; threads over column blocks, rows
// swept in order inside each block. Either output may be null.
template <typename T>
void ln_grad_affine(const T* x, const T* mean, const T* inv_std, const T* grad_y,
                    const LayerNormLayout& l, T* grad_weight, T* grad_bias) {
  constexpr int64_t kBlock = 256;
  const int64_t cols = l.cols, blocks = (cols + kBlock - 1) / kBlock;
#pragma omp parallel for if (l.rows * cols > kParallelGrain)
  for (int64_t b = 0; b < blocks; ++b) {
    const int64_t j0 = b * kBlock, j1 = std::min(cols, j0 + kBlock);
    std::vector<double> gw(j1 - j0, 0.0), gb(j1 - j0, 0.0);
    for (int64_t r = 0; r < l.rows; ++r) {
      const double m = mean[r], is = inv_std[r];
      for (int64_t j = j0; j < j1; ++j) {
        const double g = grad_y[r * cols + j];
        gw[j - j0] += g * (x[r * cols + j] - m) * is;
        gb[j - j0] += g;
      }
    }
    for (int64_t j = j0; j < j1; ++j) {
      if (grad_weight) grad_weight[j] = static_cast<T>(gw[j - j0]);
      if (grad_bias) grad_bias[j] = static_cast<T>(gb[j - j0]);
    }
  }
}

}  // namespace

void CpuBackend::layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias,
                            const LayerNormLayout& l, double eps, Tensor& y, Tensor& mean,
                            Tensor& inv_std) {
  dispatch_float(x.dtype(), "layer_norm", [&](auto tag) {
    using T = decltype(tag);
    ln_forward(x.data<T>(), data_or_null<T>(weight), data_or_null<T>(bias), l, eps, y.data<T>(),
               mean.data<T>(), inv_std.data<T>());
  });
}

void CpuBackend::layer_norm_backward(const Tensor& x, const Tensor& mean, const Tensor& inv_std,
                                     const Tensor& weight, const Tensor& grad_y,
                                     const LayerNormLayout& l, Tensor& grad_x, Tensor& grad_weight,
                                     Tensor& grad_bias) {
  dispatch_float(x.dtype(), "layer_norm backward", [&](auto tag) {
    using T = decltype(tag);
    if (grad_x.defined()) {
      ln_grad_x(x.data<T>(), mean.data<T>(), inv_std.data<T>(), data_or_null<T>(weight),
                grad_y.data<T>(), l, grad_x.data<T>());
    }
    if (grad_weight.defined() || grad_bias.defined()) {
      ln_grad_affine(x.data<T>(), mean.data<T>(), inv_std.data<T>(), grad_y.data<T>(), l,
                     mutable_or_null<T>(grad_weight), mutable_or_null<T>(grad_bias));
    }
  });
}

}  // namespace staa::cpu
