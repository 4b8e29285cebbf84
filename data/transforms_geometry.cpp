// Geometric transforms (see transforms.h): crops, resizes, rotation and shifts over the last two
// dims of a sample. Layer: data. Bilinear sampling uses pixel centres at integer coordinates and
// reads 0 outside the input, so rotation and translation fill with 0.
#include <algorithm>
#include <cmath>

#include "data/planes.h"
#include "data/transforms.h"
#include "tensor/error.h"

namespace staa::data {
namespace {

constexpr double kPi = 3.14159265358979323846;

void set_hw(Sample& s, int64_t h, int64_t w) {
  s.shape[s.shape.ndim() - 2] = h;
  s.shape[s.shape.ndim() - 1] = w;
}

float bilinear(const float* plane, int64_t h, int64_t w, double y, double x) {
  const double fy = std::floor(y), fx = std::floor(x);
  const int64_t y0 = static_cast<int64_t>(fy), x0 = static_cast<int64_t>(fx);
  const float ay = static_cast<float>(y - fy), ax = static_cast<float>(x - fx);
  auto at = [&](int64_t yy, int64_t xx) {
    return (yy >= 0 && yy < h && xx >= 0 && xx < w) ? plane[yy * w + xx] : 0.0f;
  };
  return (1 - ay) * ((1 - ax) * at(y0, x0) + ax * at(y0, x0 + 1)) +
         ay * ((1 - ax) * at(y0 + 1, x0) + ax * at(y0 + 1, x0 + 1));
}

// out(y, x) = in(y - dy, x - dx), wrapping or filling with 0.
void shift_planes(Sample& s, int64_t dy, int64_t dx, bool wrap, const char* op) {
  const Planes p = planes_of(s, op);
  std::vector<float> out(s.values.size(), 0.0f);
  for (int64_t k = 0; k < p.count; ++k) {
    const float* src = s.values.data() + k * p.h * p.w;
    float* dst = out.data() + k * p.h * p.w;
    for (int64_t y = 0; y < p.h; ++y) {
      int64_t sy = y - dy;
      if (wrap) sy = ((sy % p.h) + p.h) % p.h;
      if (sy < 0 || sy >= p.h) continue;
      for (int64_t x = 0; x < p.w; ++x) {
        int64_t sx = x - dx;
        if (wrap) sx = ((sx % p.w) + p.w) % p.w;
        if (sx >= 0 && sx < p.w) dst[y * p.w + x] = src[sy * p.w + sx];
      }
    }
  }
  s.values.swap(out);
}

}  // namespace

void crop_planes(Sample& s, int64_t top, int64_t left, int64_t h, int64_t w) {
  const Planes p = planes_of(s, "crop");
  STAA_CHECK(h > 0 && w > 0, "crop: expected a positive window, found ", h, "x", w);
  std::vector<float> out(static_cast<size_t>(p.count * h * w), 0.0f);
  const int64_t y_lo = std::max<int64_t>(0, -top), y_hi = std::min(h, p.h - top);
  const int64_t x_lo = std::max<int64_t>(0, -left), x_hi = std::min(w, p.w - left);
  for (int64_t k = 0; k < p.count; ++k) {
    for (int64_t y = y_lo; y < y_hi; ++y) {
      if (x_hi <= x_lo) break;
      const float* src = s.values.data() + (k * p.h + top + y) * p.w + left;
      std::copy(src + x_lo, src + x_hi, out.data() + (k * h + y) * w + x_lo);
    }
  }
  s.values.swap(out);
  set_hw(s, h, w);
}

void resize_planes(Sample& s, double top, double left, double h, double w, int64_t out_h,
                   int64_t out_w) {
  const Planes p = planes_of(s, "resize");
  STAA_CHECK(out_h > 0 && out_w > 0 && h > 0 && w > 0, "resize: expected positive sizes, found ", h,
             "x", w, " -> ", out_h, "x", out_w);
  std::vector<float> out(static_cast<size_t>(p.count * out_h * out_w));
  const double sy = h / static_cast<double>(out_h), sx = w / static_cast<double>(out_w);
  for (int64_t k = 0; k < p.count; ++k) {
    const float* src = s.values.data() + k * p.h * p.w;
    for (int64_t y = 0; y < out_h; ++y) {
      // Half-pixel centres, clamped to the edge pixels (no zeros bleed in at the border).
      const double fy = std::clamp(top + (y + 0.5) * sy - 0.5, 0.0, static_cast<double>(p.h - 1));
      for (int64_t x = 0; x < out_w; ++x) {
        const double fx =
            std::clamp(left + (x + 0.5) * sx - 0.5, 0.0, static_cast<double>(p.w - 1));
        out[static_cast<size_t>((k * out_h + y) * out_w + x)] = bilinear(src, p.h, p.w, fy, fx);
      }
    }
  }
  s.values.swap(out);
  set_hw(s, out_h, out_w);
}

void RandomCrop::apply(Sample& s, SampleRng& rng) const {
  const Planes p = planes_of(s, "RandomCrop");
  const int64_t span_y = p.h + 2 * pad_ - h_, span_x = p.w + 2 * pad_ - w_;
  STAA_CHECK(span_y >= 0 && span_x >= 0, "RandomCrop: expected a padded input of at least ", h_,
             "x", w_, ", found ", p.h, "x", p.w, " with padding ", pad_);
  const int64_t top = rng.below(span_y + 1) - pad_, left = rng.below(span_x + 1) - pad_;
  crop_planes(s, top, left, h_, w_);
}

void CenterCrop::apply(Sample& s, SampleRng&) const {
  const Planes p = planes_of(s, "CenterCrop");
  crop_planes(s, std::llround((p.h - h_) / 2.0), std::llround((p.w - w_) / 2.0), h_, w_);
}

void Resize::apply(Sample& s, SampleRng&) const {
  const Planes p = planes_of(s, "Resize");
  int64_t h = shorter_, w = shorter_;
  if (p.h < p.w) w = shorter_ * p.w / p.h;
  if (p.w < p.h) h = shorter_ * p.h / p.w;
  resize_planes(s, 0, 0, static_cast<double>(p.h), static_cast<double>(p.w), h, w);
}

void RandomResizedCrop::apply(Sample& s, SampleRng& rng) const {
  const Planes p = planes_of(s, "RandomResizedCrop");
  const double area = static_cast<double>(p.h * p.w);
  for (int attempt = 0; attempt < 10; ++attempt) {
    const double target = area * rng.uniform(scale_lo_, scale_hi_);
    const double aspect = std::exp(rng.uniform(std::log(ratio_lo_), std::log(ratio_hi_)));
    const int64_t w = std::llround(std::sqrt(target * aspect));
    const int64_t h = std::llround(std::sqrt(target / aspect));
    if (w <= 0 || h <= 0 || w > p.w || h > p.h) continue;
    const int64_t top = rng.below(p.h - h + 1), left = rng.below(p.w - w + 1);
    resize_planes(s, static_cast<double>(top), static_cast<double>(left), static_cast<double>(h),
                  static_cast<double>(w), size_, size_);
    return;
  }
  // Fallback: the largest centred window whose aspect lies in the ratio range.
  const double in_ratio = static_cast<double>(p.w) / static_cast<double>(p.h);
  int64_t w = p.w, h = p.h;
  if (in_ratio < ratio_lo_) h = std::llround(w / ratio_lo_);
  if (in_ratio > ratio_hi_) w = std::llround(h * ratio_hi_);
  resize_planes(s, static_cast<double>((p.h - h) / 2), static_cast<double>((p.w - w) / 2),
                static_cast<double>(h), static_cast<double>(w), size_, size_);
}

void Roll::apply(Sample& s, SampleRng& rng) const {
  const int64_t dy = rng.between(-max_, max_), dx = rng.between(-max_, max_);
  shift_planes(s, dy, dx, /*wrap=*/true, "Roll");
}

void Translate::apply(Sample& s, SampleRng& rng) const {
  const Planes p = planes_of(s, "Translate");
  const int64_t my = std::llround(max_fraction_ * p.h), mx = std::llround(max_fraction_ * p.w);
  const int64_t dy = rng.between(-my, my), dx = rng.between(-mx, mx);
  shift_planes(s, dy, dx, /*wrap=*/false, "Translate");
}

void Rotate::apply(Sample& s, SampleRng& rng) const {
  const Planes p = planes_of(s, "Rotate");
  const double angle = rng.uniform(-max_degrees_, max_degrees_) * kPi / 180.0;
  const double c = std::cos(angle), sn = std::sin(angle);
  const double cy = (p.h - 1) / 2.0, cx = (p.w - 1) / 2.0;
  std::vector<float> out(s.values.size());
  for (int64_t k = 0; k < p.count; ++k) {
    const float* src = s.values.data() + k * p.h * p.w;
    float* dst = out.data() + k * p.h * p.w;
    for (int64_t y = 0; y < p.h; ++y) {
      for (int64_t x = 0; x < p.w; ++x) {
        // Inverse map: the source point that rotates onto (y, x).
        const double ry = y - cy, rx = x - cx;
        const double sy = c * ry - sn * rx + cy, sx = sn * ry + c * rx + cx;
        if (interp_ == Interp::kBilinear) {
          dst[y * p.w + x] = bilinear(src, p.h, p.w, sy, sx);
        } else {
          const int64_t ny = std::llround(sy), nx = std::llround(sx);
          dst[y * p.w + x] =
              (ny >= 0 && ny < p.h && nx >= 0 && nx < p.w) ? src[ny * p.w + nx] : 0.0f;
        }
      }
    }
  }
  s.values.swap(out);
}

}  // namespace staa::data
