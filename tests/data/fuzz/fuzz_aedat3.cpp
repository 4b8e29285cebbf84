// libFuzzer target: AEDAT 3.1 packet streams, then framing split by count. Layer: tests.
#include <cstddef>
#include <cstdint>

#include "data/aedat.h"
#include "data/frames.h"
#include "tensor/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const auto events = staa::data::parse_aedat3(data, size, "fuzz.aedat");
    staa::data::events_to_frames(events, {3, staa::data::SplitBy::kCount, 128, 128}, "fuzz.aedat");
  } catch (const staa::Error&) {
  }
  return 0;
}
