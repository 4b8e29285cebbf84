// Top-k hits (train/metrics.h). Layer: train.
#include "trainer/metrics.h"

#include "autograd/ops.h"
#include "autograd/tape.h"

namespace staa::train {

TopK topk_hits(const Tensor& logits, const Tensor& labels) {
  STAA_CHECK(logits.ndim() == 2 && labels.ndim() == 1 && labels.shape()[0] == logits.shape()[0],
             "topk_hits: expected logits [B, K] and labels [B], got ", logits.shape(), " and ",
             labels.shape());
  const int64_t B = logits.shape()[0], K = logits.shape()[1];
  const auto v = logits.to_vector(), y = labels.to_vector();
  TopK hits;
  for (int64_t b = 0; b < B; ++b) {
    const int64_t label = static_cast<int64_t>(y[b]);
    STAA_CHECK(label >= 0 && label < K, "topk_hits: label ", label, " outside [0, ", K, ")");
    const double target = v[b * K + label];
    int64_t above = 0;  // classes with a logit >= the label's, other than the label
    for (int64_t k = 0; k < K; ++k)
      if (k != label && v[b * K + k] >= target) ++above;
    hits.top1 += above == 0;
    hits.top5 += above < 5;
  }
  return hits;
}

Tensor topk_hit_counts(const Tensor& logits, const Tensor& labels) {
  STAA_CHECK(logits.ndim() == 2 && labels.ndim() == 1 && labels.shape()[0] == logits.shape()[0],
             "topk_hit_counts: expected logits [B, K] and labels [B], got ", logits.shape(),
             " and ", labels.shape());
  NoGradGuard no_grad;
  const int64_t B = logits.shape()[0];
  const Tensor target = gather(logits, 1, reshape(labels, {B, 1}));  // [B, 1]: the label's logit
  // Classes whose logit is >= the label's, the label included: 1 is a top-1 hit (ties count
  // against the label, as in topk_hits), at most 5 a top-5 hit.
  const Tensor at_or_above = sum(ge(logits, target), {1});  // [B]
  return stack({sum(le(at_or_above, 1.0)), sum(le(at_or_above, 5.0))}, 0);
}

}  // namespace staa::train
