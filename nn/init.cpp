// Initialisers: gains, fans and the kaiming fills, on top of the tensor layer's Philox fills.
// Layer: nn. Every function checks its tensor is defined and floating, naming itself.
#include "nn/init.h"

#include <cmath>

#include "tensor/creation.h"

namespace staa::nn::init {

namespace {

void check_target(const char* fn, const Tensor& t) {
  STAA_CHECK(t.defined(), "nn::init::", fn, ": tensor is undefined");
  STAA_CHECK(is_floating(t.dtype()), "nn::init::", fn, ": tensor '", t.name(),
             "' must be floating point, got ", t.dtype());
}

// gain / sqrt(fan) for the kaiming fills.
double kaiming_std(const char* fn, const Tensor& t, double a, FanMode mode,
                   Nonlinearity nonlinearity) {
  check_target(fn, t);
  const Fans fans = compute_fans(t.shape());
  const int64_t fan = mode == FanMode::kFanIn ? fans.fan_in : fans.fan_out;
  STAA_CHECK(fan > 0, "nn::init::", fn, ": tensor '", t.name(), "' of shape ", t.shape(),
             " has zero fan");
  return calculate_gain(nonlinearity, a) / std::sqrt(static_cast<double>(fan));
}

}  // namespace

double calculate_gain(Nonlinearity nonlinearity, double negative_slope) {
  switch (nonlinearity) {
    case Nonlinearity::kLinear:
    case Nonlinearity::kConv:
    case Nonlinearity::kSigmoid:
      return 1.0;
    case Nonlinearity::kTanh:
      return 5.0 / 3.0;
    case Nonlinearity::kRelu:
      return std::sqrt(2.0);
    case Nonlinearity::kLeakyRelu:
      return std::sqrt(2.0 / (1.0 + negative_slope * negative_slope));
  }
  STAA_FAIL("nn::init::calculate_gain: unknown nonlinearity ", static_cast<int>(nonlinearity));
}

Fans compute_fans(const Shape& shape) {
  STAA_CHECK(shape.ndim() >= 2,
             "nn::init::compute_fans: expected a tensor of >= 2 dims "
             "([out, in, ...]), got ",
             shape);
  int64_t receptive = 1;
  for (int d = 2; d < shape.ndim(); ++d) receptive *= shape[d];
  return {shape[1] * receptive, shape[0] * receptive};
}

void uniform_(Tensor& t, double low, double high, Generator& gen) {
  check_target("uniform_", t);
  staa::uniform_(t, low, high, gen);
}

void normal_(Tensor& t, double mean, double stddev, Generator& gen) {
  check_target("normal_", t);
  STAA_CHECK(stddev >= 0, "nn::init::normal_: stddev must be >= 0, got ", stddev);
  staa::normal_(t, mean, stddev, gen);
}

void constant_(Tensor& t, double value) {
  STAA_CHECK(t.defined(), "nn::init::constant_: tensor is undefined");
  fill_(t, value);
}

void zeros_(Tensor& t) {
  constant_(t, 0.0);
}
void ones_(Tensor& t) {
  constant_(t, 1.0);
}

void kaiming_uniform_(Tensor& t, Generator& gen, double a, FanMode mode,
                      Nonlinearity nonlinearity) {
  const double bound = std::sqrt(3.0) * kaiming_std("kaiming_uniform_", t, a, mode, nonlinearity);
  staa::uniform_(t, -bound, bound, gen);
}

void kaiming_normal_(Tensor& t, Generator& gen, double a, FanMode mode, Nonlinearity nonlinearity) {
  staa::normal_(t, 0.0, kaiming_std("kaiming_normal_", t, a, mode, nonlinearity), gen);
}

void default_layer_init_(Tensor& weight, Tensor& bias, Generator& gen) {
  kaiming_uniform_(weight, gen, std::sqrt(5.0));
  if (!bias.defined()) return;
  const int64_t fan_in = compute_fans(weight.shape()).fan_in;
  const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
  init::uniform_(bias, -bound, bound, gen);
}

}  // namespace staa::nn::init
