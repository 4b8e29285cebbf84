// Seeded sample transforms, applied by the loader's workers: each draws only from the SampleRng it
// is given, which the loader keys by (seed, epoch, position), so results never depend on worker
// count. Layer: data. A transform works on the last two dims (H, W) of any sample, so the same
// ops serve images [C, H, W] and event frames [T, 2, H, W]; Normalize and Contrast read dim 0 as
// channels. Fill value outside the source is 0 everywhere.
#pragma once

#include <memory>
#include <vector>

#include "data/dataset.h"
#include "data/random.h"

namespace staa::data {

class Transform {
 public:
  virtual ~Transform() = default;
  virtual void apply(Sample& sample, SampleRng& rng) const = 0;
};
using TransformPtr = std::shared_ptr<const Transform>;

enum class Interp { kNearest, kBilinear };

// Each in turn.
class Compose : public Transform {
 public:
  explicit Compose(std::vector<TransformPtr> ops) : ops_(std::move(ops)) {}
  void apply(Sample& sample, SampleRng& rng) const override;

 private:
  std::vector<TransformPtr> ops_;
};

// k distinct ops drawn uniformly from `ops`, applied in the order drawn (the paper's "k random
// ops of {contrast, rotation, translation}" on CIFAR, one of five ops on CIFAR10-DVS).
class RandomOps : public Transform {
 public:
  RandomOps(int k, std::vector<TransformPtr> ops);
  void apply(Sample& sample, SampleRng& rng) const override;

 private:
  int k_;
  std::vector<TransformPtr> ops_;
};

// (x - mean[c]) / std[c] for channel c = dim 0.
class Normalize : public Transform {
 public:
  Normalize(std::vector<float> mean, std::vector<float> std);
  void apply(Sample& sample, SampleRng& rng) const override;

 private:
  std::vector<float> mean_, inv_std_;
};

// Pads by `padding` zeros on each side, then takes a random height x width window.
class RandomCrop : public Transform {
 public:
  RandomCrop(int64_t height, int64_t width, int64_t padding)
      : h_(height), w_(width), pad_(padding) {}
  void apply(Sample& sample, SampleRng& rng) const override;

 private:
  int64_t h_, w_, pad_;
};

// Mirrors W with probability p.
class HorizontalFlip : public Transform {
 public:
  explicit HorizontalFlip(double p = 0.5) : p_(p) {}
  void apply(Sample& sample, SampleRng& rng) const override;

 private:
  double p_;
};

// Cutout (DeVries & Taylor): a size x size square centred at a uniform pixel, clipped, set to 0.
class Cutout : public Transform {
 public:
  explicit Cutout(int64_t size) : size_(size) {}
  void apply(Sample& sample, SampleRng& rng) const override;

 private:
  int64_t size_;
};

// Random erasing (Zhong et al., torchvision's parameters): with probability p, a rectangle of
// area fraction in [scale_lo, scale_hi] and aspect in [ratio_lo, ratio_hi] set to 0.
class RandomErasing : public Transform {
 public:
  explicit RandomErasing(double p = 0.5, double scale_lo = 0.02, double scale_hi = 0.33,
                         double ratio_lo = 0.3, double ratio_hi = 3.3)
      : p_(p), scale_lo_(scale_lo), scale_hi_(scale_hi), ratio_lo_(ratio_lo), ratio_hi_(ratio_hi) {}
  void apply(Sample& sample, SampleRng& rng) const override;

 private:
  double p_, scale_lo_, scale_hi_, ratio_lo_, ratio_hi_;
};

// Shifts by (dy, dx) uniform in [-max_shift, max_shift], wrapping around (torch.roll).
class Roll : public Transform {
 public:
  explicit Roll(int64_t max_shift) : max_(max_shift) {}
  void apply(Sample& sample, SampleRng& rng) const override;

 private:
  int64_t max_;
};

// Shifts by whole pixels, up to max_fraction of H and W each way, filling with 0.
class Translate : public Transform {
 public:
  explicit Translate(double max_fraction) : max_fraction_(max_fraction) {}
  void apply(Sample& sample, SampleRng& rng) const override;

 private:
  double max_fraction_;
};

// Rotates about the centre by an angle uniform in [-max_degrees, max_degrees].
class Rotate : public Transform {
 public:
  explicit Rotate(double max_degrees, Interp interp = Interp::kBilinear)
      : max_degrees_(max_degrees), interp_(interp) {}
  void apply(Sample& sample, SampleRng& rng) const override;

 private:
  double max_degrees_;
  Interp interp_;
};

// Contrast by a factor uniform in [lo, hi] about the mean grey level (PIL's ImageEnhance
// definition; grey = 0.299 R + 0.587 G + 0.114 B for 3 channels), clamped to [0, 1].
class Contrast : public Transform {
 public:
  Contrast(double lo, double hi) : lo_(lo), hi_(hi) {}
  void apply(Sample& sample, SampleRng& rng) const override;

 private:
  double lo_, hi_;
};

// Scales so the shorter side is `shorter` (bilinear, half-pixel centres, no antialiasing).
class Resize : public Transform {
 public:
  explicit Resize(int64_t shorter) : shorter_(shorter) {}
  void apply(Sample& sample, SampleRng& rng) const override;

 private:
  int64_t shorter_;
};

// The central height x width window (zero-padded when the input is smaller).
class CenterCrop : public Transform {
 public:
  CenterCrop(int64_t height, int64_t width) : h_(height), w_(width) {}
  void apply(Sample& sample, SampleRng& rng) const override;

 private:
  int64_t h_, w_;
};

// torchvision's RandomResizedCrop: a window of area fraction in [scale_lo, scale_hi] and aspect in
// [ratio_lo, ratio_hi] (log-uniform), 10 tries then a centre crop, resized to size x size.
class RandomResizedCrop : public Transform {
 public:
  explicit RandomResizedCrop(int64_t size, double scale_lo = 0.08, double scale_hi = 1.0,
                             double ratio_lo = 3.0 / 4.0, double ratio_hi = 4.0 / 3.0)
      : size_(size),
        scale_lo_(scale_lo),
        scale_hi_(scale_hi),
        ratio_lo_(ratio_lo),
        ratio_hi_(ratio_hi) {}
  void apply(Sample& sample, SampleRng& rng) const override;

 private:
  int64_t size_;
  double scale_lo_, scale_hi_, ratio_lo_, ratio_hi_;
};

// Plane helpers shared by the transforms (and tested directly).
// The [top, top + h) x [left, left + w) window of every plane (zeros outside the input).
void crop_planes(Sample& sample, int64_t top, int64_t left, int64_t h, int64_t w);
// Bilinear resize of every plane's [top, top + h) x [left, left + w) window to out_h x out_w.
void resize_planes(Sample& sample, double top, double left, double h, double w, int64_t out_h,
                   int64_t out_w);

// The presets of spec §4.
// CIFAR train: RandomCrop(32, pad 4), HFlip, 2 random ops of {contrast [0.5, 1.5], rotation
// ±15°, translation ±12.5 %}, Normalize, Cutout(16). CIFAR test: Normalize.
TransformPtr cifar_train_transform(const std::vector<float>& mean, const std::vector<float>& std);
TransformPtr cifar_test_transform(const std::vector<float>& mean, const std::vector<float>& std);
// ImageNet train: RandomResizedCrop(224) + HFlip + Normalize; test: Resize(256) + CenterCrop(224)
// + Normalize.
TransformPtr imagenet_train_transform();
TransformPtr imagenet_test_transform();
// CIFAR10-DVS train: HFlip, then one of {crop (pad 16 of 128), roll ±5 px, rotate ±15°,
// cutout 32 px, random erasing}. DVS128 Gesture train: cutout, rotation ±15° / translation
// ±10 % (one of them); mixup is set on the loader.
TransformPtr cifar10_dvs_train_transform(int64_t size = 128);
TransformPtr gesture_train_transform(int64_t size = 128);

}  // namespace staa::data
