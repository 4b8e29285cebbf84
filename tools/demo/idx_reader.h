// IDX files (the MNIST family's format: big-endian magic, dims, then unsigned bytes), gzipped or
// plain, read through zlib. Tool: tools/demo. Outside input, so every check names the file, what
// was expected and what was found: magic number, dims, truncation, trailing bytes, label range.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace staa::demo {

struct IdxImages {
  std::string path;
  int64_t count = 0;
  int64_t rows = 0;
  int64_t cols = 0;
  std::vector<uint8_t> pixels;  // [count, rows, cols], row-major
};

struct IdxLabels {
  std::string path;
  int64_t count = 0;
  std::vector<uint8_t> labels;  // [count], each < the num_classes given to the reader
};

// An idx3-ubyte file (magic 0x00000803).
IdxImages read_idx_images(const std::string& path);
// An idx1-ubyte file (magic 0x00000801) whose labels are all < num_classes.
IdxLabels read_idx_labels(const std::string& path, int num_classes);

}  // namespace staa::demo
