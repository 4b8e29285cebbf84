// CIFAR-10 and CIFAR-100 in their binary form (spec §5): records of label byte(s) + 3072 pixel
// bytes (R, G, B planes of 32x32). Layer: data. parse_cifar checks the record size and every
// label range; CifarDataset also checks each file's exact size and keeps the bytes (decoded
// lazily).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/dataset.h"

namespace staa::data {

enum class CifarKind { kCifar10, kCifar100 };

inline constexpr int64_t kCifarPixels = 3 * 32 * 32;

struct CifarRecords {
  int64_t count = 0;
  std::vector<uint8_t> labels;         // [count]: CIFAR-10 class, CIFAR-100 fine label
  std::vector<uint8_t> coarse_labels;  // [count]: CIFAR-100 only (20 superclasses)
  std::vector<uint8_t> pixels;         // [count, 3, 32, 32]
};

int64_t cifar_record_bytes(CifarKind kind);  // 3073 or 3074
int64_t cifar_num_classes(CifarKind kind);   // 10 or 100
// Parses whole records from bytes; `path` names the file in errors. expected_records = 0 takes
// any whole number of records, otherwise the count must match exactly.
CifarRecords parse_cifar(const uint8_t* data, size_t size, CifarKind kind, const std::string& path,
                         int64_t expected_records = 0);

struct CifarOptions {
  // Records per file; 0: the official counts (10,000 per CIFAR-10 batch, 50,000 / 10,000 for
  // CIFAR-100 train / test). Tests and benchmarks set it for small synthetic files.
  int64_t records_per_file = 0;
};

// root: the extracted folder (cifar-10-batches-bin/ or cifar-100-binary/) or its parent.
class CifarDataset : public Dataset {
 public:
  CifarDataset(const std::string& root, CifarKind kind, bool train, CifarOptions options = {});
  int64_t size() const override { return records_.count; }
  int64_t num_classes() const override { return cifar_num_classes(kind_); }
  Sample get(int64_t index) const override;  // [3, 32, 32] in [0, 1]
  int64_t label(int64_t index) const override;
  const CifarRecords& records() const { return records_; }

 private:
  CifarKind kind_;
  CifarRecords records_;
};

}  // namespace staa::data
