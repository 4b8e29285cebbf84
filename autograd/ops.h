// The differentiable ops: the public front-end of staa. Layer: autograd.
// Each op checks its arguments (errors name the op, what was expected and what came), computes
// the output shape, runs the device's backend kernel and, in grad mode, records a tape node whose
// backward sits next to the forward in autograd/ops/<family>.cpp.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "autograd/tape.h"
#include "tensor/creation.h"
#include "tensor/generator.h"
#include "tensor/ops/neuron.h"
#include "tensor/ops/optim.h"
#include "tensor/tensor.h"

namespace staa {

// ---- unary (autograd/ops/elementwise.cpp) -----------------------------------------------------
Tensor neg(const Tensor& x);
Tensor abs(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor square(const Tensor& x);
Tensor relu(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor pow(const Tensor& x, double exponent);
Tensor clamp(const Tensor& x, double low, double high);
// The spike of a neuron: Heaviside(x) (1 exactly when x >= 0) forward, the surrogate's derivative
// backward (tensor/ops/surrogate.h); x = membrane - threshold.
Tensor spike(const Tensor& x, const Surrogate& surrogate = {});

// ---- binary with broadcasting, and scalar forms ----------------------------------------------
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor minimum(const Tensor& a, const Tensor& b);
Tensor add(const Tensor& a, double b);
Tensor sub(const Tensor& a, double b);
Tensor sub(double a, const Tensor& b);
Tensor mul(const Tensor& a, double b);
Tensor div(const Tensor& a, double b);
Tensor div(double a, const Tensor& b);
Tensor maximum(const Tensor& a, double b);
Tensor minimum(const Tensor& a, double b);

inline Tensor operator-(const Tensor& x) {
  return neg(x);
}
inline Tensor operator+(const Tensor& a, const Tensor& b) {
  return add(a, b);
}
inline Tensor operator-(const Tensor& a, const Tensor& b) {
  return sub(a, b);
}
inline Tensor operator*(const Tensor& a, const Tensor& b) {
  return mul(a, b);
}
inline Tensor operator/(const Tensor& a, const Tensor& b) {
  return div(a, b);
}
inline Tensor operator+(const Tensor& a, double b) {
  return add(a, b);
}
inline Tensor operator+(double a, const Tensor& b) {
  return add(b, a);
}
inline Tensor operator-(const Tensor& a, double b) {
  return sub(a, b);
}
inline Tensor operator-(double a, const Tensor& b) {
  return sub(a, b);
}
inline Tensor operator*(const Tensor& a, double b) {
  return mul(a, b);
}
inline Tensor operator*(double a, const Tensor& b) {
  return mul(b, a);
}
inline Tensor operator/(const Tensor& a, double b) {
  return div(a, b);
}
inline Tensor operator/(double a, const Tensor& b) {
  return div(a, b);
}

// ---- comparisons: masks of 0 and 1 in the input dtype, never requiring grad --------------------
Tensor eq(const Tensor& a, const Tensor& b);
Tensor ne(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Tensor& b);
Tensor eq(const Tensor& a, double b);
Tensor ne(const Tensor& a, double b);
Tensor lt(const Tensor& a, double b);
Tensor le(const Tensor& a, double b);
Tensor gt(const Tensor& a, double b);
Tensor ge(const Tensor& a, double b);

// cond != 0 ? a : b, with broadcasting of all three.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);

// ---- reductions (autograd/ops/reduce.cpp); empty dims = all dims -------------------------------
Tensor sum(const Tensor& x, const std::vector<int64_t>& dims = {}, bool keepdim = false);
Tensor mean(const Tensor& x, const std::vector<int64_t>& dims = {}, bool keepdim = false);
// Variance with Bessel's correction by default (correction = 1), as torch.var.
Tensor var(const Tensor& x, const std::vector<int64_t>& dims = {}, bool keepdim = false,
           int64_t correction = 1);
struct MaxResult {
  Tensor values;
  Tensor indices;  // i64: row-major position of the max within the reduced dims (the index along
                   // the dim when one dim is reduced); the first max wins ties
};
MaxResult max(const Tensor& x, const std::vector<int64_t>& dims = {}, bool keepdim = false);
// Sums x down to `shape` (the inverse of broadcasting): the backward of every broadcast.
Tensor sum_to(const Tensor& x, const Shape& shape);

// ---- shape (autograd/ops/shape.cpp); permute/transpose/concat/stack/expand copy ---------------
// One entry may be -1 (inferred). A view: shares storage with x.
Tensor reshape(const Tensor& x, const std::vector<int64_t>& shape);
// Rows [start, end) along dim 0. A view: shares storage with x.
Tensor slice(const Tensor& x, int64_t start, int64_t end);
Tensor permute(const Tensor& x, const std::vector<int64_t>& perm);
Tensor transpose(const Tensor& x, int64_t dim0, int64_t dim1);
Tensor concat(const std::vector<Tensor>& xs, int64_t dim);
Tensor stack(const std::vector<Tensor>& xs, int64_t dim);
Tensor expand(const Tensor& x, const Shape& shape);
// out = x indexed along dim by index (i64, 1-D).
Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index);
// out[..., j, ...] = x[..., index[..., j, ...], ...] along dim; index (i64) has x's ndim and x's
// sizes except along dim.
Tensor gather(const Tensor& x, int64_t dim, const Tensor& index);

// ---- matmul (autograd/ops/matmul.cpp) ---------------------------------------------------------
// op(a) @ op(b), op = transpose of the last two dims when the flag is set. a: [..., m, k],
// b: [..., k, n]; batch dims must match, or one side is 2-D and is shared by every batch.
Tensor matmul(const Tensor& a, const Tensor& b, bool trans_a = false, bool trans_b = false);

// ---- softmax and losses (autograd/ops/softmax.cpp, autograd/ops/loss.cpp) ----------------------
Tensor softmax(const Tensor& x, int64_t dim);
Tensor log_softmax(const Tensor& x, int64_t dim);
// Mean cross-entropy of logits [N, C] against class indices (i64) [N]; label smoothing eps mixes
// the one-hot target with the uniform distribution: (1 - eps) * nll + eps * mean_c(-log p_c).
Tensor cross_entropy(const Tensor& logits, const Tensor& targets, double label_smoothing = 0.0);
// Mean of (a - b)^2.
Tensor mse_loss(const Tensor& a, const Tensor& b);
// Zeroes each element with probability p and scales the rest by 1 / (1 - p); the identity when
// training is false or p == 0. The mask comes from gen (explicit seed).
Tensor dropout(const Tensor& x, double p, Generator& gen, bool training = true);

// ---- convolution, pooling, normalisation, linear (autograd/ops/conv.cpp, pool.cpp, norm.cpp) --
struct Conv2dOptions {
  std::array<int64_t, 2> stride{1, 1};
  std::array<int64_t, 2> padding{0, 0};  // zeros on both sides
  std::array<int64_t, 2> dilation{1, 1};
  int64_t groups = 1;
};
// x: [N, C_in, H, W], weight: [C_out, C_in / groups, KH, KW], bias: [C_out] or undefined.
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias,
              const Conv2dOptions& options = {});

struct Pool2dOptions {
  std::array<int64_t, 2> kernel{1, 1};
  std::array<int64_t, 2> stride{0, 0};  // {0, 0}: the kernel size
  std::array<int64_t, 2> padding{0, 0};
  bool ceil_mode = false;
  bool count_include_pad = true;  // avg_pool2d only
};
// x: [N, C, H, W]; output sizes follow PyTorch (ceil_mode windows must start inside the input
// or its left padding).
Tensor avg_pool2d(const Tensor& x, const Pool2dOptions& options);
Tensor max_pool2d(const Tensor& x, const Pool2dOptions& options);
// Average over adaptive windows (PyTorch's start/end rule) to [N, C, out_h, out_w]; {1, 1} is
// global average pooling.
Tensor adaptive_avg_pool2d(const Tensor& x, std::array<int64_t, 2> output_size);

// x: [N, C, ...]. Training: statistics over every dim but C; running_mean and running_var (if
// defined) are updated in place with momentum, the variance unbiased. Eval: running statistics.
// weight, bias: [C] or undefined (no affine).
Tensor batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& running_mean,
                  Tensor& running_var, bool training, double momentum = 0.1, double eps = 1e-5);
// Normalises over the trailing `normalized_ndim` dims; weight, bias: those dims' shape, or
// undefined.
Tensor layer_norm(const Tensor& x, int normalized_ndim, const Tensor& weight, const Tensor& bias,
                  double eps = 1e-5);
// x: [..., in], weight: [out, in], bias: [out] or undefined -> [..., out].
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias);

// ---- neurons (autograd/ops/neuron.cpp) --------------------------------------------------------
// The fused multi-step LIF of tensor/ops/neuron.h over x: [T, ...] (time first), from H = 0:
// V[t] = leak H[t-1] + gain x[t] + (1 - leak) v_reset, S[t] = spike(V[t] - v_th), then the reset.
// leak, gain: one element, or [C] for x: [T, B, C, ...]; they may require grad (adaptive LIF).
// Returns the spikes S: x's shape. Saves only the membrane V (and x when gain requires grad).
Tensor lif(const Tensor& x, const Tensor& leak, const Tensor& gain, const LifParams& params = {});
// One step's reset for a neuron that builds its membrane V from other ops (STAA-LIF), from
// d = V - v_th: H = V - S (soft ? v_th : V - v_reset), S = spike(d), gradients through S by the
// surrogate unless detach_reset. Saves only d (which spike(d) saves too), where the composite
// V * (1 - S) would save V, 1 - S and d. d: any shape -> H: d's shape.
Tensor spike_reset(const Tensor& d, const LifParams& params = {});

// STAA-LIF's membrane in one pass from per-(sample, channel) coefficients, broadcast over the
// trailing dims: out = gain x + leak h + bias. x: [B, C, ...], h: x's shape or undefined (taken
// as 0: the first step), gain, leak, bias: [B, C] -> x's shape.
Tensor membrane_update(const Tensor& x, const Tensor& h, const Tensor& gain, const Tensor& leak,
                       const Tensor& bias);

// The GC block's context pooling (spec §2) and the plain mean of the same map Y = y + shift (the
// shift per channel, broadcast; STAA-LIF's position encoding, never added as a map), in one node:
// weights = sigmoid (or softmax over H W) of key . Y[:, :, i] + key_bias, then
// out[0][b, c] = sum_i Y[b, c, i] weights[b, i] (W_k) and out[1][b, c] = mean_i Y[b, c, i] (SA's
// pooling). y: [B, C, H, W], shift: [C] or undefined (0), key: [C], key_bias: [1] -> [2, B, C]
Tensor gc_context(const Tensor& y, const Tensor& shift, const Tensor& key, const Tensor& key_bias,
                  bool softmax_pool);

// ---- in place, not differentiable (optimizers, accumulators); bump the version -----------------
void add_(Tensor& x, const Tensor& y, double alpha = 1.0);  // x += alpha * y
void mul_(Tensor& x, double factor);                        // x *= factor
// One SGD step on p in place (sgd_update's formulas, tensor/ops/optim.h; s.first is set here):
// with momentum (s.momentum != 0) buf is its buffer, created on the first step; else nullptr.
void sgd_step_(Tensor& p, const Tensor& grad, Tensor* buf, SgdStepParams s);

}  // namespace staa
