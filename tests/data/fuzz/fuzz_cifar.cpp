// libFuzzer target: CIFAR-10 and CIFAR-100 records (first byte picks the kind). Layer: tests.
#include <cstddef>
#include <cstdint>

#include "data/cifar.h"
#include "tensor/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const auto kind =
      data[0] & 1 ? staa::data::CifarKind::kCifar100 : staa::data::CifarKind::kCifar10;
  try {
    staa::data::parse_cifar(data + 1, size - 1, kind, "fuzz.bin");
  } catch (const staa::Error&) {
  }
  return 0;
}
