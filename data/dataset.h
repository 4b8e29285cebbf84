// The dataset interface of the data layer: a Dataset maps an index to a Sample (float values with
// a shape, and a label); a Subset views some of another's indices. Layer: data. get() is const
// and thread-safe, so loader workers call it concurrently; it decodes lazily where it can.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tensor/shape.h"

namespace staa::data {

// Images: [C, H, W] with values in [0, 1] before normalisation; event frames: [T, 2, H, W] of
// event counts (channel 0: polarity 0, channel 1: polarity 1).
struct Sample {
  Shape shape;
  std::vector<float> values;  // shape.numel() values, row-major
  int64_t label = 0;
};

class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual int64_t size() const = 0;
  virtual int64_t num_classes() const = 0;
  // Sample `index` in [0, size()); throws staa::Error naming the file when it cannot be read.
  virtual Sample get(int64_t index) const = 0;
  // The label alone, without decoding (split policies and class counts use it).
  virtual int64_t label(int64_t index) const = 0;
};

// The samples `indices` of `base`, in that order.
class Subset : public Dataset {
 public:
  Subset(std::shared_ptr<const Dataset> base, std::vector<int64_t> indices);
  int64_t size() const override { return static_cast<int64_t>(indices_.size()); }
  int64_t num_classes() const override { return base_->num_classes(); }
  Sample get(int64_t index) const override;
  int64_t label(int64_t index) const override;
  const std::vector<int64_t>& indices() const { return indices_; }

 private:
  int64_t base_index(int64_t index) const;
  std::shared_ptr<const Dataset> base_;
  std::vector<int64_t> indices_;
};

// Samples per class: counts[c] for c in [0, num_classes()).
std::vector<int64_t> class_counts(const Dataset& dataset);

// The CIFAR and ImageNet per-channel statistics (values in [0, 1]), for Normalize.
inline const std::vector<float> kCifar10Mean = {0.4914f, 0.4822f, 0.4465f};
inline const std::vector<float> kCifar10Std = {0.2470f, 0.2435f, 0.2616f};
inline const std::vector<float> kCifar100Mean = {0.5071f, 0.4865f, 0.4409f};
inline const std::vector<float> kCifar100Std = {0.2673f, 0.2564f, 0.2762f};
inline const std::vector<float> kImageNetMean = {0.485f, 0.456f, 0.406f};
inline const std::vector<float> kImageNetStd = {0.229f, 0.224f, 0.225f};

}  // namespace staa::data
