// Image decoding and ImageFolder (see image_folder.h). Layer: data. stb_image keeps its failure
// reason in a thread-local, so concurrent decodes in workers report their own reasons.
#include "data/image_folder.h"

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "data/download.h"
#include "data/io.h"
#include "tensor/error.h"

#ifdef STAA_DATA_HAS_STB
#define STBI_NO_STDIO
#include <stb_image.h>
#endif

namespace staa::data {
namespace {

namespace fs = std::filesystem;
constexpr int64_t kMaxPixels = int64_t{1} << 26;  // 64 Mpixel: far above any ImageNet image

bool is_image(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png";
}

// stb_image sizes its PNG buffer from each IDAT chunk's length before reading it, so a 100-byte
// file can make it allocate 2 GiB (found by fuzz_image). Every chunk must fit in the file.
void check_png_chunks(const uint8_t* data, size_t size, const std::string& path) {
  static const uint8_t kSignature[8] = {0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a};
  if (size < 8 || std::memcmp(data, kSignature, 8) != 0) return;  // not a PNG
  size_t pos = 8;
  while (pos + 8 <= size) {
    const uint64_t length = load_be32(data + pos);
    STAA_CHECK(length + 12 <= size - pos, path, ": truncated PNG: the chunk at byte ", pos,
               " claims ", length, " bytes of data and a 4-byte CRC, ", size - pos - 8,
               " bytes follow its header");
    if (std::memcmp(data + pos + 4, "IEND", 4) == 0) return;  // what follows is not read
    pos += 12 + length;
  }
}

// stb_image 2.27 builds a JPEG Huffman table without checking that its 16 code counts sum to at
// most 256, and writes past the table when they do (found by fuzz_image). Walks the markers
// (skipping entropy-coded data after each SOS) and checks every DHT table first.
void check_jpeg_huffman_tables(const uint8_t* data, size_t size, const std::string& path) {
  size_t pos = 0;  // stb_image takes any run of 0xFF before the SOI marker (0xD8)
  while (pos < size && data[pos] == 0xFF) ++pos;
  if (pos == 0 || pos >= size || data[pos] != 0xD8) return;  // not a JPEG
  ++pos;
  while (pos + 1 < size) {
    if (data[pos] != 0xFF) {  // entropy-coded data: find the next marker
      ++pos;
      continue;
    }
    const uint8_t marker = data[pos + 1];
    if (marker == 0xFF || marker == 0x00 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) {
      pos += marker == 0xFF ? 1 : 2;  // fill byte, stuffed zero, restart or standalone marker
      continue;
    }
    if (marker == 0xD9 || pos + 4 > size) return;  // EOI, or no room for a length
    const size_t length = (size_t{data[pos + 2]} << 8) | data[pos + 3];
    const size_t end = std::min(size, pos + 2 + length);
    if (marker == 0xC4) {
      for (size_t t = pos + 4; t < end;) {
        size_t codes = 0;  // stb_image reads bytes past the end as 0, so this does too
        for (size_t i = t + 1; i <= t + 16 && i < size; ++i) codes += data[i];
        STAA_CHECK(codes <= 256, path, ": corrupt JPEG: the Huffman table at byte ", t,
                   " declares ", codes, " codes, at most 256 are possible");
        t += 17 + codes;
      }
    }
    pos = pos + 2 + length;
  }
}

}  // namespace

Sample decode_image(const uint8_t* data, size_t size, const std::string& path) {
  STAA_CHECK(size > 0 && size < (size_t{1} << 31), path,
             ": expected an image file of 1 byte to 2 GiB, found ", size, " bytes");
  check_png_chunks(data, size, path);
  check_jpeg_huffman_tables(data, size, path);
#ifndef STAA_DATA_HAS_STB
  STAA_FAIL(path,
            ": cannot decode images: staa was built without stb_image (apt-get install "
            "libstb-dev, then rebuild)");
#else
  int w = 0, h = 0, channels = 0;
  const int info = stbi_info_from_memory(data, static_cast<int>(size), &w, &h, &channels);
  STAA_CHECK(info != 0, path, ": expected a JPEG or PNG image, stb_image cannot decode it (",
             stbi_failure_reason(), ")");
  STAA_CHECK(int64_t{w} * h <= kMaxPixels, path, ": expected at most ", kMaxPixels,
             " pixels, found ", w, "x", h);
  unsigned char* pixels = stbi_load_from_memory(data, static_cast<int>(size), &w, &h, &channels, 3);
  STAA_CHECK(pixels != nullptr, path,
             ": expected a JPEG or PNG image, stb_image cannot decode it (", stbi_failure_reason(),
             ")");
  Sample s;
  s.shape = Shape{3, h, w};
  const int64_t plane = int64_t{w} * h;
  s.values.resize(static_cast<size_t>(3 * plane));
  for (int64_t i = 0; i < plane; ++i) {
    for (int c = 0; c < 3; ++c) s.values[c * plane + i] = pixels[3 * i + c] * (1.0f / 255.0f);
  }
  stbi_image_free(pixels);
  return s;
#endif
}

Sample read_image(const std::string& path) {
  const Bytes bytes = read_file(path);
  return decode_image(bytes.data(), bytes.size(), path);
}

ImageFolder::ImageFolder(const std::string& root, const std::string& hint) {
  require_directory(root, "image folder (one subfolder per class)", hint);
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    if (entry.is_directory()) classes_.push_back(entry.path().filename().string());
  }
  std::sort(classes_.begin(), classes_.end());
  STAA_CHECK(!classes_.empty(), root, ": expected one subfolder per class, found none",
             hint_suffix(hint));
  for (size_t c = 0; c < classes_.size(); ++c) {
    std::vector<std::string> files;
    for (const auto& entry : fs::directory_iterator(fs::path(root) / classes_[c], ec)) {
      if (entry.is_regular_file() && is_image(entry.path())) files.push_back(entry.path().string());
    }
    STAA_CHECK(!files.empty(), (fs::path(root) / classes_[c]).string(),
               ": expected .jpg/.jpeg/.png images of class '", classes_[c], "', found none",
               hint_suffix(hint));
    std::sort(files.begin(), files.end());
    for (std::string& f : files) {
      files_.push_back(std::move(f));
      labels_.push_back(static_cast<int64_t>(c));
    }
  }
}

Sample ImageFolder::get(int64_t index) const {
  STAA_CHECK(index >= 0 && index < size(), "ImageFolder: expected an index in [0, ", size(),
             "), found ", index);
  Sample s = read_image(files_[static_cast<size_t>(index)]);
  s.label = labels_[static_cast<size_t>(index)];
  return s;
}

int64_t ImageFolder::label(int64_t index) const {
  STAA_CHECK(index >= 0 && index < size(), "ImageFolder: expected an index in [0, ", size(),
             "), found ", index);
  return labels_[static_cast<size_t>(index)];
}

ImageFolder imagenet(const std::string& root, bool train) {
  return ImageFolder((fs::path(root) / (train ? "train" : "val")).string(),
                     how_to_get("imagenet", root));
}

}  // namespace staa::data
