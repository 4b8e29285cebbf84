// AEDAT 2.0 and 3.1 parsers (see aedat.h). Layer: data. Offsets in errors are byte offsets in the
// file, so a user can look at the bytes with a hex dump.
#include "data/aedat.h"

#include <cstring>

#include "data/io.h"
#include "tensor/error.h"

namespace staa::data {
namespace {

constexpr size_t kPacketHeader = 28;
constexpr uint16_t kPolarityEvent = 1;
constexpr char kEndHeader[] = "#!END-HEADER\r\n";

// Offset of the first byte after the '#' lines at the start (each line ends with '\n').
size_t skip_hash_lines(const uint8_t* data, size_t size) {
  size_t pos = 0;
  while (pos < size && data[pos] == '#') {
    const void* nl = std::memchr(data + pos, '\n', size - pos);
    if (nl == nullptr) return size;
    pos = static_cast<size_t>(static_cast<const uint8_t*>(nl) - data) + 1;
  }
  return pos;
}

}  // namespace

std::vector<Event> parse_aedat2(const uint8_t* data, size_t size, const std::string& path) {
  const size_t body = skip_hash_lines(data, size);
  const size_t bytes = size - body;
  STAA_CHECK(bytes % 8 == 0, path,
             ": truncated event stream: expected 8-byte (address, timestamp) ",
             "records after the ", body, "-byte header, found ", bytes, " bytes (", bytes / 8,
             " records and ", bytes % 8, " stray bytes)");
  std::vector<Event> events(bytes / 8);
  for (size_t i = 0; i < events.size(); ++i) {
    const uint8_t* r = data + body + 8 * i;
    const uint32_t addr = load_be32(r);
    const int32_t x = static_cast<int32_t>((addr & 0xFE) >> 1);
    const int32_t y = static_cast<int32_t>((addr & 0x7F00) >> 8);
    events[i] = Event{load_be32(r + 4), 127 - y, 127 - x, 1 - static_cast<int32_t>(addr & 1)};
  }
  return events;
}

std::vector<Event> parse_aedat3(const uint8_t* data, size_t size, const std::string& path) {
  const char* magic = "#!AER-DAT3";
  STAA_CHECK(size >= 10 && std::memcmp(data, magic, 10) == 0, path,
             ": expected an AEDAT 3.x file starting with '#!AER-DAT3', found ",
             size < 10 ? "a " + std::to_string(size) + "-byte file" : "other bytes");
  const uint8_t* end_header = nullptr;
  const size_t tag = sizeof kEndHeader - 1;
  for (size_t pos = 0; pos + tag <= size; ++pos) {
    if (data[pos] == '#' && std::memcmp(data + pos, kEndHeader, tag) == 0) {
      end_header = data + pos + tag;
      break;
    }
  }
  STAA_CHECK(end_header != nullptr, path,
             ": corrupt header: expected the line '#!END-HEADER\\r\\n', found none");
  std::vector<Event> events;
  size_t pos = static_cast<size_t>(end_header - data);
  for (int64_t packet = 0; pos < size; ++packet) {
    STAA_CHECK(size - pos >= kPacketHeader, path, ": truncated event stream: packet ", packet,
               " at byte ", pos, " needs a 28-byte header, ", size - pos, " bytes remain");
    const uint8_t* h = data + pos;
    const uint16_t type = load_le16(h);
    const uint32_t event_size = load_le32(h + 4), ts_offset = load_le32(h + 8);
    const uint64_t overflow = load_le32(h + 12);
    const uint32_t capacity = load_le32(h + 16), number = load_le32(h + 20);
    STAA_CHECK(number <= capacity, path, ": overlong packet ", packet, " at byte ", pos,
               ": expected at most eventCapacity = ", capacity, " events, eventNumber says ",
               number);
    const uint64_t payload = uint64_t{capacity} * event_size;
    STAA_CHECK(payload <= size - pos - kPacketHeader, path, ": truncated event stream: packet ",
               packet, " at byte ", pos, " promises ", capacity, " events of ", event_size,
               " bytes, ", size - pos - kPacketHeader, " bytes remain");
    if (type == kPolarityEvent) {
      STAA_CHECK(event_size == 8 && ts_offset == 4, path, ": packet ", packet, " at byte ", pos,
                 ": expected polarity events of 8 bytes with the timestamp at byte 4, found ",
                 event_size, " bytes, timestamp at ", ts_offset);
      const uint8_t* e = h + kPacketHeader;
      for (uint32_t i = 0; i < capacity; ++i, e += 8) {
        const uint32_t word = load_le32(e);
        const int64_t t = static_cast<int64_t>(load_le32(e + 4) | (overflow << 31));
        events.push_back(Event{t, static_cast<int32_t>((word >> 17) & 0x7FFF),
                               static_cast<int32_t>((word >> 2) & 0x7FFF),
                               static_cast<int32_t>((word >> 1) & 1)});
      }
    }
    pos += kPacketHeader + payload;
  }
  return events;
}

std::vector<Event> read_aedat2(const std::string& path, const std::string& hint) {
  const Bytes bytes = read_file(path, hint);
  return parse_aedat2(bytes.data(), bytes.size(), path);
}

std::vector<Event> read_aedat3(const std::string& path, const std::string& hint) {
  const Bytes bytes = read_file(path, hint);
  return parse_aedat3(bytes.data(), bytes.size(), path);
}

}  // namespace staa::data
