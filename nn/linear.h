// Linear: y = x W^T + b with PyTorch's default init. Layer: nn.
// weight: [out_features, in_features], bias: [out_features] (absent when bias is false).
#pragma once

#include <cstdint>

#include "nn/module.h"
#include "tensor/generator.h"

namespace staa::nn {

class Linear : public Module {
 public:
  // gen: the explicit, seeded source of the initial weights.
  Linear(int64_t in_features, int64_t out_features, Generator& gen, bool bias = true);

  // x: [..., in_features] -> [..., out_features].
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "Linear"; }
  std::string extra_repr() const override;

  // weight ~ kaiming_uniform(a = sqrt(5)) (= U(+-1/sqrt(in))), bias ~ U(+-1/sqrt(in)).
  void reset_parameters(Generator& gen);
  int64_t in_features() const { return in_features_; }
  int64_t out_features() const { return out_features_; }
  const Tensor& weight() const { return weight_; }
  const Tensor& bias() const { return bias_; }  // undefined when bias is false

 private:
  int64_t in_features_;
  int64_t out_features_;
  Tensor weight_;
  Tensor bias_;
};

}  // namespace staa::nn
