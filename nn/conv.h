// Conv2d: 2-D convolution with PyTorch's default init. Layer: nn.
// weight: [out_channels, in_channels / groups, KH, KW], bias: [out_channels] (absent when bias is
// false). Invariant: in_channels and out_channels are multiples of groups.
#pragma once

#include <array>
#include <cstdint>

#include "autograd/ops.h"
#include "nn/module.h"

namespace staa::nn {

class Conv2d : public Module {
 public:
  // gen: the explicit, seeded source of the initial weights; options: stride, padding, dilation,
  // groups (as staa::conv2d takes them), e.g. {.stride = {2, 2}, .padding = {1, 1}}.
  Conv2d(int64_t in_channels, int64_t out_channels, std::array<int64_t, 2> kernel_size,
         Generator& gen, const Conv2dOptions& options = {}, bool bias = true);
  Conv2d(int64_t in_channels, int64_t out_channels, int64_t kernel_size, Generator& gen,
         const Conv2dOptions& options = {}, bool bias = true);

  // x: [N, in_channels, H, W] -> [N, out_channels, H_out, W_out].
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "Conv2d"; }
  std::string extra_repr() const override;

  // weight ~ kaiming_uniform(a = sqrt(5)) (= U(+-1/sqrt(fan_in))), bias ~ U(+-1/sqrt(fan_in)),
  // fan_in = in_channels / groups * KH * KW.
  void reset_parameters(Generator& gen);
  const Conv2dOptions& options() const { return options_; }
  const Tensor& weight() const { return weight_; }
  const Tensor& bias() const { return bias_; }  // undefined when bias is false

 private:
  int64_t in_channels_;
  int64_t out_channels_;
  std::array<int64_t, 2> kernel_size_;
  Conv2dOptions options_;
  Tensor weight_;
  Tensor bias_;
};

}  // namespace staa::nn
