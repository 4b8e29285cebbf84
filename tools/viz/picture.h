// Pictures for the visualisation tools: a model input as an image, nearest and bilinear
// upscaling, a heat map blended over an image with the jet colour map, a colour bar, and columns
// of pictures with captions laid side by side. Layer: tools (data/image.h does the drawing).
// Invariant: heat values are in [0, 1]; every function returns a new image.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "data/image.h"

namespace staa::tools {

// A sample as a picture, `scale` pixels per input pixel. [1, H, W]: grey; [3, H, W]: RGB; event
// frames [T, 2, H, W]: spikes summed over T, polarity 0 red, polarity 1 green. Values are used as
// they are (clamped to [0, 1]) when `stretch` is false, else stretched from [min, max] to [0, 1].
data::Image sample_picture(const data::Sample& sample, int64_t scale, bool stretch);

// The integer factor that brings the longer side to at least `target` pixels (at least 1).
int64_t display_scale(int64_t height, int64_t width, int64_t target = 112);

// map: h x w values (row-major) -> H x W by bilinear interpolation at pixel centres (the
// half-pixel convention of align_corners = false; borders repeat the edge values).
std::vector<double> upsample_bilinear(const std::vector<double>& map, int64_t h, int64_t w,
                                      int64_t H, int64_t W);

// Each pixel of `base` blended with jet(heat) at weight alpha; heat: base's H x W values in [0, 1].
data::Image overlay_heat(const data::Image& base, const std::vector<double>& heat, double alpha);

// A vertical colour bar, jet from 0 (bottom) to 1 (top), labelled `low` and `high`.
data::Image colour_bar(int64_t height, const std::string& low, const std::string& high);

// A picture with caption lines under it.
struct Column {
  data::Image picture;
  std::vector<std::string> caption;
};

// Columns side by side on white, pictures top-aligned with captions under each, an optional title
// line above. Every column is as wide as its picture or its longest caption line.
data::Image side_by_side(const std::vector<Column>& columns, const std::string& title);

// Layout constants shared by the pictures (pixels).
inline constexpr int64_t kMargin = 8;
inline constexpr int64_t kLineHeight = 11;  // stb_easy_font's 7-pixel text plus spacing

}  // namespace staa::tools
