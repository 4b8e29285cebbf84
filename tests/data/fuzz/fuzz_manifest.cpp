// libFuzzer target: the frame-cache manifest. A manifest that parses must survive a round trip
// through format_manifest unchanged (else abort: the fuzzer reports it). Layer: tests.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "data/frame_cache.h"
#include "tensor/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const staa::data::FrameManifest m = staa::data::parse_manifest(text, "fuzz/manifest.txt");
    const std::string again = staa::data::format_manifest(m);
    if (staa::data::format_manifest(staa::data::parse_manifest(again, "again")) != again)
      std::abort();
  } catch (const staa::Error&) {
  }
  return 0;
}
