// BatchNorm2d and LayerNorm. Layer: nn. BatchNorm2d keeps running_mean / running_var [C] (updated
// in place in training mode, used in eval mode) and num_batches_tracked (an f32 scalar, so the
// increment stays on the device with no host sync; exact up to 2^24 batches). Affine weight
// starts at 1, bias at 0.
#pragma once

#include <cstdint>
#include <vector>

#include "nn/module.h"

namespace staa::nn {

class BatchNorm2d : public Module {
 public:
  explicit BatchNorm2d(int64_t num_features, double eps = 1e-5, double momentum = 0.1,
                       bool affine = true);

  // x: [N, num_features, H, W] -> same shape.
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "BatchNorm2d"; }
  std::string extra_repr() const override;

  const Tensor& weight() const { return weight_; }  // undefined when affine is false
  const Tensor& bias() const { return bias_; }
  const Tensor& running_mean() const { return running_mean_; }
  const Tensor& running_var() const { return running_var_; }
  const Tensor& num_batches_tracked() const { return num_batches_tracked_; }

 private:
  int64_t num_features_;
  double eps_;
  double momentum_;
  Tensor weight_;
  Tensor bias_;
  Tensor running_mean_;
  Tensor running_var_;
  Tensor num_batches_tracked_;
};

class LayerNorm : public Module {
 public:
  // Normalises over the trailing dims given by normalized_shape (e.g. {C} or {C, H, W}).
  explicit LayerNorm(std::vector<int64_t> normalized_shape, double eps = 1e-5, bool affine = true);

  // x: [..., normalized_shape] -> same shape.
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "LayerNorm"; }
  std::string extra_repr() const override;

  const Tensor& weight() const { return weight_; }  // undefined when affine is false
  const Tensor& bias() const { return bias_; }

 private:
  Shape normalized_shape_;
  double eps_;
  Tensor weight_;
  Tensor bias_;
};

}  // namespace staa::nn
