// Transforms (see transforms.h): composition, channel ops and the erasing family. Layer: data.
// Geometric ops (crop, resize, rotate, shifts) are in transforms_geometry.cpp.
#include "data/transforms.h"

#include <algorithm>
#include <cmath>

#include "data/planes.h"

#include "tensor/error.h"

namespace staa::data {
namespace {

// Sets the [y0, y1) x [x0, x1) rectangle of every plane to 0.
void zero_rect(Sample& s, int64_t y0, int64_t y1, int64_t x0, int64_t x1) {
  const Planes p = planes_of(s, "erase");
  y0 = std::clamp<int64_t>(y0, 0, p.h);
  y1 = std::clamp<int64_t>(y1, 0, p.h);
  x0 = std::clamp<int64_t>(x0, 0, p.w);
  x1 = std::clamp<int64_t>(x1, 0, p.w);
  for (int64_t k = 0; k < p.count; ++k) {
    for (int64_t y = y0; y < y1; ++y) {
      float* row = s.values.data() + (k * p.h + y) * p.w;
      std::fill(row + x0, row + x1, 0.0f);
    }
  }
}

}  // namespace

void Compose::apply(Sample& sample, SampleRng& rng) const {
  for (const TransformPtr& op : ops_) op->apply(sample, rng);
}

RandomOps::RandomOps(int k, std::vector<TransformPtr> ops) : k_(k), ops_(std::move(ops)) {
  STAA_CHECK(k_ >= 0 && k_ <= static_cast<int>(ops_.size()), "RandomOps: expected k in [0, ",
             ops_.size(), "], found ", k_);
}

void RandomOps::apply(Sample& sample, SampleRng& rng) const {
  std::vector<size_t> order(ops_.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  for (int i = 0; i < k_; ++i) {  // partial Fisher-Yates: the first k are a uniform k-subset
    const size_t j = static_cast<size_t>(i) +
                     static_cast<size_t>(rng.below(static_cast<int64_t>(order.size()) - i));
    std::swap(order[static_cast<size_t>(i)], order[j]);
    ops_[order[static_cast<size_t>(i)]]->apply(sample, rng);
  }
}

Normalize::Normalize(std::vector<float> mean, std::vector<float> std) : mean_(std::move(mean)) {
  STAA_CHECK(!mean_.empty() && mean_.size() == std.size(),
             "Normalize: expected as many std values as means, found ", mean_.size(), " means and ",
             std.size(), " std values");
  for (const float s : std) {
    STAA_CHECK(s > 0, "Normalize: expected positive std values, found ", s);
    inv_std_.push_back(1.0f / s);
  }
}

void Normalize::apply(Sample& s, SampleRng&) const {
  STAA_CHECK(s.shape.ndim() >= 1 && s.shape[0] == static_cast<int64_t>(mean_.size()),
             "Normalize: expected ", mean_.size(), " channels (dim 0), found shape ", s.shape);
  const int64_t per_channel = s.shape.numel() / s.shape[0];
  for (int64_t c = 0; c < s.shape[0]; ++c) {
    float* v = s.values.data() + c * per_channel;
    const float m = mean_[c], inv = inv_std_[c];
    for (int64_t i = 0; i < per_channel; ++i) v[i] = (v[i] - m) * inv;
  }
}

void HorizontalFlip::apply(Sample& s, SampleRng& rng) const {
  const Planes p = planes_of(s, "HorizontalFlip");
  if (!rng.bernoulli(p_)) return;
  for (int64_t r = 0; r < p.count * p.h; ++r) {
    float* row = s.values.data() + r * p.w;
    std::reverse(row, row + p.w);
  }
}

void Cutout::apply(Sample& s, SampleRng& rng) const {
  const Planes p = planes_of(s, "Cutout");
  const int64_t cy = rng.below(p.h), cx = rng.below(p.w);
  zero_rect(s, cy - size_ / 2, cy - size_ / 2 + size_, cx - size_ / 2, cx - size_ / 2 + size_);
}

void RandomErasing::apply(Sample& s, SampleRng& rng) const {
  const Planes p = planes_of(s, "RandomErasing");
  if (!rng.bernoulli(p_)) return;
  const double area = static_cast<double>(p.h * p.w);
  for (int attempt = 0; attempt < 10; ++attempt) {
    const double target = area * rng.uniform(scale_lo_, scale_hi_);
    const double aspect = std::exp(rng.uniform(std::log(ratio_lo_), std::log(ratio_hi_)));
    const int64_t h = std::llround(std::sqrt(target * aspect));
    const int64_t w = std::llround(std::sqrt(target / aspect));
    if (h < 1 || w < 1 || h >= p.h || w >= p.w) continue;
    const int64_t top = rng.below(p.h - h + 1), left = rng.below(p.w - w + 1);
    zero_rect(s, top, top + h, left, left + w);
    return;
  }
}

void Contrast::apply(Sample& s, SampleRng& rng) const {
  const Planes p = planes_of(s, "Contrast");
  const float factor = static_cast<float>(rng.uniform(lo_, hi_));
  const int64_t plane = p.h * p.w;
  double mean = 0;
  if (p.count == 3) {
    const float* v = s.values.data();
    for (int64_t i = 0; i < plane; ++i) {
      mean += 0.299 * v[i] + 0.587 * v[plane + i] + 0.114 * v[2 * plane + i];
    }
    mean /= static_cast<double>(plane);
  } else {
    for (const float v : s.values) mean += v;
    mean /= static_cast<double>(std::max<size_t>(s.values.size(), 1));
  }
  const float m = static_cast<float>(mean);
  for (float& v : s.values) v = std::clamp(m + factor * (v - m), 0.0f, 1.0f);
}

TransformPtr cifar_train_transform(const std::vector<float>& mean, const std::vector<float>& std) {
  std::vector<TransformPtr> ops = {std::make_shared<Contrast>(0.5, 1.5),
                                   std::make_shared<Rotate>(15.0),
                                   std::make_shared<Translate>(0.125)};
  return std::make_shared<Compose>(std::vector<TransformPtr>{
      std::make_shared<RandomCrop>(32, 32, 4), std::make_shared<HorizontalFlip>(0.5),
      std::make_shared<RandomOps>(2, std::move(ops)), std::make_shared<Normalize>(mean, std),
      std::make_shared<Cutout>(16)});
}

TransformPtr cifar_test_transform(const std::vector<float>& mean, const std::vector<float>& std) {
  return std::make_shared<Normalize>(mean, std);
}

TransformPtr imagenet_train_transform() {
  return std::make_shared<Compose>(std::vector<TransformPtr>{
      std::make_shared<RandomResizedCrop>(224), std::make_shared<HorizontalFlip>(0.5),
      std::make_shared<Normalize>(kImageNetMean, kImageNetStd)});
}

TransformPtr imagenet_test_transform() {
  return std::make_shared<Compose>(std::vector<TransformPtr>{
      std::make_shared<Resize>(256), std::make_shared<CenterCrop>(224, 224),
      std::make_shared<Normalize>(kImageNetMean, kImageNetStd)});
}

TransformPtr cifar10_dvs_train_transform(int64_t size) {
  std::vector<TransformPtr> ops = {
      std::make_shared<RandomCrop>(size, size, size / 8), std::make_shared<Roll>(5),
      std::make_shared<Rotate>(15.0, Interp::kNearest), std::make_shared<Cutout>(size / 4),
      std::make_shared<RandomErasing>(1.0)};
  return std::make_shared<Compose>(std::vector<TransformPtr>{
      std::make_shared<HorizontalFlip>(0.5), std::make_shared<RandomOps>(1, std::move(ops))});
}

TransformPtr gesture_train_transform(int64_t size) {
  std::vector<TransformPtr> ops = {std::make_shared<Rotate>(15.0, Interp::kNearest),
                                   std::make_shared<Translate>(0.1)};
  return std::make_shared<Compose>(std::vector<TransformPtr>{
      std::make_shared<Cutout>(size / 4), std::make_shared<RandomOps>(1, std::move(ops))});
}

}  // namespace staa::data
