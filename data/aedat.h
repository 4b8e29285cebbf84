// Event-camera files (spec §5): AEDAT 2.0 as CIFAR10-DVS stores it (big-endian address/timestamp
// pairs after '#' header lines) and AEDAT 3.1 as DVS128 Gesture stores it (little-endian packets
// with 28-byte headers). Layer: data. Parsers take bytes, so the fuzz targets reach them directly;
// a partial record, a packet cut short or a packet with more events than its capacity is an error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace staa::data {

struct Event {
  int64_t t = 0;  // microseconds
  int32_t x = 0;
  int32_t y = 0;
  int32_t p = 0;  // polarity, 0 or 1
};

// AEDAT 2.0 (CIFAR10-DVS): x = (addr & 0xFE) >> 1, y = (addr & 0x7F00) >> 8, p = addr & 1, then
// SpikingJelly's convention x' = 127 - y, y' = 127 - x, p' = 1 - p (so events land in 128x128).
std::vector<Event> parse_aedat2(const uint8_t* data, size_t size, const std::string& path);

// AEDAT 3.1 (DVS128 Gesture): header up to "#!END-HEADER\r\n"; polarity packets (type 1, 8-byte
// events: data u32, timestamp u32 | overflow << 31), x = (data >> 17) & 0x7FFF,
// y = (data >> 2) & 0x7FFF, p = (data >> 1) & 1. Other packet types are skipped.
std::vector<Event> parse_aedat3(const uint8_t* data, size_t size, const std::string& path);

// Readers of whole files.
std::vector<Event> read_aedat2(const std::string& path, const std::string& hint = "");
std::vector<Event> read_aedat3(const std::string& path, const std::string& hint = "");

}  // namespace staa::data
