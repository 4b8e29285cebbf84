// An 8-bit RGB image with the few drawing primitives our tools need (filled rectangles, lines,
// text in stb_easy_font's bitmap font, colour maps) and PNG output through stb_image_write.
// Layer: data. Pixels are row-major, 3 bytes per pixel; drawing clips to the image, so callers
// never index outside it.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace staa::data {

using Rgb = std::array<uint8_t, 3>;

class Image {
 public:
  Image() = default;
  Image(int64_t width, int64_t height, Rgb background = {255, 255, 255});

  int64_t width() const { return width_; }
  int64_t height() const { return height_; }
  const std::vector<uint8_t>& pixels() const { return pixels_; }  // [H, W, 3]
  Rgb at(int64_t x, int64_t y) const;
  void set(int64_t x, int64_t y, Rgb colour);  // ignores points outside

  void fill_rect(int64_t x, int64_t y, int64_t w, int64_t h, Rgb colour);
  // A line `thickness` pixels wide from (x0, y0) to (x1, y1) (coordinates may be fractional).
  void line(double x0, double y0, double x1, double y1, Rgb colour, int thickness = 1);
  // Text in stb_easy_font (about 6 px per character, 7 px high at scale 1), top-left at (x, y).
  void text(int64_t x, int64_t y, const std::string& s, Rgb colour, int scale = 1);
  static int64_t text_width(const std::string& s, int scale = 1);
  // Copies `src` with its top-left corner at (x, y) (clipped).
  void paste(const Image& src, int64_t x, int64_t y);

 private:
  int64_t width_ = 0, height_ = 0;
  std::vector<uint8_t> pixels_;
};

// The jet colour map (blue -> cyan -> yellow -> red) at v in [0, 1] (clamped).
Rgb jet(double v);
// a * (1 - alpha) + b * alpha per channel.
Rgb blend(Rgb a, Rgb b, double alpha);

// PNG bytes of the image, and writing them to `path` (an error names the path).
std::vector<uint8_t> encode_png(const Image& image);
void write_png(const std::string& path, const Image& image);

}  // namespace staa::data
