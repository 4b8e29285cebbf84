// Backend: the pure-virtual interface every device implements, grouped by op family. Layer:
// tensor. Front-ends (autograd/ops, creation.cpp) check arguments, compute shapes and allocate
// outputs; a backend only loops. Every tensor argument is dense and row-major on this backend's
// device, with the dtype of the op's inputs (f32 or f64; i64 where it says index). Shapes in the
// comments use the op's own letters. A combination that cannot be supported throws Unsupported.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tensor/ops/conv.h"
#include "tensor/ops/elementwise_ops.h"
#include "tensor/ops/layout.h"
#include "tensor/ops/neuron.h"
#include "tensor/ops/norm.h"
#include "tensor/ops/optim.h"
#include "tensor/ops/pool.h"
#include "tensor/ops/reduce.h"
#include "tensor/tensor.h"

namespace staa {

class Backend {
 public:
  virtual ~Backend() = default;
  virtual const char* name() const = 0;

  // ---- memory -------------------------------------------------------------------------------
  // dst <- src, same numel; dtypes may differ (a cast). src: [n], dst: [n]
  virtual void copy(const Tensor& src, Tensor& dst) = 0;
  // dst (on this device) <- host bytes; src holds dst.nbytes() bytes.
  virtual void copy_from_host(const void* src, Tensor& dst) = 0;
  // host bytes <- src (on this device); dst has room for src.nbytes() bytes.
  virtual void copy_to_host(const Tensor& src, void* dst) = 0;
  // Rows of a 2-D block: dst[r, dst_col + c] <- src[r, src_col + c] for r < rows, c < cols, where
  // src is seen as [rows, src_ld] and dst as [rows, dst_ld]. Concat, split and slicing use it.
  virtual void copy_block(const Tensor& src, int64_t src_ld, int64_t src_col, Tensor& dst,
                          int64_t dst_ld, int64_t dst_col, int64_t rows, int64_t cols) = 0;

  // ---- fill and random (Philox, counter = offset + element index) ----------------------------
  virtual void fill(Tensor& out, double value) = 0;                 // out: [n]
  virtual void arange(Tensor& out, double start, double step) = 0;  // out: [n]
  virtual void uniform(Tensor& out, double low, double high, uint64_t seed,
                       uint64_t offset) = 0;  // out: [n]
  virtual void normal(Tensor& out, double mean, double stddev, uint64_t seed,
                      uint64_t offset) = 0;  // out: [n]
  // mask[i] = (u_i < keep) / keep, u_i uniform in [0, 1); out: [n]
  virtual void dropout_mask(Tensor& mask, double keep, uint64_t seed, uint64_t offset) = 0;

  // ---- elementwise ----------------------------------------------------------------------------
  // y = f(x; p0, p1). x, y: [n]
  virtual void unary(UnaryOp op, const Tensor& x, Tensor& y, double p0, double p1) = 0;
  // grad_x = grad_y * f'(x). x or y may be undefined when the op does not read it. all: [n]
  virtual void unary_backward(UnaryOp op, const Tensor& x, const Tensor& y, const Tensor& grad_y,
                              Tensor& grad_x, double p0, double p1) = 0;
  // out = f(a, b) with NumPy broadcasting of a and b to out's shape.
  virtual void binary(BinaryOp op, const Tensor& a, const Tensor& b, Tensor& out) = 0;
  // Gradients in the broadcast (output) shape; the front-end sums them down to a's and b's shape.
  // Either grad may be undefined (not wanted). grad_out, grad_a, grad_b: out's shape
  virtual void binary_backward(BinaryOp op, const Tensor& a, const Tensor& b,
                               const Tensor& grad_out, Tensor& grad_a, Tensor& grad_b) = 0;
  // out = cond != 0 ? a : b. cond, a, b, out: [n] (the front-end expands broadcasts)
  virtual void where(const Tensor& cond, const Tensor& a, const Tensor& b, Tensor& out) = 0;

  // ---- reductions -----------------------------------------------------------------------------
  // out[kept] = sum / max over the reduced dims of x seen through `layout`. For kMax, `index`
  // (i64, out's numel) receives the row-major position of the max within the reduced dims; the
  // first one wins ties. x: layout.sizes, out: [layout.out_count]
  virtual void reduce(ReduceOp op, const Tensor& x, const ReduceLayout& layout, Tensor& out,
                      Tensor& index) = 0;
  // grad_x[position index[o] of output o] = grad_out[o], zero elsewhere (max backward).
  // grad_out, index: [layout.out_count], grad_x: layout.sizes
  virtual void reduce_max_backward(const Tensor& grad_out, const Tensor& index,
                                   const ReduceLayout& layout, Tensor& grad_x) = 0;

  // ---- shape ----------------------------------------------------------------------------------
  // out = x with its dims permuted: out.shape[i] = x.shape[perm[i]].
  virtual void permute(const Tensor& x, const std::vector<int>& perm, Tensor& out) = 0;
  // out = x broadcast to out's shape (x has out's ndim, each dim equal or 1).
  virtual void expand(const Tensor& x, Tensor& out) = 0;
  // out[o, j, i] = x[o, index[j], i]. x: [outer, size, inner], index (i64): [count],
  // out: [outer, count, inner]
  virtual void index_select(const Tensor& x, const DimLayout& layout, const Tensor& index,
                            Tensor& out) = 0;
  // grad_x[o, index[j], i] += grad_out[o, j, i] (grad_x is zeroed by the caller).
  virtual void index_add(const Tensor& grad_out, const DimLayout& layout, const Tensor& index,
                         Tensor& grad_x) = 0;
  // out[o, j, i] = x[o, index[o, j, i], i]. x: [outer, size, inner],
  // index (i64) and out: [outer, count, inner]
  virtual void gather(const Tensor& x, const DimLayout& layout, const Tensor& index,
                      Tensor& out) = 0;
  // grad_x[o, index[o, j, i], i] += grad_out[o, j, i] (grad_x is zeroed by the caller).
  virtual void scatter_add(const Tensor& grad_out, const DimLayout& layout, const Tensor& index,
                           Tensor& grad_x) = 0;

  // ---- convolution (tensor/ops/conv.h; CPU: tensor/cpu/conv.cpp) ---------------------------
  // y = conv(x, w) + bias over g's geometry (cross-correlation, zero padding).
  // x: [N, C_in, H, W], w: [C_out, C_in / G, KH, KW], bias: [C_out] or undefined,
  // y: [N, C_out, OH, OW]
  virtual void conv2d(const Tensor& x, const Tensor& w, const Tensor& bias, const Conv2dGeometry& g,
                      Tensor& y) = 0;
  // grad_x = the transposed conv of grad_y with w (overwritten).
  // grad_y: [N, C_out, OH, OW], w: [C_out, C_in / G, KH, KW], grad_x: [N, C_in, H, W]
  virtual void conv2d_backward_data(const Tensor& grad_y, const Tensor& w, const Conv2dGeometry& g,
                                    Tensor& grad_x) = 0;
  // grad_w = sum over n of grad_y[n] x cols(x[n])^T, grad_bias = sum of grad_y over N, OH, OW
  // (both overwritten; either may be undefined: not wanted).
  // grad_y: [N, C_out, OH, OW], x: [N, C_in, H, W], grad_w: [C_out, C_in / G, KH, KW],
  // grad_bias: [C_out]
  virtual void conv2d_backward_weight(const Tensor& grad_y, const Tensor& x,
                                      const Conv2dGeometry& g, Tensor& grad_w,
                                      Tensor& grad_bias) = 0;

  // ---- pooling and normalisation (tensor/ops/pool.h, tensor/ops/norm.h) ----------------------
  // y = mean of x over each window of g; the divisor counts padding when g.count_include_pad.
  // x: [N, C, H, W], y: [N, C, OH, OW]
  virtual void avg_pool2d(const Tensor& x, const Pool2dGeometry& g, Tensor& y) = 0;
  // grad_x = each grad_y spread evenly over its window (grad_x is overwritten).
  // grad_y: [N, C, OH, OW], grad_x: [N, C, H, W]
  virtual void avg_pool2d_backward(const Tensor& grad_y, const Pool2dGeometry& g,
                                   Tensor& grad_x) = 0;
  // y = max of x over each window; index (i64) = h * W + w of that max in its plane, the first
  // one wins ties. x: [N, C, H, W], y, index: [N, C, OH, OW]
  virtual void max_pool2d(const Tensor& x, const Pool2dGeometry& g, Tensor& y, Tensor& index) = 0;
  // grad_x[n, c, index] += grad_y[n, c, oh, ow] (grad_x is overwritten first).
  // grad_y, index: [N, C, OH, OW], grad_x: [N, C, H, W]
  virtual void max_pool2d_backward(const Tensor& grad_y, const Tensor& index,
                                   const Pool2dGeometry& g, Tensor& grad_x) = 0;
  // y = mean of x over the adaptive windows of g. x: [N, C, H, W], y: [N, C, OH, OW]
  virtual void adaptive_avg_pool2d(const Tensor& x, const AdaptivePool2dGeometry& g, Tensor& y) = 0;
  // grad_x = each grad_y spread evenly over its window (overwritten).
  // grad_y: [N, C, OH, OW], grad_x: [N, C, H, W]
  virtual void adaptive_avg_pool2d_backward(const Tensor& grad_y, const AdaptivePool2dGeometry& g,
                                            Tensor& grad_x) = 0;
  // Per channel: mean and biased variance of x over outer and inner.
  // x: [outer, C, inner], mean, var: [C]
  virtual void batch_norm_stats(const Tensor& x, const BatchNormLayout& l, Tensor& mean,
                                Tensor& var) = 0;
  // y = (x - mean[c]) / sqrt(var[c] + eps) * weight[c] + bias[c]; weight and bias may be
  // undefined (1 and 0). x, y: [outer, C, inner], mean, var, weight, bias: [C]
  virtual void batch_norm_forward(const Tensor& x, const Tensor& mean, const Tensor& var,
                                  const Tensor& weight, const Tensor& bias,
                                  const BatchNormLayout& l, double eps, Tensor& y) = 0;
  // x_hat = (x - mean) * inv_std, inv_std = 1 / sqrt(var + eps), w = weight (or 1), M = count:
  // grad_bias = sum(g), grad_weight = sum(g * x_hat) per channel; grad_x is
  // w * inv_std * (g - grad_bias / M - x_hat * grad_weight / M) in training (batch statistics),
  // w * inv_std * g otherwise. Any grad may be undefined (not wanted).
  // x, grad_y, grad_x: [outer, C, inner], mean, var, weight, grad_weight, grad_bias: [C]
  virtual void batch_norm_backward(const Tensor& x, const Tensor& mean, const Tensor& var,
                                   const Tensor& weight, const Tensor& grad_y,
                                   const BatchNormLayout& l, double eps, bool training,
                                   Tensor& grad_x, Tensor& grad_weight, Tensor& grad_bias) = 0;
  // Per row: y = (x - mean) * inv_std * weight + bias, inv_std = 1 / sqrt(biased var + eps);
  // weight, bias may be undefined. x, y: [rows, cols], weight, bias: [cols],
  // mean, inv_std: [rows]
  virtual void layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias,
                          const LayerNormLayout& l, double eps, Tensor& y, Tensor& mean,
                          Tensor& inv_std) = 0;
  // With h = g * w (w = weight or 1): grad_x = inv_std * (h - mean_j(h) - x_hat * mean_j(h *
  // x_hat)) per row; grad_weight = sum_rows(g * x_hat), grad_bias = sum_rows(g). Any grad may
  // be undefined. x, grad_y, grad_x: [rows, cols], mean, inv_std: [rows], weight, grad_weight,
  // grad_bias: [cols]
  virtual void layer_norm_backward(const Tensor& x, const Tensor& mean, const Tensor& inv_std,
                                   const Tensor& weight, const Tensor& grad_y,
                                   const LayerNormLayout& l, Tensor& grad_x, Tensor& grad_weight,
                                   Tensor& grad_bias) = 0;

  // ---- neurons (tensor/ops/neuron.h; CPU: tensor/cpu/neuron.cpp) ---------------------------
  // The multi-step LIF of LifParams over all T steps from H = 0, one neuron at a time.
  // membrane receives V[t] (before the reset) for the backward; undefined: not stored.
  // x, spikes, membrane: [T, outer, C, inner], leak (m), gain (n): [C] or [1]
  virtual void lif_forward(const Tensor& x, const Tensor& leak, const Tensor& gain,
                           const LifLayout& l, const LifParams& p, Tensor& spikes,
                           Tensor& membrane) = 0;
  // BPTT from t = T-1 down to 0 with gH = dL/dH[t] (0 at T-1), S, s' = spike and surrogate at V:
  //   gV = (grad_spikes[t] + gH dH/dS) s' + gH dH/dV    (dH/dS dropped when detach_reset)
  //   grad_x[t] = n gV;  gH <- m gV;  grad_leak += gV (H[t-1] - v_reset);  grad_gain += gV x[t]
  // grad_leak and grad_gain are overwritten, either may be undefined (not wanted); x is read only
  // for grad_gain. x, membrane, grad_spikes, grad_x: [T, outer, C, inner],
  // leak, gain, grad_leak, grad_gain: [C] or [1]
  virtual void lif_backward(const Tensor& x, const Tensor& membrane, const Tensor& leak,
                            const Tensor& gain, const Tensor& grad_spikes, const LifLayout& l,
                            const LifParams& p, Tensor& grad_x, Tensor& grad_leak,
                            Tensor& grad_gain) = 0;

  // One step's reset from d = V - v_th (spike_reset_forward of tensor/ops/neuron.h). d, h: [n]
  virtual void spike_reset(const Tensor& d, const LifParams& p, Tensor& h) = 0;
  // grad_d = spike_reset_grad(d, grad_h) (tensor/ops/neuron.h). d, grad_h, grad_d: [n]
  virtual void spike_reset_backward(const Tensor& d, const Tensor& grad_h, const LifParams& p,
                                    Tensor& grad_d) = 0;

  // STAA-LIF's membrane from per-(sample, channel) coefficients, one pass:
  //   out[r, i] = gain[r] x[r, i] + leak[r] h[r, i] + bias[r]      (h undefined: 0)
  // x, h, out: [rows, inner] (rows = B * C), gain, leak, bias: [rows]
  virtual void membrane_update(const Tensor& x, const Tensor& h, const Tensor& gain,
                               const Tensor& leak, const Tensor& bias, Tensor& out) = 0;
  // With g = grad_out: grad_x = gain g, grad_h = leak g, and per row grad_gain = sum_i g x,
  // grad_leak = sum_i g h, grad_bias = sum_i g (each in a fixed order). Any grad may be undefined
  // (not wanted); x and h are read only for grad_gain and grad_leak, and may be undefined
  // otherwise (h undefined: grad_leak is not written). Shapes as membrane_update.
  virtual void membrane_update_backward(const Tensor& x, const Tensor& h, const Tensor& gain,
                                        const Tensor& leak, const Tensor& grad_out, Tensor& grad_x,
                                        Tensor& grad_h, Tensor& grad_gain, Tensor& grad_leak,
                                        Tensor& grad_bias) = 0;

  // ---- matmul ---------------------------------------------------------------------------------
  // c[b] = alpha * op(a[b]) * op(b[b]) + beta * c[b] for b < p.batch.
  // a: [batch, m, k] or [batch, k, m] (trans_a), b: [batch, k, n] or [batch, n, k] (trans_b),
  // c: [batch, m, n]
  virtual void gemm(const GemmParams& p, const Tensor& a, const Tensor& b, Tensor& c) = 0;

  // ---- softmax --------------------------------------------------------------------------------
  // y = softmax (or log_softmax) of x along the middle dim. x, y: [outer, size, inner]
  virtual void softmax(const Tensor& x, const DimLayout& layout, bool log, Tensor& y) = 0;
  // softmax:     grad_x = y * (grad_y - sum(grad_y * y))
  // log_softmax: grad_x = grad_y - exp(y) * sum(grad_y). all: [outer, size, inner]
  virtual void softmax_backward(const Tensor& y, const Tensor& grad_y, const DimLayout& layout,
                                bool log, Tensor& grad_x) = 0;

  // ---- optimizer ------------------------------------------------------------------------------
  // One SGD step in place (sgd_update's formulas, tensor/ops/optim.h): p, grad, buf: [n], one
  // dtype; buf undefined when s.momentum == 0.
  virtual void sgd_step(Tensor& p, const Tensor& grad, Tensor& buf, const SgdStepParams& s) = 0;
};

// Process-wide math settings the backends read at each call (the trainer sets them from its
// options). deterministic: bit-identical results from run to run (CUDA: deterministic cuDNN
// algorithms, no atomics in the sums; the CPU backend always is). allow_tf32: CUDA GEMMs and
// convolutions may round f32 inputs to TF32 on tensor cores (off by default: f32 results).
void set_deterministic(bool on);
bool deterministic();
void set_allow_tf32(bool on);
bool allow_tf32();
// allow_winograd: the CPU backend may run 3x3 stride-1 float convolutions by Winograd's
// F(4x4, 3x3) (tensor/cpu/conv_winograd.h): 4x fewer multiplies, f32 errors about 10x those of a
// direct sum (rms 2-4e-6 of the output's). On by default; off gives the implicit-GEMM path.
void set_allow_winograd(bool on);
bool allow_winograd();

// The backend of a device; throws when the CUDA backend was not built or no GPU is present.
Backend& backend_for(Device device);
inline Backend& backend_of(const Tensor& t) {
  return backend_for(t.device());
}

// The backend of CUDA tensors: the CUDA backend when it is built (tensor/cuda), the CPU backend
// on the emulated device (tensor/cuda_api.h), null otherwise. cuda_available(): a GPU (or the
// emulated device) is there to run it.
Backend* cuda_backend();
bool cuda_available();
// Why `device` cannot run here (no CUDA backend in this build, no GPU, no such GPU index), as a
// phrase for an error message; "" when it can.
std::string device_unavailable(Device device);

}  // namespace staa
