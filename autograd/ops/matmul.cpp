// matmul and batched matmul with transpose flags, forward and backward. Layer: autograd.
// With C = op(A) op(B) and G = dL/dC (derivation in autograd/README.md):
//   dA = G op(B)^T            (A not transposed)     dA = op(B) G^T   (trans_a)
//   dB = op(A)^T G            (B not transposed)     dB = G^T op(A)   (trans_b)
// expressed as matmuls with transpose flags, so no transposed copy is ever made. A 2-D operand
// shared by a batch gets the gradient summed over the batch; when A's batch folds into its rows
// (A not transposed), that sum is one GEMM over [batch * m, k].
#include "autograd/ops/common.h"

namespace staa {

using detail::check_pair;
using detail::empty_as;

namespace {

struct MatmulPlan {
  GemmParams p;
  Shape out_shape;
};

Shape prefix_of(const Shape& s) {
  Shape p;
  for (int i = 0; i + 2 < s.ndim(); ++i) p.push_back(s[i]);
  return p;
}

MatmulPlan plan_matmul(const Shape& a, const Shape& b, bool ta, bool tb) {
  STAA_CHECK(a.ndim() >= 2 && b.ndim() >= 2, "matmul: both inputs need at least 2 dims, got ", a,
             " and ", b);
  MatmulPlan plan;
  GemmParams& p = plan.p;
  p.trans_a = ta;
  p.trans_b = tb;
  p.m = ta ? a.at(-1) : a.at(-2);
  p.k = ta ? a.at(-2) : a.at(-1);
  const int64_t kb = tb ? b.at(-1) : b.at(-2);
  p.n = tb ? b.at(-2) : b.at(-1);
  STAA_CHECK(p.k == kb, "matmul: op(a) of ", a, " is [", p.m, ",", p.k, "] but op(b) of ", b,
             " is [", kb, ",", p.n, "] (trans_a=", ta, ", trans_b=", tb, ")");
  const Shape pa = prefix_of(a), pb = prefix_of(b);
  Shape prefix = pa.ndim() ? pa : pb;
  if (pa.ndim() && pb.ndim()) {
    STAA_CHECK(pa == pb, "matmul: batch dims differ: ", a, " and ", b);
  }
  p.batch = prefix.numel();
  p.stride_a = pa.ndim() ? p.m * p.k : 0;
  p.stride_b = pb.ndim() ? p.k * p.n : 0;
  plan.out_shape = prefix;
  plan.out_shape.push_back(p.m);
  plan.out_shape.push_back(p.n);
  if (pa.ndim() && !pb.ndim() && !ta) {  // fold the batch into the rows of A: one GEMM
    p.m *= p.batch;
    p.batch = 1;
  }
  p.stride_c = p.m * p.n;
  return plan;
}

// The forward computation without a tape node (backward reuses it).
Tensor matmul_raw(const Tensor& a, const Tensor& b, bool ta, bool tb) {
  const MatmulPlan plan = plan_matmul(a.shape(), b.shape(), ta, tb);
  Tensor c = empty_as(plan.out_shape, a);
  if (c.numel() == 0) return c;
  if (plan.p.k == 0) {
    backend_of(c).fill(c, 0.0);
    return c;
  }
  backend_of(a).gemm(plan.p, a, b, c);
  return c;
}

// Rows of a [..., r, c] tensor folded into [-1, c].
Tensor fold(const Tensor& x) {
  return x.view_as(Shape{x.numel() / x.shape().at(-1), x.shape().at(-1)});
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b, bool trans_a, bool trans_b) {
  check_pair("matmul", a, b);
  Tensor c = matmul_raw(a, b, trans_a, trans_b);
  if (needs_record({&a, &b})) {
    record(OpId::matmul, {a, b}, c, {a.detach(), b.detach()},
           [ta = trans_a, tb = trans_b](const BackwardContext& ctx, const Tensor& g,
                                        std::vector<Tensor>& gi) {
             const Tensor& sa = ctx.saved(0);
             const Tensor& sb = ctx.saved(1);
             if (ctx.needs_grad(0)) {
               Tensor ga = ta ? matmul_raw(sb, g, tb, true) : matmul_raw(g, sb, false, !tb);
               gi[0] = sum_to(ga, sa.shape());
             }
             if (ctx.needs_grad(1)) {
               Tensor gb;
               if (sb.ndim() == 2 && sa.ndim() > 2 && !ta) {  // shared B: sum over the batch
                 gb = tb ? matmul_raw(fold(g), fold(sa), true, false)
                         : matmul_raw(fold(sa), fold(g), true, false);
               } else {
                 gb = tb ? matmul_raw(g, sa, true, ta) : matmul_raw(sa, g, !ta, false);
               }
               gi[1] = sum_to(gb, sb.shape());
             }
           },
           {{"trans_a", trans_a}, {"trans_b", trans_b}});
  }
  return c;
}

// linear(x, W, b) = x W^T + b: a composite (matmul with trans_b, which folds x's leading dims
// into the GEMM's rows, then a broadcast add), so its gradients come from those two ops.
// x: [..., in], weight: [out, in], bias: [out] or undefined -> [..., out]
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  check_pair("linear", x, weight);
  STAA_CHECK(weight.ndim() == 2, "linear: expected weight of shape [out, in], got ",
             weight.shape());
  STAA_CHECK(x.ndim() >= 1 && x.shape().at(-1) == weight.shape()[1],
             "linear: expected x of shape [..., ", weight.shape()[1], "] for weight of shape ",
             weight.shape(), ", got ", x.shape());
  if (bias.defined()) {
    check_pair("linear", x, bias);
    STAA_CHECK(bias.shape() == Shape{weight.shape()[0]}, "linear: expected bias of shape [",
               weight.shape()[0], "] for weight of shape ", weight.shape(), ", got ", bias.shape());
  }
  const bool vector = x.ndim() == 1;
  Tensor y = matmul(vector ? reshape(x, {1, x.shape()[0]}) : x, weight, false, true);
  if (vector) y = reshape(y, {weight.shape()[0]});
  return bias.defined() ? add(y, bias) : y;
}

}  // namespace staa
