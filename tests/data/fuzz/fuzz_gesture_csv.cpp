// libFuzzer target: DVS128 Gesture labels CSV and trial lists, then slicing a few events by the
// parsed rows. Layer: tests.
#include <cstddef>
#include <cstdint>
#include <string>

#include "data/gesture.h"
#include "tensor/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const auto segments = staa::data::parse_gesture_labels(text, "fuzz.csv");
    staa::data::slice_events({{0, 1, 1, 0}, {500, 2, 2, 1}, {100000, 3, 3, 0}}, segments);
  } catch (const staa::Error&) {
  }
  try {
    staa::data::parse_trial_list(text, "fuzz.txt");
  } catch (const staa::Error&) {
  }
  return 0;
}
