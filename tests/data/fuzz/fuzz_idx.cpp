// libFuzzer target: IDX files, plain or gzipped (the gzip path runs the bounded inflater).
// Layer: tests.
#include <cstddef>
#include <cstdint>

#include "data/idx.h"
#include "data/io.h"
#include "tensor/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    if (staa::data::has_gzip_magic(data, size)) {
      const staa::data::Bytes raw = staa::data::gunzip(data, size, "fuzz.gz");
      staa::data::parse_idx(raw.data(), raw.size(), "fuzz.gz", 0);
    } else {
      staa::data::parse_idx(data, size, "fuzz", 0);
    }
  } catch (const staa::Error&) {
  }
  return 0;
}
