// Pooling layers: AvgPool2d, MaxPool2d and AdaptiveAvgPool2d, thin modules over staa's pool ops
// (no parameters, no buffers). Layer: nn. x: [N, C, H, W] -> [N, C, H_out, W_out].
#pragma once

#include <array>
#include <cstdint>

#include "autograd/ops.h"
#include "nn/module.h"

namespace staa::nn {

class AvgPool2d : public Module {
 public:
  // options: kernel, stride ({0, 0}: the kernel), padding, ceil_mode, count_include_pad.
  explicit AvgPool2d(const Pool2dOptions& options);
  // Square kernel; stride 0 means the kernel size.
  explicit AvgPool2d(int64_t kernel_size, int64_t stride = 0, int64_t padding = 0);
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "AvgPool2d"; }
  std::string extra_repr() const override;

 private:
  Pool2dOptions options_;
};

class MaxPool2d : public Module {
 public:
  explicit MaxPool2d(const Pool2dOptions& options);
  explicit MaxPool2d(int64_t kernel_size, int64_t stride = 0, int64_t padding = 0);
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "MaxPool2d"; }
  std::string extra_repr() const override;

 private:
  Pool2dOptions options_;
};

class AdaptiveAvgPool2d : public Module {
 public:
  // {1, 1} is global average pooling.
  explicit AdaptiveAvgPool2d(std::array<int64_t, 2> output_size);
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "AdaptiveAvgPool2d"; }
  std::string extra_repr() const override;

 private:
  std::array<int64_t, 2> output_size_;
};

}  // namespace staa::nn
