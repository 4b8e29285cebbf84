// Losses and dropout: cross_entropy and mse_loss (composites of recorded ops) and dropout (its
// own node: grad_x = grad_out * mask). Layer: autograd.
#include "autograd/ops/common.h"

namespace staa {

Tensor cross_entropy(const Tensor& logits, const Tensor& targets, double label_smoothing) {
  detail::check_float_input("cross_entropy", logits, "logits");
  check_defined("cross_entropy", targets, "targets");
  STAA_CHECK(logits.ndim() == 2, "cross_entropy: logits must be [N, C], got ", logits.shape());
  STAA_CHECK(targets.dtype() == kI64, "cross_entropy: targets must be i64 class indices, got ",
             targets.dtype());
  STAA_CHECK(targets.ndim() == 1 && targets.size(0) == logits.size(0),
             "cross_entropy: targets "
             "must be [N] = [",
             logits.size(0), "], got ", targets.shape());
  STAA_CHECK(label_smoothing >= 0.0 && label_smoothing <= 1.0,
             "cross_entropy: label_smoothing "
             "must be in [0, 1], got ",
             label_smoothing);
  STAA_CHECK(logits.size(0) > 0, "cross_entropy: empty batch");
  const int64_t classes = logits.size(1);
  // CPU targets are range-checked here. CUDA targets are not: reading them would wait for the
  // GPU in every training step (design §5). They are checked on the host where they enter (the
  // trainer checks each batch's labels before moving it, LoopConfig::num_classes); an
  // out-of-range CUDA target is the caller's error.
  if (targets.device().is_cpu()) {
    for (int64_t i = 0; i < targets.numel(); ++i) {
      const int64_t t = targets.data<int64_t>()[i];
      STAA_CHECK(t >= 0 && t < classes, "cross_entropy: target ", t, " of sample ", i,
                 " out of range [0, ", classes, ")");
    }
  }
  const Tensor logp = log_softmax(logits, 1);
  const Tensor picked = gather(logp, 1, targets.view_as(Shape{targets.numel(), 1}));
  Tensor loss = neg(mean(picked));
  if (label_smoothing > 0.0) {
    const Tensor smooth = neg(mean(logp));  // mean over samples and classes of -log p
    loss = add(mul(loss, 1.0 - label_smoothing), mul(smooth, label_smoothing));
  }
  return loss;
}

Tensor mse_loss(const Tensor& a, const Tensor& b) {
  detail::check_pair("mse_loss", a, b);
  STAA_CHECK(a.shape() == b.shape(), "mse_loss: shapes differ: ", a.shape(), " and ", b.shape());
  return mean(square(sub(a, b)));
}

Tensor dropout(const Tensor& x, double p, Generator& gen, bool training) {
  detail::check_float_input("dropout", x);
  STAA_CHECK(p >= 0.0 && p < 1.0, "dropout: p must be in [0, 1), got ", p);
  if (!training || p == 0.0) return x;
  Tensor mask = detail::empty_like(x);
  backend_of(x).dropout_mask(mask, 1.0 - p, gen.seed(), gen.draw(static_cast<uint64_t>(x.numel())));
  Tensor y = detail::empty_like(x);
  backend_of(x).binary(BinaryOp::mul, x, mask, y);
  if (needs_record({&x})) {
    record(OpId::dropout, {x}, y, {mask},
           [](const BackwardContext& ctx, const Tensor& g, std::vector<Tensor>& gi) {
             Tensor gx = detail::empty_like(g);
             backend_of(g).binary(BinaryOp::mul, g, ctx.saved(0), gx);
             gi[0] = gx;
           },
           {{"p", p}});
  }
  return y;
}

}  // namespace staa
