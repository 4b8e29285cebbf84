// The key=value arguments with which a tool describes a model of the zoo without a checkpoint
// (tools/summary, tools/energy): classes, T, neuron, in_channels, size and the STAA switches.
// Layer: tools. Keys a tool handles itself are returned untouched, in order.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "snn/network.h"

namespace staa::tools {

struct ModelArgs {
  snn::ModelOptions options;
  int64_t size = 0;                          // input side (0: the model's usual)
  std::map<std::string, std::string> other;  // keys that are not model keys
};

// Parses key=value arguments; `tool` names the tool in errors. An argument without '=' is an
// error naming it.
ModelArgs parse_model_args(const std::vector<std::string>& args, const std::string& tool);
// The model keys for --help texts.
std::string model_args_help();

// Helpers for a tool's own keys: an integer, a number, a 0/1 flag; errors name the tool and key.
int64_t to_int(const std::string& tool, const std::string& key, const std::string& value);
double to_double(const std::string& tool, const std::string& key, const std::string& value);
bool to_bool(const std::string& tool, const std::string& key, const std::string& value);

}  // namespace staa::tools
