// CIFAR binary reader (see cifar.h). Layer: data. Files are read whole; a wrong size, a partial
// record or a label out of range is an error naming the file, never a shorter dataset.
#include "data/cifar.h"

#include <filesystem>

#include "data/download.h"
#include "data/io.h"
#include "tensor/error.h"

namespace staa::data {
namespace {

namespace fs = std::filesystem;

const char* kind_name(CifarKind kind) {
  return kind == CifarKind::kCifar10 ? "CIFAR-10" : "CIFAR-100";
}

std::vector<std::string> cifar_files(CifarKind kind, bool train) {
  if (kind == CifarKind::kCifar100) return {train ? "train.bin" : "test.bin"};
  if (!train) return {"test_batch.bin"};
  return {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin",
          "data_batch_5.bin"};
}

int64_t official_records(CifarKind kind, bool train) {
  if (kind == CifarKind::kCifar10) return 10000;
  return train ? 50000 : 10000;
}

// The folder that holds the .bin files: root itself or the archive's folder inside it.
std::string cifar_folder(const std::string& root, CifarKind kind, const std::string& hint) {
  const std::string sub = kind == CifarKind::kCifar10 ? "cifar-10-batches-bin" : "cifar-100-binary";
  std::error_code ec;
  if (fs::is_directory(fs::path(root) / sub, ec)) return (fs::path(root) / sub).string();
  require_directory(root, std::string(kind_name(kind)) + " folder", hint);
  return root;
}

void append(CifarRecords& all, CifarRecords&& part) {
  all.count += part.count;
  all.labels.insert(all.labels.end(), part.labels.begin(), part.labels.end());
  all.coarse_labels.insert(all.coarse_labels.end(), part.coarse_labels.begin(),
                           part.coarse_labels.end());
  all.pixels.insert(all.pixels.end(), part.pixels.begin(), part.pixels.end());
}

}  // namespace

int64_t cifar_record_bytes(CifarKind kind) {
  return kind == CifarKind::kCifar10 ? 1 + kCifarPixels : 2 + kCifarPixels;
}
int64_t cifar_num_classes(CifarKind kind) {
  return kind == CifarKind::kCifar10 ? 10 : 100;
}

CifarRecords parse_cifar(const uint8_t* data, size_t size, CifarKind kind, const std::string& path,
                         int64_t expected_records) {
  const int64_t record = cifar_record_bytes(kind);
  const int64_t bytes = static_cast<int64_t>(size);
  if (expected_records > 0) {
    STAA_CHECK(bytes == expected_records * record, path, ": expected ", expected_records * record,
               " bytes (", expected_records, " ", kind_name(kind), " records of ", record,
               " bytes), found ", bytes, " bytes");
  }
  STAA_CHECK(bytes > 0 && bytes % record == 0, path, ": expected a whole number of ",
             kind_name(kind), " records of ", record, " bytes, found ", bytes, " bytes");
  CifarRecords out;
  out.count = bytes / record;
  out.labels.resize(static_cast<size_t>(out.count));
  out.pixels.resize(static_cast<size_t>(out.count * kCifarPixels));
  if (kind == CifarKind::kCifar100) out.coarse_labels.resize(static_cast<size_t>(out.count));
  const int64_t classes = cifar_num_classes(kind);
  for (int64_t i = 0; i < out.count; ++i) {
    const uint8_t* r = data + i * record;
    if (kind == CifarKind::kCifar100) {
      STAA_CHECK(r[0] < 20, path, ": expected coarse labels in [0, 20), record ", i, " has ",
                 int{r[0]});
      out.coarse_labels[static_cast<size_t>(i)] = r[0];
      ++r;
    }
    STAA_CHECK(r[0] < classes, path, ": expected labels in [0, ", classes, "), record ", i, " has ",
               int{r[0]});
    out.labels[static_cast<size_t>(i)] = r[0];
    std::copy(r + 1, r + 1 + kCifarPixels, out.pixels.data() + i * kCifarPixels);
  }
  return out;
}

CifarDataset::CifarDataset(const std::string& root, CifarKind kind, bool train,
                           CifarOptions options)
    : kind_(kind) {
  const std::string hint = how_to_get(kind == CifarKind::kCifar10 ? "cifar10" : "cifar100", root);
  const std::string folder = cifar_folder(root, kind, hint);
  const int64_t per_file =
      options.records_per_file > 0 ? options.records_per_file : official_records(kind, train);
  for (const std::string& name : cifar_files(kind, train)) {
    const std::string path = (fs::path(folder) / name).string();
    const Bytes bytes = read_file(path, hint);
    append(records_, parse_cifar(bytes.data(), bytes.size(), kind, path, per_file));
  }
}

Sample CifarDataset::get(int64_t index) const {
  STAA_CHECK(index >= 0 && index < size(), "CifarDataset: expected an index in [0, ", size(),
             "), found ", index);
  Sample s;
  s.shape = Shape{3, 32, 32};
  s.values.resize(kCifarPixels);
  const uint8_t* p = records_.pixels.data() + index * kCifarPixels;
  for (int64_t k = 0; k < kCifarPixels; ++k) s.values[k] = p[k] * (1.0f / 255.0f);
  s.label = records_.labels[static_cast<size_t>(index)];
  return s;
}

int64_t CifarDataset::label(int64_t index) const {
  STAA_CHECK(index >= 0 && index < size(), "CifarDataset: expected an index in [0, ", size(),
             "), found ", index);
  return records_.labels[static_cast<size_t>(index)];
}

}  // namespace staa::data
