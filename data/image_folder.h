// Images from files: decode_image (JPEG / PNG / BMP ... through stb_image, always 3 channels) and
// ImageFolder, the ImageNet layout root/<class>/<image> with classes sorted by name. Layer: data.
// Files are listed up front and decoded lazily in get(), i.e. in the loader's workers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/dataset.h"

namespace staa::data {

// [3, H, W] in [0, 1]; `path` names the file in errors (an undecodable image is an error).
Sample decode_image(const uint8_t* data, size_t size, const std::string& path);
Sample read_image(const std::string& path);

class ImageFolder : public Dataset {
 public:
  // root/<class>/*.{jpg,jpeg,png} (any case); classes are the sorted subfolder names.
  explicit ImageFolder(const std::string& root, const std::string& hint = "");
  int64_t size() const override { return static_cast<int64_t>(files_.size()); }
  int64_t num_classes() const override { return static_cast<int64_t>(classes_.size()); }
  Sample get(int64_t index) const override;
  int64_t label(int64_t index) const override;
  const std::vector<std::string>& classes() const { return classes_; }
  const std::string& file(int64_t index) const { return files_[static_cast<size_t>(index)]; }

 private:
  std::vector<std::string> classes_;
  std::vector<std::string> files_;
  std::vector<int64_t> labels_;
};

// ImageNet: root/train or root/val as an ImageFolder, with the manual-download hint.
ImageFolder imagenet(const std::string& root, bool train);

}  // namespace staa::data
