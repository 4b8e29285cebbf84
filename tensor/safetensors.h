// Safe tensor files in the safetensors layout: an 8-byte little-endian header length N, N bytes of
// JSON header, one contiguous data buffer; and CRC32C (Castagnoli). Layer: tensor. Invariants:
// saves are atomic (temp file in the same directory, fsync, rename, fsync of the directory); loads
// validate every byte before trusting it, never execute anything from a file, and fail only with
// staa::Error naming the file, the tensor, what was expected and what was found.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tensor/tensor.h"

namespace staa {

// The value of "staa_format" in the __metadata__ of files this build writes (and the only one it
// reads back; files without staa metadata load without checksums).
inline constexpr const char* kSafetensorsFormatVersion = "1";

struct SafetensorsFile {
  // CPU tensors in the order of their data in the file (by data_offsets begin).
  std::vector<std::pair<std::string, Tensor>> tensors;
  // The caller's metadata strings; staa's own keys (staa_format, staa_header_crc32c,
  // crc32c.<name>) are checked and removed.
  std::map<std::string, std::string> metadata;
};

// Writes `tensors` (any device, data copied to the host) in this order, plus `metadata`, with a
// CRC32C per tensor and one over the header. Names must be unique, non-empty UTF-8 and not
// "__metadata__"; metadata keys must not be staa's own. On failure the old file (if any) is
// intact and no temporary file remains.
void save_safetensors(const std::string& path,
                      const std::vector<std::pair<std::string, Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

// Reads and validates a file; see the checks in safetensors.cpp.
SafetensorsFile load_safetensors(const std::string& path);

// The same checks on a file's bytes in memory (tests, fuzz targets); `source` names it in errors.
SafetensorsFile parse_safetensors(std::string_view bytes, const std::string& source);

// CRC32C (Castagnoli, reflected, polynomial 0x82F63B78, pre- and post-inverted), chainable:
// crc32c(b, m, crc32c(a, n)) == CRC of a followed by b. crc32c("123456789") == 0xE3069283.
// Uses SSE4.2 when the build targets it, else the table-driven reference.
uint32_t crc32c(const void* data, size_t size, uint32_t crc = 0);

namespace detail {
// The table-driven reference path, always compiled; tests hold the fast path to it.
uint32_t crc32c_reference(const void* data, size_t size, uint32_t crc = 0);
}  // namespace detail

}  // namespace staa
