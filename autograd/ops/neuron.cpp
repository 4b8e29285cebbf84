// The fused multi-step LIF op: forward and BPTT backward (tensor/ops/neuron.h), and the reset of
// one step (spike_reset, for neurons that build V from other ops: STAA-LIF), and STAA-LIF's two
// map-sized parts: its membrane from per-(sample, channel) coefficients (membrane_update) and
// the GC context pooling with the channel means (gc_context). Layer: autograd.
// The LIF node saves the membrane V[t] before each reset (x too when the gain needs a gradient);
// the backend's backward replays S[t] and H[t-1] from V and runs the recurrence of backend.h in
// reverse. Derivation: autograd/README.md, "Multi-step LIF".
#include "autograd/ops/common.h"

namespace staa {

namespace {

void check_lif_args(const Tensor& x, const Tensor& leak, const Tensor& gain, const LifParams& p) {
  detail::check_float_input("lif", x, "x");
  detail::check_float_input("lif", leak, "leak");
  detail::check_float_input("lif", gain, "gain");
  check_same_device("lif", x, leak);
  check_same_device("lif", x, gain);
  check_same_dtype("lif", x, leak);
  check_same_dtype("lif", x, gain);
  STAA_CHECK(leak.numel() == gain.numel(), "lif: leak has ", leak.numel(),
             " elements and gain has ", gain.numel(), "; expected the same count (1 or C)");
  STAA_CHECK(leak.numel() >= 1, "lif: leak and gain need at least one element");
  STAA_CHECK(p.surrogate.alpha > 0, "lif: the surrogate's alpha must be > 0, got ",
             p.surrogate.alpha);
}

}  // namespace

// H = V - S (soft ? v_th : V - v_reset) with V = d + v_th and S = spike(d) (lif_reset), one pass
// each way (tensor/ops/neuron.h: spike_reset_forward / spike_reset_grad). The one saved tensor
// is d, which spike(d) of the same step saves too. With g = dL/dH:
//   dH/dV (S held) = soft ? 1 : 1 - S,   dH/dS = soft ? -v_th : v_reset - V,   dS/dd = S'(d),
//   dL/dd = g (dH/dV + dH/dS S'(d)),     the second term dropped when detach_reset.
Tensor spike_reset(const Tensor& d, const LifParams& p) {
  detail::check_float_input("spike_reset", d);
  STAA_CHECK(p.surrogate.alpha > 0, "spike_reset: the surrogate's alpha must be > 0, got ",
             p.surrogate.alpha);
  Tensor h = detail::empty_like(d);
  backend_of(d).spike_reset(d, p, h);
  if (needs_record({&d})) {
    record(OpId::spike_reset, {d}, h, {d.detach()},
           [p](const BackwardContext& ctx, const Tensor& g, std::vector<Tensor>& gi) {
             Tensor gd = detail::empty_like(g);
             backend_of(g).spike_reset_backward(ctx.saved(0), g, p, gd);
             gi[0] = gd;
           },
           {{"threshold", p.threshold},
            {"v_reset", p.v_reset},
            {"soft_reset", p.soft_reset},
            {"detach_reset", p.detach_reset},
            {"surrogate", static_cast<int64_t>(p.surrogate.kind)}});
  }
  return h;
}

// out = gain x + leak h + bias per (b, c), one pass each way. With g = dL/dout, per (b, c) over
// the trailing elements i: dx = gain g, dh = leak g, dgain = sum_i g x, dleak = sum_i g h,
// dbias = sum_i g. Saves x only when gain needs a gradient, h only when leak does.
Tensor membrane_update(const Tensor& x, const Tensor& h, const Tensor& gain, const Tensor& leak,
                       const Tensor& bias) {
  const char* op = "membrane_update";
  detail::check_float_input(op, x, "x");
  STAA_CHECK(x.ndim() >= 2, op, ": expected x of shape [B, C, ...], got ", x.shape());
  const Shape rows{x.shape()[0], x.shape()[1]};
  for (const Tensor* c : {&gain, &leak, &bias}) {
    detail::check_float_input(op, *c, "a coefficient");
    check_same_device(op, x, *c);
    check_same_dtype(op, x, *c);
    STAA_CHECK(c->shape() == rows, op, ": expected coefficients of shape ", rows,
               " for x of shape ", x.shape(), ", got ", c->shape());
  }
  if (h.defined()) {
    check_same_device(op, x, h);
    check_same_dtype(op, x, h);
    STAA_CHECK(h.shape() == x.shape(), op, ": h has shape ", h.shape(), ", x ", x.shape());
  }
  Tensor out = detail::empty_like(x);
  backend_of(x).membrane_update(x, h, gain, leak, bias, out);
  if (needs_record({&x, &h, &gain, &leak, &bias})) {
    record(OpId::membrane_update, {x, h, gain, leak, bias}, out,
           {gain.detach(), leak.detach(), gain.requires_grad() ? x.detach() : Tensor(),
            leak.requires_grad() && h.defined() ? h.detach() : Tensor()},
           [](const BackwardContext& ctx, const Tensor& g, std::vector<Tensor>& gi) {
             const Tensor &a = ctx.saved(0), &m = ctx.saved(1);
             auto wanted = [&](size_t input, const Tensor& like) {
               return ctx.needs_grad(input) ? detail::empty_like(like) : Tensor();
             };
             Tensor gx = wanted(0, g), gh = wanted(1, g);
             Tensor ga = wanted(2, a), gm = ctx.saved(3).defined() ? wanted(3, m) : Tensor();
             Tensor gk = wanted(4, a);
             backend_of(g).membrane_update_backward(ctx.saved(2), ctx.saved(3), a, m, g, gx, gh, ga,
                                                    gm, gk);
             gi = {gx, gh, ga, gm, gk};
           });
  }
  return out;
}

// With Y = y + s (s: the shift), z = key Y + key_bias = key y + (key_bias + key s), w = pool(z),
// W = sum_i w, G0 = dL/dW_k, G1 = dL/dmean, per sample b:
//   W_k = sum_i y w + s W,  mean = mean_i y + s;
//   dw[i] = sum_c G0[c] Y[c, i] = sum_c G0[c] y[c, i] + G0 . s;
//   dz = w (1 - w) dw (sigmoid) or w (dw - sum_i dw w) (softmax);
//   dy[c, i] = G0[c] w[i] + key[c] dz[i] + G1[c] / n = [G0 | key | G1 / n] [w; dz; 1]: one
//   product of depth 3, so dy is written once (the matmuls it replaces wrote two maps and summed
//   them, and the mean a third);  dkey[c] = sum_b,i Y[c, i] dz[i];  dkey_bias = sum_b,i dz[i];
//   ds[c] = sum_b,i dY[c, i] = sum_b (G0[c] W + key[c] sum_i dz[i] + G1[c]).
Tensor gc_context(const Tensor& y, const Tensor& shift, const Tensor& key, const Tensor& key_bias,
                  bool softmax_pool) {
  const char* op = "gc_context";
  detail::check_float_input(op, y, "y");
  STAA_CHECK(y.ndim() == 4, op, ": expected y of shape [B, C, H, W], got ", y.shape());
  const int64_t B = y.shape()[0], C = y.shape()[1], n = y.shape()[2] * y.shape()[3];
  for (const Tensor* t : {&shift, &key, &key_bias}) {
    if (!t->defined()) continue;
    detail::check_float_input(op, *t, "a per-channel tensor");
    check_same_device(op, y, *t);
    check_same_dtype(op, y, *t);
  }
  STAA_CHECK(key.numel() == C && key_bias.numel() == 1 && (!shift.defined() || shift.numel() == C),
             op, ": expected key and shift of ", C,
             " elements and a one-element key_bias for y of shape ", y.shape(), ", got ",
             key.shape(), ", ", shift.defined() ? shift.shape() : Shape{}, " and ",
             key_bias.shape());
  Tensor y3, weights, out;
  {
    NoGradGuard inside;  // one node for the whole op
    y3 = reshape(y, {B, C, n});
    const Tensor bias = shift.defined() ? key_bias + sum(key * shift) : reshape(key_bias, {1});
    const Tensor z = matmul(reshape(key, {1, C}), y3) + bias;  // [B, 1, n]
    weights = softmax_pool ? softmax(z, 2) : sigmoid(z);
    Tensor w_k = reshape(matmul(y3, weights, false, true), {B, C});
    Tensor means = mean(y3, {2});
    if (shift.defined()) {
      const Tensor s = reshape(shift, {1, C});
      w_k = w_k + s * reshape(sum(weights, {2}), {B, 1});
      means = means + s;
    }
    out = stack({w_k, means}, 0);
  }
  if (needs_record({&y, &shift, &key, &key_bias})) {
    record(
        OpId::gc_context, {y, shift, key, key_bias}, out,
        {y3.detach(), weights, key.detach(), shift.defined() ? shift.detach() : Tensor()},
        [softmax_pool, B, C, n](const BackwardContext& ctx, const Tensor& g,
                                std::vector<Tensor>& gi) {
          const Tensor &y3 = ctx.saved(0), &w = ctx.saved(1), &key = ctx.saved(2);
          const Tensor& shift = ctx.saved(3);
          const Tensor g_pool = reshape(slice(g, 0, 1), {B, 1, C});
          const Tensor g_mean = reshape(slice(g, 1, 2), {B, C});
          Tensor dw = matmul(g_pool, y3);  // [B, 1, n]
          if (shift.defined()) dw = dw + matmul(g_pool, reshape(shift, {C, 1}));
          const Tensor dz = softmax_pool ? w * (dw - sum(dw * w, {2}, true)) : dw * w * (1.0 - w);
          if (ctx.needs_grad(0)) {
            const Tensor lhs =
                concat({reshape(g_pool, {B, C, 1}), expand(reshape(key, {1, C, 1}), Shape{B, C, 1}),
                        reshape(g_mean * (1.0 / n), {B, C, 1})},
                       2);  // [B, C, 3]
            const Tensor rhs = concat({w, dz, ones(w.shape(), {w.dtype(), w.device()})}, 1);
            gi[0] = reshape(matmul(lhs, rhs), ctx.input_shape(0).vec());  // [B, C, n] -> y
          }
          if (ctx.needs_grad(1)) {
            const Tensor per_sample = reshape(g_pool, {B, C}) * reshape(sum(w, {2}), {B, 1}) +
                                      reshape(key, {1, C}) * reshape(sum(dz, {2}), {B, 1}) + g_mean;
            gi[1] = reshape(sum(per_sample, {0}), ctx.input_shape(1).vec());
          }
          if (ctx.needs_grad(2)) {
            Tensor dkey = reshape(sum(matmul(y3, dz, false, true), {0}), {C});
            if (shift.defined()) dkey = dkey + reshape(shift, {C}) * sum(dz);
            gi[2] = reshape(dkey, ctx.input_shape(2).vec());
          }
          if (ctx.needs_grad(3)) gi[3] = reshape(sum(dz), ctx.input_shape(3).vec());
        },
        {{"softmax", softmax_pool}});
  }
  return out;
}

Tensor lif(const Tensor& x, const Tensor& leak, const Tensor& gain, const LifParams& params) {
  check_lif_args(x, leak, gain, params);
  const LifLayout l = make_lif_layout("lif", x.shape(), leak.numel());
  const Tensor& xc = x;
  Tensor spikes = detail::empty_like(x);
  const bool record_node = needs_record({&x, &leak, &gain});
  Tensor membrane = record_node ? detail::empty_like(x) : Tensor();
  backend_of(x).lif_forward(xc, leak, gain, l, params, spikes, membrane);
  if (record_node) {
    const bool gain_grad = gain.requires_grad();
    record(OpId::lif, {x, leak, gain}, spikes,
           {membrane, leak.detach(), gain.detach(), gain_grad ? xc.detach() : Tensor()},
           [l, params](const BackwardContext& ctx, const Tensor& g, std::vector<Tensor>& gi) {
             const Tensor& m = ctx.saved(1);
             Tensor gx = detail::empty_like(g);
             Tensor g_leak = ctx.needs_grad(1) ? detail::empty_like(m) : Tensor();
             Tensor g_gain = ctx.needs_grad(2) ? detail::empty_like(m) : Tensor();
             backend_of(g).lif_backward(ctx.saved(3), ctx.saved(0), m, ctx.saved(2), g, l, params,
                                        gx, g_leak, g_gain);
             gi[0] = gx;
             gi[1] = g_leak;
             gi[2] = g_gain;
           },
           {{"threshold", params.threshold},
            {"soft_reset", params.soft_reset},
            {"detach_reset", params.detach_reset},
            {"surrogate", static_cast<int64_t>(params.surrogate.kind)}});
  }
  return spikes;
}

}  // namespace staa
