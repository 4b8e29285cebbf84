// What the gradcam and raster CLIs share: key=value arguments checked against the keys a tool
// knows, value parsers whose errors name the key, and a test sample of a run as the model sees it
// (test transform applied) and as a picture shows it. Layer: tools.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "tensor/tensor.h"
#include "tools/common/run_model.h"

namespace staa::tools {

// key=value arguments (argv[1..]); throws naming the tool for a malformed or unknown key, a key
// given twice, or a missing required key.
class Args {
 public:
  Args(const std::string& tool, int argc, char** argv, const std::vector<std::string>& required,
       const std::vector<std::string>& optional);
  bool has(const std::string& key) const { return values_.count(key) != 0; }
  std::string text(const std::string& key, const std::string& fallback = "") const;
  int64_t integer(const std::string& key, int64_t fallback, int64_t low, int64_t high) const;
  double real(const std::string& key, double fallback, double low, double high) const;
  // "0,1,2" -> {0, 1, 2}, each in [low, high].
  std::vector<int64_t> integers(const std::string& key, int64_t low, int64_t high) const;

 private:
  std::string tool_;
  std::map<std::string, std::string> values_;
};

// Test sample `index` of a run: `input` after the run's test transform, ready for the model as
// [1, C, H, W] (images) or [T, 1, 2, H, W] (event frames); `picture` the sample to show (the raw
// one when the transform keeps its shape, else the input stretched to [0, 1]).
struct RunSample {
  int64_t index = 0, label = 0;
  Tensor input;
  data::Sample picture;
  bool stretch = false;  // the picture holds normalised values
};
RunSample load_run_sample(const train::DataSplits& data, int64_t index);

// "STAA-LIF", "LIF", "adaptive LIF" for the trainer's neuron option.
std::string neuron_label(const std::string& neuron);

}  // namespace staa::tools
