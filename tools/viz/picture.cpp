// Input pictures, upscaling, heat overlays, colour bars and captioned columns (picture.h). Layer:
// tools.
#include "tools/viz/picture.h"

#include <algorithm>
#include <cmath>

#include "tensor/error.h"

namespace staa::tools {

namespace {

uint8_t to_byte(double v) {
  return static_cast<uint8_t>(std::lround(std::clamp(v, 0.0, 1.0) * 255.0));
}

}  // namespace

data::Image sample_picture(const data::Sample& sample, int64_t scale, bool stretch) {
  const Shape& s = sample.shape;
  const bool events = s.ndim() == 4 && s[1] == 2;
  STAA_CHECK(scale >= 1 && ((s.ndim() == 3 && (s[0] == 1 || s[0] == 3)) || events),
             "sample_picture: expected [1 or 3, H, W] or event frames [T, 2, H, W] and a scale >= "
             "1, got ",
             s, " and scale ", scale);
  const int64_t H = s[s.ndim() - 2], W = s[s.ndim() - 1], plane = H * W;
  // rgb[k][p]: the value of colour k at pixel p before scaling to bytes.
  std::vector<std::vector<double>> rgb(3, std::vector<double>(static_cast<size_t>(plane), 0.0));
  for (int64_t p = 0; p < plane; ++p) {
    if (events) {
      for (int64_t t = 0; t < s[0]; ++t) {
        rgb[0][p] += sample.values[(t * 2 + 0) * plane + p];
        rgb[1][p] += sample.values[(t * 2 + 1) * plane + p];
      }
    } else {
      for (int64_t k = 0; k < 3; ++k) rgb[k][p] = sample.values[(s[0] == 1 ? 0 : k) * plane + p];
    }
  }
  double low = 0, high = 1;
  if (stretch || events) {
    low = rgb[0][0], high = rgb[0][0];
    for (int k = 0; k < (events ? 2 : 3); ++k)
      for (double v : rgb[k]) low = std::min(low, v), high = std::max(high, v);
    if (events) low = 0;
    if (high <= low) high = low + 1;
  }
  data::Image out(W * scale, H * scale);
  for (int64_t y = 0; y < H * scale; ++y)
    for (int64_t x = 0; x < W * scale; ++x) {
      const int64_t p = (y / scale) * W + x / scale;
      data::Rgb c;
      for (int k = 0; k < 3; ++k) c[k] = to_byte((rgb[k][p] - low) / (high - low));
      out.set(x, y, c);
    }
  return out;
}

int64_t display_scale(int64_t height, int64_t width, int64_t target) {
  const int64_t side = std::max<int64_t>(1, std::max(height, width));
  return std::max<int64_t>(1, (target + side - 1) / side);
}

std::vector<double> upsample_bilinear(const std::vector<double>& map, int64_t h, int64_t w,
                                      int64_t H, int64_t W) {
  STAA_CHECK(h >= 1 && w >= 1 && H >= 1 && W >= 1 && static_cast<int64_t>(map.size()) == h * w,
             "upsample_bilinear: a ", h, " x ", w, " map needs ", h * w, " values (got ",
             map.size(), ") and a positive target size (got ", H, " x ", W, ")");
  // Source coordinate of the centre of target pixel i: (i + 0.5) * n / N - 0.5, clamped.
  auto source = [](int64_t i, int64_t n, int64_t N, int64_t& i0, int64_t& i1, double& f) {
    const double c = std::clamp(
        (static_cast<double>(i) + 0.5) * static_cast<double>(n) / static_cast<double>(N) - 0.5, 0.0,
        static_cast<double>(n - 1));
    i0 = static_cast<int64_t>(std::floor(c));
    i1 = std::min(i0 + 1, n - 1);
    f = c - static_cast<double>(i0);
  };
  std::vector<double> out(static_cast<size_t>(H * W));
  for (int64_t y = 0; y < H; ++y) {
    int64_t y0, y1;
    double fy;
    source(y, h, H, y0, y1, fy);
    for (int64_t x = 0; x < W; ++x) {
      int64_t x0, x1;
      double fx;
      source(x, w, W, x0, x1, fx);
      const double top = map[y0 * w + x0] * (1 - fx) + map[y0 * w + x1] * fx;
      const double bottom = map[y1 * w + x0] * (1 - fx) + map[y1 * w + x1] * fx;
      out[y * W + x] = top * (1 - fy) + bottom * fy;
    }
  }
  return out;
}

data::Image overlay_heat(const data::Image& base, const std::vector<double>& heat, double alpha) {
  STAA_CHECK(static_cast<int64_t>(heat.size()) == base.width() * base.height(),
             "overlay_heat: the heat map has ", heat.size(), " values, the image ", base.width(),
             " x ", base.height(), " pixels");
  STAA_CHECK(alpha >= 0 && alpha <= 1, "overlay_heat: alpha should be in [0, 1], got ", alpha);
  data::Image out = base;
  for (int64_t y = 0; y < base.height(); ++y)
    for (int64_t x = 0; x < base.width(); ++x)
      out.set(x, y, data::blend(base.at(x, y), data::jet(heat[y * base.width() + x]), alpha));
  return out;
}

data::Image colour_bar(int64_t height, const std::string& low, const std::string& high) {
  const int64_t bar = 12,
                label = std::max(data::Image::text_width(low), data::Image::text_width(high));
  data::Image out(bar + 4 + label, height + 2 * kLineHeight);
  for (int64_t y = 0; y < height; ++y) {
    const double v =
        height > 1 ? 1.0 - static_cast<double>(y) / static_cast<double>(height - 1) : 1.0;
    out.fill_rect(0, kLineHeight + y, bar, 1, data::jet(v));
  }
  out.text(0, 0, high, {0, 0, 0});
  out.text(0, kLineHeight + height + 3, low, {0, 0, 0});
  return out;
}

data::Image side_by_side(const std::vector<Column>& columns, const std::string& title) {
  STAA_CHECK(!columns.empty(), "side_by_side: no columns");
  std::vector<int64_t> widths;
  int64_t total = kMargin, pictures = 0, lines = 0;
  for (const Column& c : columns) {
    int64_t w = c.picture.width();
    for (const std::string& line : c.caption) w = std::max(w, data::Image::text_width(line));
    widths.push_back(w);
    total += w + kMargin;
    pictures = std::max(pictures, c.picture.height());
    lines = std::max<int64_t>(lines, static_cast<int64_t>(c.caption.size()));
  }
  const int64_t top = kMargin + (title.empty() ? 0 : 2 * kLineHeight);
  total = std::max(total, 2 * kMargin + data::Image::text_width(title, 2));
  data::Image out(total, top + pictures + 4 + lines * kLineHeight + kMargin);
  if (!title.empty()) out.text(kMargin, kMargin, title, {0, 0, 0}, 2);
  int64_t x = kMargin;
  for (size_t i = 0; i < columns.size(); ++i) {
    const Column& c = columns[i];
    out.paste(c.picture, x + (widths[i] - c.picture.width()) / 2, top);
    for (size_t k = 0; k < c.caption.size(); ++k)
      out.text(x, top + pictures + 4 + static_cast<int64_t>(k) * kLineHeight, c.caption[k],
               {0, 0, 0});
    x += widths[i] + kMargin;
  }
  return out;
}

}  // namespace staa::tools
