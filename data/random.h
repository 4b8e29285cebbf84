// SampleRng: a counter-based random stream for the data layer, keyed by (seed, domain, epoch,
// item). Layer: data. Built on the tensor layer's Philox-4x32-10, so a shuffle, an augmentation or
// a mixup draw depends only on those four numbers, never on thread or worker scheduling.
#pragma once

#include <cmath>
#include <cstdint>

#include "tensor/generator.h"

namespace staa::data {

// Streams of different purposes never share counters.
enum class RngDomain : uint64_t { kShuffle = 1, kSample = 2, kBatch = 3, kSplit = 4 };

class SampleRng {
 public:
  // counter = (item, domain << 60 | epoch << 32 | block): up to 2^28 epochs, 2^32 blocks a stream.
  SampleRng(uint64_t seed, RngDomain domain, uint64_t epoch, uint64_t item)
      : seed_(seed),
        item_(item),
        hi_((static_cast<uint64_t>(domain) << 60) | ((epoch & 0xFFFFFFFull) << 32)) {}

  uint32_t next_u32() {
    if (used_ == 4) {
      philox4x32(seed_, item_, hi_ | block_, buffer_);
      ++block_;
      used_ = 0;
    }
    return buffer_[used_++];
  }
  // Uniform in [0, 1) with 53 random bits.
  double uniform() {
    const uint32_t a = next_u32(), b = next_u32();
    return uint_to_unit_double(a, b);
  }
  double uniform(double low, double high) { return low + (high - low) * uniform(); }
  // Uniform integer in [0, n), n > 0 (multiply-shift on 64 random bits; bias below 2^-32).
  int64_t below(int64_t n) {
    const uint64_t r = (static_cast<uint64_t>(next_u32()) << 32) | next_u32();
    return static_cast<int64_t>((static_cast<unsigned __int128>(r) * static_cast<uint64_t>(n)) >>
                                64);
  }
  // Uniform integer in [low, high].
  int64_t between(int64_t low, int64_t high) { return low + below(high - low + 1); }
  bool bernoulli(double p) { return uniform() < p; }
  // Standard normal (Box-Muller, one value per two uniforms).
  double normal() {
    const double u1 = 1.0 - uniform(), u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  // Gamma(shape, 1) by Marsaglia-Tsang (boosted for shape < 1).
  double gamma(double shape);
  // Beta(a, b) from two gammas.
  double beta(double a, double b) {
    const double x = gamma(a), y = gamma(b);
    return x / (x + y);
  }

 private:
  uint64_t seed_, item_, hi_;
  uint64_t block_ = 0;
  uint32_t buffer_[4] = {0, 0, 0, 0};
  int used_ = 4;
};

inline double SampleRng::gamma(double shape) {
  if (shape < 1.0) return gamma(shape + 1.0) * std::pow(uniform() + 1e-300, 1.0 / shape);
  const double d = shape - 1.0 / 3.0, c = 1.0 / std::sqrt(9.0 * d);
  while (true) {
    double x, v;
    do {
      x = normal();
      v = 1.0 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const double u = uniform();
    if (u < 1.0 - 0.0331 * x * x * x * x) return d * v;
    if (std::log(u + 1e-300) < 0.5 * x * x + d * (1.0 - v + std::log(v))) return d * v;
  }
}

}  // namespace staa::data
