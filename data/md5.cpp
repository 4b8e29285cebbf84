// MD5 after RFC 1321 (see md5.h). Layer: data. Written from the RFC's description: 64-byte
// blocks, four rounds of 16 steps, little-endian words; checked against the RFC's test suite.
#include "data/md5.h"

#include <array>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <vector>

#include "tensor/error.h"

namespace staa::data {
namespace {

constexpr std::array<uint32_t, 64> kShift = {
    7,  12, 17, 22, 7,  12, 17, 22, 7,  12, 17, 22, 7,  12, 17, 22, 5,  9,  14, 20, 5,  9,
    14, 20, 5,  9,  14, 20, 5,  9,  14, 20, 4,  11, 16, 23, 4,  11, 16, 23, 4,  11, 16, 23,
    4,  11, 16, 23, 6,  10, 15, 21, 6,  10, 15, 21, 6,  10, 15, 21, 6,  10, 15, 21};

// K[i] = floor(2^32 * |sin(i + 1)|), as the RFC defines it.
std::array<uint32_t, 64> make_constants() {
  std::array<uint32_t, 64> k{};
  for (int i = 0; i < 64; ++i)
    k[i] = static_cast<uint32_t>(std::fabs(std::sin(i + 1.0)) * 4294967296.0);
  return k;
}

uint32_t rotl(uint32_t x, uint32_t c) {
  return (x << c) | (x >> (32 - c));
}

class Md5 {
 public:
  void update(const uint8_t* p, size_t n) {
    total_ += n;
    while (n > 0) {
      const size_t take = std::min(n, 64 - fill_);
      std::memcpy(block_ + fill_, p, take);
      fill_ += take;
      p += take;
      n -= take;
      if (fill_ == 64) {
        compress(block_);
        fill_ = 0;
      }
    }
  }
  std::string hex() {
    const uint64_t bits = total_ * 8;
    const uint8_t one = 0x80, zero = 0;
    update(&one, 1);
    while (fill_ != 56) update(&zero, 1);
    uint8_t len[8];
    for (int i = 0; i < 8; ++i) len[i] = static_cast<uint8_t>(bits >> (8 * i));
    update(len, 8);
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (const uint32_t word : state_) {
      for (int i = 0; i < 4; ++i) {
        const uint8_t b = static_cast<uint8_t>(word >> (8 * i));
        out += digits[b >> 4];
        out += digits[b & 15];
      }
    }
    return out;
  }

 private:
  void compress(const uint8_t* block) {
    static const std::array<uint32_t, 64> k = make_constants();
    uint32_t m[16];
    for (int i = 0; i < 16; ++i) {
      m[i] = uint32_t{block[4 * i]} | (uint32_t{block[4 * i + 1]} << 8) |
             (uint32_t{block[4 * i + 2]} << 16) | (uint32_t{block[4 * i + 3]} << 24);
    }
    uint32_t a = state_[0], b = state_[1], c = state_[2], d = state_[3];
    for (int i = 0; i < 64; ++i) {
      uint32_t f;
      int g;
      if (i < 16)
        f = (b & c) | (~b & d), g = i;
      else if (i < 32)
        f = (d & b) | (~d & c), g = (5 * i + 1) % 16;
      else if (i < 48)
        f = b ^ c ^ d, g = (3 * i + 5) % 16;
      else
        f = c ^ (b | ~d), g = (7 * i) % 16;
      const uint32_t next = b + rotl(a + f + k[i] + m[g], kShift[i]);
      a = d;
      d = c;
      c = b;
      b = next;
    }
    state_[0] += a;
    state_[1] += b;
    state_[2] += c;
    state_[3] += d;
  }

  std::array<uint32_t, 4> state_ = {0x67452301u, 0xefcdab89u, 0x98badcfeu, 0x10325476u};
  uint8_t block_[64] = {};
  size_t fill_ = 0;
  uint64_t total_ = 0;
};

}  // namespace

std::string md5_hex(const void* data, size_t size) {
  Md5 md5;
  md5.update(static_cast<const uint8_t*>(data), size);
  return md5.hex();
}

std::string md5_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  STAA_CHECK(in.good(), path, ": cannot open for reading (", std::strerror(errno), ")");
  Md5 md5;
  std::vector<char> buffer(1 << 20);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    md5.update(reinterpret_cast<const uint8_t*>(buffer.data()), static_cast<size_t>(in.gcount()));
  }
  STAA_CHECK(in.eof(), path, ": read error while hashing");
  return md5.hex();
}

}  // namespace staa::data
