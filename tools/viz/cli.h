// What the gradcam and raster CLIs share: a test sample of a run as the model sees it (test
// transform applied) and as a picture shows it, and the neuron's display name. Layer: tools.
#pragma once

#include <cstdint>
#include <string>

#include "data/dataset.h"
#include "tensor/tensor.h"
#include "tools/common/args.h"
#include "tools/common/run_model.h"

namespace staa::tools {

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
