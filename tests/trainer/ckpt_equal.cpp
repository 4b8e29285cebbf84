// ckpt_equal <a> <b>: exit 0 when two checkpoints hold bit-identical model.* and optimizer.*
// tensors (the counters in the metadata may differ), else print the first difference and exit 1.
// A helper of cli_tests.sh. Layer: tests.
#include <cstdio>
#include <cstring>
#include <map>

#include "tensor/safetensors.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: ckpt_equal <a.safetensors> <b.safetensors>\n");
    return 2;
  }
  try {
    const staa::SafetensorsFile a = staa::load_safetensors(argv[1]);
    const staa::SafetensorsFile b = staa::load_safetensors(argv[2]);
    std::map<std::string, staa::Tensor> other(b.tensors.begin(), b.tensors.end());
    if (a.tensors.size() != b.tensors.size()) {
      std::printf("tensor counts differ: %zu and %zu\n", a.tensors.size(), b.tensors.size());
      return 1;
    }
    for (const auto& [name, t] : a.tensors) {
      const auto it = other.find(name);
      if (it == other.end() || it->second.shape() != t.shape() || it->second.dtype() != t.dtype() ||
          std::memcmp(it->second.raw_data(), t.raw_data(), t.nbytes()) != 0) {
        std::printf("tensor %s differs\n", name.c_str());
        return 1;
      }
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 2;
  }
}
