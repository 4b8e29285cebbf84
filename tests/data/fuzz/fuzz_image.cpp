// libFuzzer target: image decoding through stb_image (JPEG, PNG, BMP). Layer: tests.
#include <cstddef>
#include <cstdint>

#include "data/image_folder.h"
#include "tensor/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    staa::data::decode_image(data, size, "fuzz.png");
  } catch (const staa::Error&) {
  }
  return 0;
}
