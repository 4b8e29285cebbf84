// Image drawing and PNG output (data/image.h). Layer: data. Text comes from stb_easy_font, which
// builds each glyph from quads; we fill those quads as rectangles.
#include "data/image.h"

#include <algorithm>
#include <cmath>

#include "data/io.h"
#include "tensor/error.h"

#if STAA_DATA_HAS_STB
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#include <stb_easy_font.h>
#pragma GCC diagnostic pop
#define STBI_WRITE_NO_STDIO
#include <stb_image_write.h>
#endif

namespace staa::data {

Image::Image(int64_t width, int64_t height, Rgb background) : width_(width), height_(height) {
  STAA_CHECK(width > 0 && height > 0 && width <= (1 << 15) && height <= (1 << 15),
             "Image: size must be in 1..32768 per side, got ", width, " x ", height);
  pixels_.resize(static_cast<size_t>(width * height * 3));
  for (size_t i = 0; i < pixels_.size(); i += 3)
    std::copy(background.begin(), background.end(), pixels_.begin() + static_cast<ptrdiff_t>(i));
}

Rgb Image::at(int64_t x, int64_t y) const {
  STAA_CHECK(x >= 0 && y >= 0 && x < width_ && y < height_, "Image::at: (", x, ", ", y,
             ") is outside ", width_, " x ", height_);
  const uint8_t* p = &pixels_[static_cast<size_t>((y * width_ + x) * 3)];
  return {p[0], p[1], p[2]};
}

void Image::set(int64_t x, int64_t y, Rgb colour) {
  if (x < 0 || y < 0 || x >= width_ || y >= height_) return;
  uint8_t* p = &pixels_[static_cast<size_t>((y * width_ + x) * 3)];
  p[0] = colour[0], p[1] = colour[1], p[2] = colour[2];
}

void Image::fill_rect(int64_t x, int64_t y, int64_t w, int64_t h, Rgb colour) {
  const int64_t x0 = std::max<int64_t>(x, 0), x1 = std::min(x + w, width_);
  const int64_t y0 = std::max<int64_t>(y, 0), y1 = std::min(y + h, height_);
  for (int64_t r = y0; r < y1; ++r)
    for (int64_t c = x0; c < x1; ++c) set(c, r, colour);
}

void Image::line(double x0, double y0, double x1, double y1, Rgb colour, int thickness) {
  // Steps of at most half a pixel along the longer axis; a square brush gives the thickness.
  const double length = std::max(std::abs(x1 - x0), std::abs(y1 - y0));
  const int64_t steps = std::min<int64_t>(static_cast<int64_t>(std::ceil(length * 2)) + 1, 1 << 20);
  const int64_t half = (thickness - 1) / 2;
  for (int64_t i = 0; i <= steps; ++i) {
    const double f = steps == 0 ? 0 : static_cast<double>(i) / static_cast<double>(steps);
    const auto x = static_cast<int64_t>(std::lround(x0 + (x1 - x0) * f));
    const auto y = static_cast<int64_t>(std::lround(y0 + (y1 - y0) * f));
    fill_rect(x - half, y - half, thickness, thickness, colour);
  }
}

#if STAA_DATA_HAS_STB
void Image::text(int64_t x, int64_t y, const std::string& s, Rgb colour, int scale) {
  // stb_easy_font writes 4 vertices of 16 bytes (x, y, z, rgba) per quad, and up to 11 quads per
  // character ('%', '0'); a smaller buffer silently drops the quads that do not fit.
  std::vector<char> buffer(s.size() * 11 * 64 + 64);
  std::string copy = s;
  unsigned char rgba[4] = {colour[0], colour[1], colour[2], 255};
  const int quads =
      stb_easy_font_print(0, 0, copy.data(), rgba, buffer.data(), static_cast<int>(buffer.size()));
  for (int q = 0; q < quads; ++q) {
    const auto* v = reinterpret_cast<const float*>(buffer.data() + q * 64);
    const double qx0 = v[0], qy0 = v[1], qx1 = v[8], qy1 = v[9];  // corners 0 and 2
    const auto left = static_cast<int64_t>(std::lround(qx0 * scale));
    const auto top = static_cast<int64_t>(std::lround(qy0 * scale));
    fill_rect(x + left, y + top, static_cast<int64_t>(std::lround((qx1 - qx0) * scale)),
              static_cast<int64_t>(std::lround((qy1 - qy0) * scale)), colour);
  }
}

int64_t Image::text_width(const std::string& s, int scale) {
  std::string copy = s;
  return static_cast<int64_t>(stb_easy_font_width(copy.data())) * scale;
}
#else
constexpr const char* kNoStb = "staa was built without stb (apt-get install libstb-dev, rebuild)";
void Image::text(int64_t, int64_t, const std::string&, Rgb, int) {
  STAA_FAIL("Image::text: ", kNoStb);
}
int64_t Image::text_width(const std::string&, int) {
  STAA_FAIL("Image::text_width: ", kNoStb);
}
#endif

void Image::paste(const Image& src, int64_t x, int64_t y) {
  for (int64_t r = 0; r < src.height(); ++r)
    for (int64_t c = 0; c < src.width(); ++c) set(x + c, y + r, src.at(c, r));
}

Rgb jet(double v) {
  v = std::clamp(std::isfinite(v) ? v : 0.0, 0.0, 1.0);
  auto channel = [&](double centre) {
    return static_cast<uint8_t>(
        std::lround(255 * std::clamp(1.5 - std::abs(4 * v - centre), 0.0, 1.0)));
  };
  return {channel(3), channel(2), channel(1)};
}

Rgb blend(Rgb a, Rgb b, double alpha) {
  Rgb out;
  for (int i = 0; i < 3; ++i)
    out[i] = static_cast<uint8_t>(std::lround(a[i] * (1 - alpha) + b[i] * alpha));
  return out;
}

namespace {
[[maybe_unused]] void append_bytes(void* context, void* data, int size) {
  auto* out = static_cast<std::vector<uint8_t>*>(context);
  const auto* bytes = static_cast<const uint8_t*>(data);
  out->insert(out->end(), bytes, bytes + size);
}
}  // namespace

std::vector<uint8_t> encode_png(const Image& image) {
  STAA_CHECK(image.width() > 0, "encode_png: the image is empty");
#if !STAA_DATA_HAS_STB
  STAA_FAIL("encode_png: ", kNoStb);
#else
  std::vector<uint8_t> out;
  const int ok = stbi_write_png_to_func(append_bytes, &out, static_cast<int>(image.width()),
                                        static_cast<int>(image.height()), 3, image.pixels().data(),
                                        static_cast<int>(image.width() * 3));
  STAA_CHECK(ok != 0 && !out.empty(), "encode_png: stb_image_write failed on a ", image.width(),
             " x ", image.height(), " image");
  return out;
#endif
}

void write_png(const std::string& path, const Image& image) {
  const std::vector<uint8_t> bytes = encode_png(image);
  write_file_atomic(path, bytes.data(), bytes.size());
}

}  // namespace staa::data
