// Run samples for the visualisation CLIs (cli.h). Layer: tools.
#include "tools/viz/cli.h"

namespace staa::tools {

RunSample load_run_sample(const train::DataSplits& data, int64_t index) {
  const data::Sample input = test_sample(data, index);
  const data::Sample raw = data.test->get(index);
  RunSample out;
  out.index = index;
  out.label = raw.label;
  out.stretch = input.shape != raw.shape;
  out.picture = out.stretch ? input : raw;
  std::vector<int64_t> dims = input.shape.vec();
  dims.insert(dims.begin() + (data.events ? 1 : 0), 1);  // the batch of one
  out.input = from_vector(input.values, Shape(dims));
  return out;
}

std::string neuron_label(const std::string& neuron) {
  if (neuron == "staa") return "STAA-LIF";
  if (neuron == "adaptive") return "adaptive LIF";
  return neuron == "lif" ? "LIF" : neuron;
}

}  // namespace staa::tools
