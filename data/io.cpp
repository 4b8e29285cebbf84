// Whole-file reads and writes for the data layer (see io.h). Layer: data. gunzip caps its output
// (kMaxInflated) so a hostile .gz cannot exhaust memory; corrupt or truncated gzip is an error.
#include "data/io.h"

#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "tensor/error.h"

namespace staa::data {
namespace {

constexpr size_t kMaxInflated = size_t{1} << 32;  // 4 GiB: larger than any dataset file we read

namespace fs = std::filesystem;

}  // namespace

std::string hint_suffix(const std::string& hint) {
  return hint.empty() ? std::string() : " (to get it: " + hint + ")";
}

Bytes read_file(const std::string& path, const std::string& hint) {
  std::error_code ec;
  const auto status = fs::status(path, ec);
  STAA_CHECK(fs::exists(status), path, ": expected a file, found nothing there", hint_suffix(hint));
  STAA_CHECK(fs::is_regular_file(status), path, ": expected a file, found a ",
             fs::is_directory(status) ? "directory" : "special file", hint_suffix(hint));
  std::ifstream in(path, std::ios::binary);
  STAA_CHECK(in.good(), path, ": cannot open for reading (", std::strerror(errno), ")");
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  in.seekg(0, std::ios::beg);
  Bytes bytes(static_cast<size_t>(size));
  in.read(reinterpret_cast<char*>(bytes.data()), size);
  STAA_CHECK(in.gcount() == size, path, ": expected ", size, " bytes, read only ", in.gcount());
  return bytes;
}

bool has_gzip_magic(const uint8_t* data, size_t size) {
  return size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
}

Bytes gunzip(const uint8_t* data, size_t size, const std::string& path) {
  z_stream zs{};
  STAA_CHECK(inflateInit2(&zs, 16 + MAX_WBITS) == Z_OK, path, ": zlib could not start");
  Bytes out;
  out.resize(std::max<size_t>(size * 4, 1 << 16));
  zs.next_in = const_cast<Bytes::value_type*>(data);
  size_t done = 0;
  size_t in_left = size;
  int code = Z_OK;
  while (true) {
    if (done == out.size()) {
      if (out.size() >= kMaxInflated) {
        inflateEnd(&zs);
        STAA_FAIL(path, ": expected at most ", kMaxInflated, " bytes of gzip output, found more");
      }
      out.resize(std::min(out.size() * 2, kMaxInflated));
    }
    const uInt in_chunk = static_cast<uInt>(std::min<size_t>(in_left, 1u << 30));
    const uInt out_chunk = static_cast<uInt>(std::min<size_t>(out.size() - done, 1u << 30));
    zs.avail_in = in_chunk;
    zs.next_out = out.data() + done;
    zs.avail_out = out_chunk;
    code = inflate(&zs, Z_NO_FLUSH);
    in_left -= in_chunk - zs.avail_in;
    done += out_chunk - zs.avail_out;
    if (code == Z_STREAM_END) {
      if (in_left == 0) break;
      inflateReset(&zs);  // another gzip member follows (gzip -c a b > c)
      continue;
    }
    if (code == Z_OK) continue;
    if (code == Z_BUF_ERROR && zs.avail_out > 0 && in_left == 0) break;  // input ran out
    const std::string reason = zs.msg ? zs.msg : "error " + std::to_string(code);
    inflateEnd(&zs);
    STAA_FAIL(path, ": expected valid gzip data, found corrupt data (zlib: ", reason, ")");
  }
  inflateEnd(&zs);
  STAA_CHECK(code == Z_STREAM_END, path,
             ": expected a complete gzip stream, found a truncated .gz file (", done,
             " bytes inflated before the data ran out)");
  out.resize(done);
  return out;
}

Bytes read_maybe_gzip(const std::string& path, const std::string& hint) {
  Bytes raw = read_file(path, hint);
  if (!has_gzip_magic(raw.data(), raw.size())) return raw;
  return gunzip(raw.data(), raw.size(), path);
}

void write_file_atomic(const std::string& path, const void* data, size_t size) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    STAA_CHECK(out.good(), tmp, ": cannot open for writing (", std::strerror(errno), ")");
    out.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
    out.flush();
    STAA_CHECK(out.good(), tmp, ": writing ", size, " bytes failed (", std::strerror(errno), ")");
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  STAA_CHECK(!ec, path, ": cannot rename ", tmp, " over it (", ec.message(), ")");
}

void require_directory(const std::string& path, const std::string& what, const std::string& hint) {
  std::error_code ec;
  const auto status = fs::status(path, ec);
  STAA_CHECK(fs::exists(status), path, ": expected the ", what, ", found no such directory",
             hint_suffix(hint));
  STAA_CHECK(fs::is_directory(status), path, ": expected the ", what,
             " to be a directory, found a file", hint_suffix(hint));
}

std::string find_file(const std::vector<std::string>& candidates, const std::string& what,
                      const std::string& hint) {
  std::string tried;
  for (const std::string& c : candidates) {
    std::error_code ec;
    if (fs::is_regular_file(c, ec)) return c;
    tried += (tried.empty() ? "" : " or ") + c;
  }
  STAA_FAIL(tried, ": expected the ", what, ", found no such file", hint_suffix(hint));
}

}  // namespace staa::data
