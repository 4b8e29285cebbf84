// BatchNorm2d and LayerNorm: buffers, checks and the forwards through staa::batch_norm and
// staa::layer_norm. Layer: nn.
#include "nn/norm.h"

#include <sstream>

#include "autograd/ops.h"

namespace staa::nn {

BatchNorm2d::BatchNorm2d(int64_t num_features, double eps, double momentum, bool affine)
    : num_features_(num_features), eps_(eps), momentum_(momentum) {
  STAA_CHECK(num_features > 0, "BatchNorm2d: expected num_features > 0, got ", num_features);
  STAA_CHECK(eps > 0, "BatchNorm2d: expected eps > 0, got ", eps);
  STAA_CHECK(momentum >= 0 && momentum <= 1, "BatchNorm2d: expected momentum in [0, 1], got ",
             momentum);
  if (affine) {
    weight_ = register_parameter("weight", ones({num_features}));
    bias_ = register_parameter("bias", zeros({num_features}));
  }
  running_mean_ = register_buffer("running_mean", zeros({num_features}));
  running_var_ = register_buffer("running_var", ones({num_features}));
  num_batches_tracked_ = register_buffer("num_batches_tracked", zeros(Shape()));
}

Tensor BatchNorm2d::forward(const Tensor& x) {
  STAA_CHECK(x.defined() && x.ndim() == 4 && x.size(1) == num_features_,
             "BatchNorm2d: expected x [N, ", num_features_, ", H, W], got ",
             x.defined() ? x.shape().str() : "an undefined tensor");
  if (is_training()) {
    NoGradGuard no_grad;
    add_(num_batches_tracked_,
         ones(Shape(), {num_batches_tracked_.dtype(), num_batches_tracked_.device()}));
  }
  return batch_norm(x, weight_, bias_, running_mean_, running_var_, is_training(), momentum_, eps_);
}

std::string BatchNorm2d::extra_repr() const {
  std::ostringstream out;
  out << num_features_ << ", eps=" << eps_ << ", momentum=" << momentum_
      << ", affine=" << (weight_.defined() ? "true" : "false");
  return out.str();
}

LayerNorm::LayerNorm(std::vector<int64_t> normalized_shape, double eps, bool affine)
    : normalized_shape_(normalized_shape), eps_(eps) {
  STAA_CHECK(!normalized_shape.empty(), "LayerNorm: normalized_shape must have >= 1 dim");
  for (int64_t d : normalized_shape) {
    STAA_CHECK(d > 0, "LayerNorm: normalized_shape must be positive, got ", normalized_shape_);
  }
  STAA_CHECK(eps > 0, "LayerNorm: expected eps > 0, got ", eps);
  if (affine) {
    weight_ = register_parameter("weight", ones(normalized_shape_));
    bias_ = register_parameter("bias", zeros(normalized_shape_));
  }
}

Tensor LayerNorm::forward(const Tensor& x) {
  const int n = normalized_shape_.ndim();
  bool match = x.defined() && x.ndim() >= n;
  for (int i = 0; match && i < n; ++i) match = x.size(x.ndim() - n + i) == normalized_shape_[i];
  STAA_CHECK(match, "LayerNorm: expected x [..., ", normalized_shape_.str().substr(1),
             " (trailing dims), got ", x.defined() ? x.shape().str() : "an undefined tensor");
  return layer_norm(x, n, weight_, bias_, eps_);
}

std::string LayerNorm::extra_repr() const {
  std::ostringstream out;
  out << normalized_shape_ << ", eps=" << eps_
      << ", elementwise_affine=" << (weight_.defined() ? "true" : "false");
  return out.str();
}

}  // namespace staa::nn
