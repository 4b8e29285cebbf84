// MD5 (RFC 1321) of bytes or of a file, as 32 lowercase hex digits. Layer: data. Used only to
// verify downloads against the checksums the dataset authors publish, never for security.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace staa::data {

std::string md5_hex(const void* data, size_t size);
std::string md5_file(const std::string& path);  // streams the file; throws when unreadable

}  // namespace staa::data
