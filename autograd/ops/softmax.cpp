// softmax and log_softmax over a dim, forward and backward. Layer: autograd.
// With y = softmax(x):     dx = y * (g - sum(g * y))
// With y = log_softmax(x): dx = g - softmax(x) * sum(g) = g - exp(y) * sum(g)
// (sums along the dim). Only y is saved.
#include "autograd/ops/common.h"
#include "tensor/ops/layout.h"

namespace staa {

namespace {

Tensor softmax_op(const Tensor& x, int64_t dim, bool log) {
  const char* name = log ? "log_softmax" : "softmax";
  detail::check_float_input(name, x);
  const DimLayout l = dim_layout(x.shape(), normalize_dim(name, dim, x.ndim()));
  Tensor y = detail::empty_like(x);
  backend_of(x).softmax(x, l, log, y);
  if (needs_record({&x})) {
    record(log ? OpId::log_softmax : OpId::softmax, {x}, y, {y.detach()},
           [l, log](const BackwardContext& ctx, const Tensor& g, std::vector<Tensor>& gi) {
             Tensor gx = detail::empty_like(g);
             backend_of(g).softmax_backward(ctx.saved(0), g, l, log, gx);
             gi[0] = gx;
           },
           {{"dim", dim}});
  }
  return y;
}

}  // namespace

Tensor softmax(const Tensor& x, int64_t dim) {
  return softmax_op(x, dim, false);
}
Tensor log_softmax(const Tensor& x, int64_t dim) {
  return softmax_op(x, dim, true);
}

}  // namespace staa
