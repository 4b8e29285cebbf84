// Printing of Device and DType. Layer: tensor.
#include "tensor/device.h"

namespace staa {

std::string Device::str() const {
  return is_cpu() ? std::string("cpu") : "cuda:" + std::to_string(index);
}

const char* dtype_name(DType d) {
  switch (d) {
    case DType::kF32:
      return "f32";
    case DType::kF64:
      return "f64";
    case DType::kI64:
      return "i64";
  }
  return "?";
}

std::ostream& operator<<(std::ostream& out, const Device& d) {
  return out << d.str();
}
std::ostream& operator<<(std::ostream& out, DType d) {
  return out << dtype_name(d);
}

}  // namespace staa
