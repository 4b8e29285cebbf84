// Test file writers (see fixtures.h). Layer: tests. The byte layouts follow spec §5 literally
// (big-endian AEDAT 2 words, little-endian 28-byte AEDAT 3.1 packet headers).
#include "fixtures.h"

#include <stdlib.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>

#include "tensor/error.h"

#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STBI_WRITE_NO_STDIO
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#include <stb/stb_image_write.h>
#pragma GCC diagnostic pop

namespace staa::test {
namespace {

namespace fs = std::filesystem;

void put_be32(Bytes& b, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<uint8_t>(v >> s));
}
void put_le32(Bytes& b, uint32_t v) {
  for (int s = 0; s < 32; s += 8) b.push_back(static_cast<uint8_t>(v >> s));
}
void put_le16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v));
  b.push_back(static_cast<uint8_t>(v >> 8));
}
void put_text(Bytes& b, const std::string& s) {
  b.insert(b.end(), s.begin(), s.end());
}

void put_packet_header(Bytes& b, uint16_t type, uint32_t size, uint32_t overflow, uint32_t n) {
  put_le16(b, type);
  put_le16(b, 1);  // eventSource
  put_le32(b, size);
  put_le32(b, 4);  // eventTSOffset
  put_le32(b, overflow);
  put_le32(b, n);  // eventCapacity
  put_le32(b, n);  // eventNumber
  put_le32(b, n);  // eventValid
}

}  // namespace

TempDir::TempDir() {
  std::string pattern = (fs::temp_directory_path() / "staa_data_XXXXXX").string();
  STAA_CHECK(mkdtemp(pattern.data()) != nullptr, "TempDir: mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

void write_bytes(const std::string& path, const Bytes& bytes) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  STAA_CHECK(out.good(), "write_bytes: cannot write ", path);
}

void write_text(const std::string& path, const std::string& text) {
  write_bytes(path, Bytes(text.begin(), text.end()));
}

Bytes gzip_bytes(const Bytes& raw) {
  z_stream zs{};
  STAA_CHECK(deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK,
             "gzip_bytes: deflateInit2 failed");
  Bytes out(deflateBound(&zs, static_cast<uLong>(raw.size())) + 32);
  zs.next_in = const_cast<Bytef*>(raw.data());
  zs.avail_in = static_cast<uInt>(raw.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  STAA_CHECK(deflate(&zs, Z_FINISH) == Z_STREAM_END, "gzip_bytes: deflate failed");
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

uint8_t cifar_label(int64_t record, bool cifar100) {
  return static_cast<uint8_t>((record * 7 + 3) % (cifar100 ? 100 : 10));
}

Bytes cifar_bytes(int64_t records, bool cifar100) {
  Bytes b;
  for (int64_t r = 0; r < records; ++r) {
    if (cifar100) b.push_back(static_cast<uint8_t>((r * 3) % 20));
    b.push_back(cifar_label(r, cifar100));
    for (int k = 0; k < 3072; ++k) b.push_back(static_cast<uint8_t>((r + k) % 256));
  }
  return b;
}

void write_cifar_folder(const std::string& dir, int64_t records, bool cifar100) {
  const std::vector<std::string> names =
      cifar100
          ? std::vector<std::string>{"train.bin", "test.bin"}
          : std::vector<std::string>{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
                                     "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin"};
  const Bytes bytes = cifar_bytes(records, cifar100);
  for (const std::string& n : names) write_bytes(dir + "/" + n, bytes);
}

Bytes idx_bytes(const std::vector<uint32_t>& dims, const Bytes& values, uint32_t magic_type) {
  Bytes b;
  put_be32(b, (magic_type << 8) | static_cast<uint32_t>(dims.size()));
  for (const uint32_t d : dims) put_be32(b, d);
  b.insert(b.end(), values.begin(), values.end());
  return b;
}

Bytes aedat2_bytes(const std::vector<RawEvent2>& events) {
  Bytes b;
  put_text(b, "#!AER-DAT2.0\r\n# This is a raw AE data file - do not edit\r\n");
  put_text(b, "# Data format is int32 address, int32 timestamp (8 bytes total)\r\n");
  for (const RawEvent2& e : events) {
    put_be32(b, (e.y << 8) | (e.x << 1) | e.p);
    put_be32(b, e.t);
  }
  return b;
}

Bytes aedat3_bytes(const std::vector<data::Event>& events, size_t per_packet, uint32_t overflow) {
  Bytes b;
  put_text(b, "#!AER-DAT3.1\r\n#Format: RAW\r\n#Source 1: DVS128\r\n#!END-HEADER\r\n");
  put_packet_header(b, 2, 8, 0, 1);  // a special-event packet the reader must skip
  put_le32(b, 0xdeadbeef);
  put_le32(b, 0);
  for (size_t first = 0; first < events.size(); first += per_packet) {
    const size_t n = std::min(per_packet, events.size() - first);
    put_packet_header(b, 1, 8, overflow, static_cast<uint32_t>(n));
    for (size_t i = first; i < first + n; ++i) {
      const data::Event& e = events[i];
      put_le32(b, (static_cast<uint32_t>(e.x) << 17) | (static_cast<uint32_t>(e.y) << 2) |
                      (static_cast<uint32_t>(e.p) << 1) | 1u);
      put_le32(b, static_cast<uint32_t>(e.t));
    }
  }
  return b;
}

Bytes png_bytes(int width, int height) {
  std::vector<uint8_t> rgb(static_cast<size_t>(width * height * 3));
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      for (int c = 0; c < 3; ++c)
        rgb[(y * width + x) * 3 + c] = static_cast<uint8_t>((x * 16 + y * 4 + c * 60) % 256);
    }
  }
  Bytes out;
  auto sink = [](void* ctx, void* data, int size) {
    auto* o = static_cast<Bytes*>(ctx);
    o->insert(o->end(), static_cast<uint8_t*>(data), static_cast<uint8_t*>(data) + size);
  };
  stbi_write_png_to_func(sink, &out, width, height, 3, rgb.data(), width * 3);
  return out;
}

}  // namespace staa::test
