// Top-k hits (train/metrics.h). Layer: train.
#include "trainer/metrics.h"

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

}  // namespace staa::train
