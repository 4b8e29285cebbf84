// Classification metrics of the loop: top-k hits of a batch and running means. Layer: train.
#pragma once

#include <cstdint>

#include "tensor/tensor.h"

namespace staa::train {

struct TopK {
  int64_t top1 = 0;  // rows whose label is the arg-max
  int64_t top5 = 0;  // rows whose label is among the 5 largest (all of them when K <= 5)
};

// logits: [B, K], labels: [B] i64. Ties count against the label (a row of equal logits is a miss
// unless K <= 5).
TopK topk_hits(const Tensor& logits, const Tensor& labels);

// The same counts without a host read: [2] = {top-1 hits, top-5 hits} in logits' dtype on
// logits' device (the loop reads them together with the loss, once per step). Rows with a NaN
// logit may count differently from topk_hits (such steps fail the loop's finite check anyway).
Tensor topk_hit_counts(const Tensor& logits, const Tensor& labels);

// A running mean weighted by counts (loss per image, accuracy per image).
class RunningMean {
 public:
  void add(double value, int64_t count = 1) {
    sum_ += value * static_cast<double>(count);
    count_ += count;
  }
  double mean() const { return count_ > 0 ? sum_ / static_cast<double>(count_) : 0.0; }
  int64_t count() const { return count_; }

 private:
  double sum_ = 0;
  int64_t count_ = 0;
};

}  // namespace staa::train
