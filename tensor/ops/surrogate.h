// Surrogate spike functions: the Heaviside step forward, a smooth derivative backward (paper
// Eq. 5), shared by the spike ops, the fused LIF kernels and both backends. Layer: tensor.
// x is the distance to the threshold, V - v_th; the spike is 1 exactly when x >= 0. In
// "primitive" mode the forward is the surrogate's smooth primitive instead of the step, so that
// finite differences of the forward equal the backward (gradient checks).
#pragma once

#include <cmath>
#include <cstdint>

#include "tensor/generator.h"  // STAA_HOST_DEVICE

namespace staa {

enum class SurrogateKind : uint8_t {
  kRectangular,  // dS/dx = (1/a) 1(|x| < a/2);      primitive clamp(x/a + 1/2, 0, 1); a = 1
  kSigmoid,      // dS/dx = a s(a x)(1 - s(a x));     primitive s(a x);                 a = 4
  kAtan,         // dS/dx = (a/2) / (1 + (pi a x/2)^2); primitive atan(pi a x / 2)/pi + 1/2; a = 2
};

// The paper's default width (rectangular a = 1), SpikingJelly's sigmoid (4) and atan (2).
constexpr double default_surrogate_alpha(SurrogateKind kind) {
  return kind == SurrogateKind::kRectangular ? 1.0 : kind == SurrogateKind::kSigmoid ? 4.0 : 2.0;
}

constexpr const char* surrogate_name(SurrogateKind kind) {
  return kind == SurrogateKind::kRectangular ? "rectangular"
         : kind == SurrogateKind::kSigmoid   ? "sigmoid"
                                             : "atan";
}

struct Surrogate {
  SurrogateKind kind = SurrogateKind::kRectangular;
  double alpha = 1.0;      // width (rectangular) or sharpness (sigmoid, atan)
  bool primitive = false;  // forward = the smooth primitive (gradient checks only)
};

// The forward: exactly 0 or 1 (or the primitive).
template <typename T>
STAA_HOST_DEVICE inline T spike_forward(T x, SurrogateKind kind, T alpha, bool primitive) {
  if (!primitive) return x >= T(0) ? T(1) : T(0);
  const T pi = T(3.14159265358979323846);
  switch (kind) {
    case SurrogateKind::kRectangular: {
      const T v = x / alpha + T(0.5);
      return v < T(0) ? T(0) : (v > T(1) ? T(1) : v);
    }
    case SurrogateKind::kSigmoid:
      return T(1) / (T(1) + std::exp(-alpha * x));
    default:
      return std::atan(pi * alpha * x / T(2)) / pi + T(0.5);
  }
}

// The surrogate derivative dS/dx, the same in both modes.
template <typename T>
STAA_HOST_DEVICE inline T spike_grad(T x, SurrogateKind kind, T alpha) {
  const T pi = T(3.14159265358979323846);
  switch (kind) {
    case SurrogateKind::kRectangular:
      // No branch (`&`, and the division outside the condition), so CPU loops vectorise.
      return T((x < alpha / T(2)) & (x > -alpha / T(2))) * (T(1) / alpha);
    case SurrogateKind::kSigmoid: {
      const T s = T(1) / (T(1) + std::exp(-alpha * x));
      return alpha * s * (T(1) - s);
    }
    default: {
      const T u = pi * alpha * x / T(2);
      return alpha / T(2) / (T(1) + u * u);
    }
  }
}

}  // namespace staa
