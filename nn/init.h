// Parameter initialisers (torch.nn.init's rules): fills in place from an explicit Generator, fans
// computed from the tensor shape. Layer: nn. Invariant: no hidden RNG; the same generator state
// gives the same values. Fills are not recorded on the tape and bump the tensor's version.
#pragma once

#include <cstdint>

#include "tensor/generator.h"
#include "tensor/tensor.h"

namespace staa::nn::init {

enum class Nonlinearity { kLinear, kConv, kSigmoid, kTanh, kRelu, kLeakyRelu };
enum class FanMode { kFanIn, kFanOut };

// linear/conv/sigmoid: 1, tanh: 5/3, relu: sqrt(2), leaky_relu: sqrt(2 / (1 + slope^2)).
double calculate_gain(Nonlinearity nonlinearity, double negative_slope = 0.01);

// For a weight [out, in, k...]: fan_in = in * prod(k), fan_out = out * prod(k). Needs >= 2 dims.
struct Fans {
  int64_t fan_in = 0;
  int64_t fan_out = 0;
};
Fans compute_fans(const Shape& shape);

void uniform_(Tensor& t, double low, double high, Generator& gen);
void normal_(Tensor& t, double mean, double stddev, Generator& gen);
void constant_(Tensor& t, double value);
void zeros_(Tensor& t);
void ones_(Tensor& t);

// U(-bound, bound), bound = gain * sqrt(3 / fan); gain from nonlinearity and a (the leaky_relu
// slope). PyTorch's layer default is a = sqrt(5), which gives bound = 1 / sqrt(fan_in).
void kaiming_uniform_(Tensor& t, Generator& gen, double a = 0, FanMode mode = FanMode::kFanIn,
                      Nonlinearity nonlinearity = Nonlinearity::kLeakyRelu);
// N(0, std^2), std = gain / sqrt(fan).
void kaiming_normal_(Tensor& t, Generator& gen, double a = 0, FanMode mode = FanMode::kFanIn,
                     Nonlinearity nonlinearity = Nonlinearity::kLeakyRelu);

// PyTorch's default for Linear and Conv: weight ~ kaiming_uniform(a = sqrt(5)), which is
// U(+-1/sqrt(fan_in)), and bias (if defined) ~ U(+-1/sqrt(fan_in)) with the weight's fan_in.
void default_layer_init_(Tensor& weight, Tensor& bias, Generator& gen);

}  // namespace staa::nn::init
