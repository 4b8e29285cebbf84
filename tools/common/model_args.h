// The keys with which a tool describes a model of the zoo without a checkpoint (tools/summary,
// tools/energy): classes, T, neuron, in_channels, size and the STAA switches. Layer: tools.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "snn/network.h"
#include "tools/common/args.h"

namespace staa::tools {

struct ModelArgs {
  snn::ModelOptions options;
  int64_t size = 0;  // input side (0: the model's usual)
};

// The model keys, for the optional keys of a tool's Args.
const std::vector<std::string>& model_keys();
// The model of the given keys (defaults: ModelOptions'); errors name the tool and the key.
ModelArgs model_args(const Args& args);
// The model keys for --help texts.
std::string model_args_help();

}  // namespace staa::tools
