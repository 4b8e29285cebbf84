// IDX reader (see idx.h). Layer: data. The header is validated field by field before any
// allocation, so a corrupt header cannot ask for an absurd buffer.
#include "data/idx.h"

#include <cstdio>
#include <filesystem>

#include "data/download.h"
#include "data/io.h"
#include "tensor/error.h"

namespace staa::data {
namespace {

constexpr int64_t kMaxBodyBytes = int64_t{1} << 32;

std::string hex32(uint32_t v) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%08x", v);
  return text;
}

std::string dims_text(const std::vector<int64_t>& dims) {
  std::string s;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i > 0) s += 'x';
    s += std::to_string(dims[i]);
  }
  return s;
}

}  // namespace

IdxArray parse_idx(const uint8_t* data, size_t size, const std::string& path, int expected_ndims) {
  STAA_CHECK(size >= 4, path, ": expected a 4-byte IDX magic number, the file has ", size,
             " bytes");
  const uint32_t magic = load_be32(data);
  const int ndims = static_cast<int>(magic & 0xFF);
  const bool bytes_type = (magic >> 8) == 0x08;
  const bool ndims_ok = expected_ndims > 0 ? ndims == expected_ndims : ndims >= 1 && ndims <= 4;
  const uint32_t want =
      0x00000800u | static_cast<uint32_t>(expected_ndims > 0 ? expected_ndims : 1);
  STAA_CHECK(bytes_type && ndims_ok, path, ": expected the IDX magic number ",
             expected_ndims > 0 ? hex32(want) : std::string("0x0000080N (N = 1..4)"),
             " (unsigned bytes, ", expected_ndims > 0 ? std::to_string(expected_ndims) : "1-4",
             " dims), found ", hex32(magic),
             ndims == 3 && bytes_type   ? " (an images file)"
             : ndims == 1 && bytes_type ? " (a labels file)"
                                        : "");
  const size_t header = 4 + 4 * static_cast<size_t>(ndims);
  STAA_CHECK(size >= header, path, ": expected a ", header, "-byte header (", ndims,
             " dims), the file has ", size, " bytes");
  IdxArray out;
  int64_t body = 1;
  for (int d = 0; d < ndims; ++d) {
    const int64_t dim = load_be32(data + 4 + 4 * d);
    STAA_CHECK(dim > 0, path, ": expected positive dims, dim ", d, " is 0");
    STAA_CHECK(body <= kMaxBodyBytes / dim, path, ": expected at most ", kMaxBodyBytes,
               " bytes of data, the header promises more (dims so far ", dims_text(out.dims), "x",
               dim, ")");
    body *= dim;
    out.dims.push_back(dim);
  }
  const int64_t have = static_cast<int64_t>(size - header);
  STAA_CHECK(have >= body, path, ": truncated: the header promises ", dims_text(out.dims), " = ",
             body, " bytes after the ", header, "-byte header, the file holds only ", have);
  STAA_CHECK(have == body, path, ": expected the file to end after ", dims_text(out.dims), " (",
             header + body, " bytes), found ", have - body, " more bytes after it");
  out.values.assign(data + header, data + header + body);
  return out;
}

IdxArray read_idx(const std::string& path, int expected_ndims, const std::string& hint) {
  const Bytes bytes = read_maybe_gzip(path, hint);
  return parse_idx(bytes.data(), bytes.size(), path, expected_ndims);
}

IdxDataset::IdxDataset(const std::string& images_path, const std::string& labels_path,
                       int64_t num_classes, const std::string& hint)
    : num_classes_(num_classes) {
  IdxArray images = read_idx(images_path, 3, hint);
  IdxArray labels = read_idx(labels_path, 1, hint);
  STAA_CHECK(images.dims[0] == labels.dims[0], labels_path, ": expected ", images.dims[0],
             " labels (the count of ", images_path, "), found ", labels.dims[0]);
  count_ = images.dims[0];
  rows_ = images.dims[1];
  cols_ = images.dims[2];
  for (int64_t i = 0; i < count_; ++i) {
    STAA_CHECK(labels.values[i] < num_classes, labels_path, ": expected labels in [0, ",
               num_classes, "), label ", i, " is ", int{labels.values[i]});
  }
  pixels_ = std::move(images.values);
  labels_ = std::move(labels.values);
}

Sample IdxDataset::get(int64_t index) const {
  STAA_CHECK(index >= 0 && index < count_, "IdxDataset: expected an index in [0, ", count_,
             "), found ", index);
  Sample s;
  s.shape = Shape{1, rows_, cols_};
  const int64_t n = rows_ * cols_;
  s.values.resize(static_cast<size_t>(n));
  const uint8_t* p = pixels_.data() + index * n;
  for (int64_t k = 0; k < n; ++k) s.values[k] = p[k] * (1.0f / 255.0f);
  s.label = labels_[static_cast<size_t>(index)];
  return s;
}

int64_t IdxDataset::label(int64_t index) const {
  STAA_CHECK(index >= 0 && index < count_, "IdxDataset: expected an index in [0, ", count_,
             "), found ", index);
  return labels_[static_cast<size_t>(index)];
}

IdxDataset mnist_like(const std::string& root, bool train, const std::string& dataset_name) {
  const std::string hint = how_to_get(dataset_name, root);
  require_directory(root, dataset_name + " folder", hint);
  const std::string prefix = (std::filesystem::path(root) / (train ? "train" : "t10k")).string();
  const std::string images = find_file(
      {prefix + "-images-idx3-ubyte.gz", prefix + "-images-idx3-ubyte"}, "images file", hint);
  const std::string labels = find_file(
      {prefix + "-labels-idx1-ubyte.gz", prefix + "-labels-idx1-ubyte"}, "labels file", hint);
  return IdxDataset(images, labels, 10, hint);
}

}  // namespace staa::data
