// Generator: counter-based Philox-4x32-10 random numbers from an explicit seed. The stream of a
// (seed, offset) pair is the same on every device and thread count, so CPU and CUDA runs and
// multi-threaded fills agree bit for bit. Layer: tensor.
#pragma once

#include <array>
#include <cstdint>

#ifdef __CUDACC__
#define STAA_HOST_DEVICE __host__ __device__
#else
#define STAA_HOST_DEVICE
#endif

namespace staa {

// One Philox-4x32-10 block: 4 random 32-bit words for a (key, counter).
STAA_HOST_DEVICE inline void philox4x32(uint64_t key, uint64_t counter_lo, uint64_t counter_hi,
                                        uint32_t out[4]) {
  uint32_t c0 = static_cast<uint32_t>(counter_lo), c1 = static_cast<uint32_t>(counter_lo >> 32);
  uint32_t c2 = static_cast<uint32_t>(counter_hi), c3 = static_cast<uint32_t>(counter_hi >> 32);
  uint32_t k0 = static_cast<uint32_t>(key), k1 = static_cast<uint32_t>(key >> 32);
  for (int round = 0; round < 10; ++round) {
    const uint64_t p0 = static_cast<uint64_t>(0xD2511F53u) * c0;
    const uint64_t p1 = static_cast<uint64_t>(0xCD9E8D57u) * c2;
    const uint32_t hi0 = static_cast<uint32_t>(p0 >> 32), lo0 = static_cast<uint32_t>(p0);
    const uint32_t hi1 = static_cast<uint32_t>(p1 >> 32), lo1 = static_cast<uint32_t>(p1);
    c0 = hi1 ^ c1 ^ k0;
    c1 = lo1;
    c2 = hi0 ^ c3 ^ k1;
    c3 = lo0;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}

// Uniform in [0, 1) from 24 random bits (exactly representable in float).
STAA_HOST_DEVICE inline float uint_to_unit_float(uint32_t x) {
  return static_cast<float>(x >> 8) * (1.0f / 16777216.0f);
}
// Uniform in [0, 1) from 53 random bits.
STAA_HOST_DEVICE inline double uint_to_unit_double(uint32_t hi, uint32_t lo) {
  const uint64_t bits = (static_cast<uint64_t>(hi) << 21) ^ (lo >> 11);
  return static_cast<double>(bits & ((1ull << 53) - 1)) * (1.0 / 9007199254740992.0);
}

// A seeded stream. Each fill takes a fresh range of counters: draw(n) returns the offset to use
// for element 0 of a fill of n elements and advances past it.
class Generator {
 public:
  explicit Generator(uint64_t seed = 0) : seed_(seed) {}
  uint64_t seed() const { return seed_; }
  uint64_t offset() const { return offset_; }
  void set_state(uint64_t seed, uint64_t offset) {
    seed_ = seed;
    offset_ = offset;
  }
  uint64_t draw(uint64_t n) {
    const uint64_t start = offset_;
    offset_ += n;
    return start;
  }
  // A single uniform double in [0, 1), for host-side decisions (shuffles, TSRD draws).
  double next_double() {
    uint32_t r[4];
    philox4x32(seed_, draw(1), 0x5eedull, r);
    return uint_to_unit_double(r[0], r[1]);
  }
  uint64_t next_u64() {
    uint32_t r[4];
    philox4x32(seed_, draw(1), 0x5eedull, r);
    return (static_cast<uint64_t>(r[0]) << 32) | r[1];
  }

 private:
  uint64_t seed_ = 0;
  uint64_t offset_ = 0;
};

}  // namespace staa
