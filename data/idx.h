// IDX files (the MNIST family's format: big-endian magic 0x0000 08 <ndims>, the dims as big-endian
// u32, then unsigned bytes), plain or gzipped. Layer: data. The body must hold exactly the bytes
// the dims promise; IdxDataset pairs an images file with a labels file of the same count.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/dataset.h"

namespace staa::data {

struct IdxArray {
  std::vector<int64_t> dims;
  std::vector<uint8_t> values;  // product(dims) bytes, row-major
};

// Parses decompressed IDX bytes. expected_ndims: 1 for labels, 3 for images (0: any of 1..4).
IdxArray parse_idx(const uint8_t* data, size_t size, const std::string& path,
                   int expected_ndims = 0);
// Reads path (gzip or plain) and parses it.
IdxArray read_idx(const std::string& path, int expected_ndims, const std::string& hint = "");

// Images [N, rows, cols] and labels [N] from two IDX files; labels must be < num_classes.
class IdxDataset : public Dataset {
 public:
  IdxDataset(const std::string& images_path, const std::string& labels_path, int64_t num_classes,
             const std::string& hint = "");
  int64_t size() const override { return count_; }
  int64_t num_classes() const override { return num_classes_; }
  Sample get(int64_t index) const override;  // [1, rows, cols] in [0, 1]
  int64_t label(int64_t index) const override;
  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }

 private:
  int64_t count_ = 0, rows_ = 0, cols_ = 0, num_classes_ = 0;
  std::vector<uint8_t> pixels_, labels_;
};

// Fashion-MNIST or MNIST in `root` (train-images-idx3-ubyte[.gz] and the like; Debian's
// dataset-fashion-mnist installs them in /usr/share/datasets/fashion-mnist).
IdxDataset mnist_like(const std::string& root, bool train, const std::string& dataset_name);

}  // namespace staa::data
