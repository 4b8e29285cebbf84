// Byte-level input and output of the data layer: whole-file reads (plain, or gzip through zlib),
// atomic writes, directory checks, and endian loads. Layer: data. Every error names the file,
// what was expected and what was found; `hint` (how to get the data) is appended when given.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace staa::data {

using Bytes = std::vector<uint8_t>;

// The whole file. Errors: missing file, a directory, unreadable.
Bytes read_file(const std::string& path, const std::string& hint = "");
// The whole file, gunzipped when it starts with the gzip magic (1f 8b), else as it is.
Bytes read_maybe_gzip(const std::string& path, const std::string& hint = "");
// Inflates gzip data (one or more members); `path` names the source in errors.
Bytes gunzip(const uint8_t* data, size_t size, const std::string& path);
bool has_gzip_magic(const uint8_t* data, size_t size);

// Writes to path.tmp, then renames over path, so a reader never sees a partial file.
void write_file_atomic(const std::string& path, const void* data, size_t size);

// Throws unless path is an existing directory; `what` says which (e.g. "CIFAR-10 folder").
void require_directory(const std::string& path, const std::string& what, const std::string& hint);
// The first of the candidate paths that exists as a file; throws listing all of them.
std::string find_file(const std::vector<std::string>& candidates, const std::string& what,
                      const std::string& hint);

inline uint32_t load_be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
inline uint32_t load_le32(const uint8_t* p) {
  return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
}
inline uint16_t load_le16(const uint8_t* p) {
  return static_cast<uint16_t>(uint32_t{p[0]} | (uint32_t{p[1]} << 8));
}

// " (to get it: <hint>)" or "" when the hint is empty.
std::string hint_suffix(const std::string& hint);

}  // namespace staa::data
