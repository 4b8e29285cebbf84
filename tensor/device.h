// Device and DType: where a tensor lives and what its elements are.
// Layer: tensor. Plain value types, no CUDA headers (design §1).
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

namespace staa {

enum class DeviceType : uint8_t { kCpu, kCuda };

struct Device {
  DeviceType type = DeviceType::kCpu;
  int index = 0;

  static Device cpu() { return {DeviceType::kCpu, 0}; }
  static Device cuda(int index = 0) { return {DeviceType::kCuda, index}; }
  bool is_cpu() const { return type == DeviceType::kCpu; }
  bool is_cuda() const { return type == DeviceType::kCuda; }
  bool operator==(const Device&) const = default;
  std::string str() const;
};

// kF32 is the training type; kF64 exists for gradient checks on the CPU; kI64 holds labels and
// indices.
enum class DType : uint8_t { kF32, kF64, kI64 };

inline constexpr DType kF32 = DType::kF32;
inline constexpr DType kF64 = DType::kF64;
inline constexpr DType kI64 = DType::kI64;

inline size_t dtype_size(DType d) {
  return d == DType::kF32 ? 4 : 8;
}
inline bool is_floating(DType d) {
  return d != DType::kI64;
}
const char* dtype_name(DType d);

std::ostream& operator<<(std::ostream& out, const Device& d);
std::ostream& operator<<(std::ostream& out, DType d);

}  // namespace staa
