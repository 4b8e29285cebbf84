// libFuzzer target: AEDAT 2.0 streams, then framing the events (which checks their range).
// Layer: tests.
#include <cstddef>
#include <cstdint>

#include "data/aedat.h"
#include "data/frames.h"
#include "tensor/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const auto events = staa::data::parse_aedat2(data, size, "fuzz.aedat");
    staa::data::events_to_frames(events, {4, staa::data::SplitBy::kTime, 128, 128}, "fuzz.aedat");
  } catch (const staa::Error&) {
  }
  return 0;
}
