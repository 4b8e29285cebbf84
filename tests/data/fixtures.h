// Writers of small files in the exact on-disk formats the data layer reads (CIFAR records, IDX,
// AEDAT 2.0, AEDAT 3.1, gesture CSVs, PNG/JPEG), for the data tests and the fuzz seed corpus.
// Layer: tests. Everything is written into a TempDir that removes itself.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/aedat.h"
#include "data/io.h"

namespace staa::test {

using data::Bytes;

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

void write_bytes(const std::string& path, const Bytes& bytes);  // creates parent folders
void write_text(const std::string& path, const std::string& text);
Bytes gzip_bytes(const Bytes& raw);

// CIFAR: record r has label (r * 7 + 3) % classes (coarse (r * 3) % 20 for CIFAR-100) and pixel
// k = (r + k) % 256.
Bytes cifar_bytes(int64_t records, bool cifar100);
uint8_t cifar_label(int64_t record, bool cifar100);
// Writes the six CIFAR-10 files (or CIFAR-100's two) with `records` records each into dir.
void write_cifar_folder(const std::string& dir, int64_t records, bool cifar100);

// IDX: big-endian header for `dims`, then the values.
Bytes idx_bytes(const std::vector<uint32_t>& dims, const Bytes& values, uint32_t magic_type = 0x08);

// AEDAT 2.0: '#' header lines, then big-endian (address, timestamp) pairs. Raw (x, y, p) are the
// sensor's; the reader flips them (x' = 127 - y, y' = 127 - x, p' = 1 - p).
struct RawEvent2 {
  uint32_t x, y, p, t;
};
Bytes aedat2_bytes(const std::vector<RawEvent2>& events);

// AEDAT 3.1: header, then polarity packets of `per_packet` events (type 1, size 8, capacity =
// number = events in the packet), plus one non-polarity packet (type 2) to be skipped.
Bytes aedat3_bytes(const std::vector<data::Event>& events, size_t per_packet,
                   uint32_t overflow = 0);

// A small RGB image (value (x * 16 + y * 4 + c * 60) % 256) as PNG.
Bytes png_bytes(int width, int height);

}  // namespace staa::test
