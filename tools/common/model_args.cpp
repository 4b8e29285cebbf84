// Model keys of the tools (tools/common/model_args.h). Layer: tools.
#include "tools/common/model_args.h"

#include <cstdlib>

namespace staa::tools {

int64_t to_int(const std::string& tool, const std::string& key, const std::string& value) {
  char* end = nullptr;
  const long long v = std::strtoll(value.c_str(), &end, 10);
  STAA_CHECK(end && *end == '\0' && !value.empty(), tool, ": ", key, " expects an integer, got '",
             value, "'");
  return v;
}

double to_double(const std::string& tool, const std::string& key, const std::string& value) {
  char* end = nullptr;
  const double v = std::strtod(value.c_str(), &end);
  STAA_CHECK(end && *end == '\0' && !value.empty(), tool, ": ", key, " expects a number, got '",
             value, "'");
  return v;
}

bool to_bool(const std::string& tool, const std::string& key, const std::string& value) {
  STAA_CHECK(value == "0" || value == "1", tool, ": ", key, " expects 0 or 1, got '", value, "'");
  return value == "1";
}

namespace {

snn::NeuronKind to_kind(const std::string& tool, const std::string& value) {
  if (value == "lif") return snn::NeuronKind::kLif;
  if (value == "adaptive") return snn::NeuronKind::kAdaptive;
  STAA_CHECK(value == "staa", tool, ": neuron expects lif, adaptive or staa, got '", value, "'");
  return snn::NeuronKind::kStaa;
}

}  // namespace

ModelArgs parse_model_args(const std::vector<std::string>& args, const std::string& tool) {
  ModelArgs m;
  snn::ModelOptions& o = m.options;
  snn::StaaOptions& s = o.neuron.staa;
  for (const std::string& arg : args) {
    const size_t eq = arg.find('=');
    STAA_CHECK(eq != std::string::npos && eq > 0, tool, ": expected key=value, got '", arg, "'");
    const std::string key = arg.substr(0, eq), value = arg.substr(eq + 1);
    if (key == "classes")
      o.num_classes = to_int(tool, key, value);
    else if (key == "T")
      o.neuron.time_steps = to_int(tool, key, value);
    else if (key == "neuron")
      o.neuron.kind = to_kind(tool, value);
    else if (key == "in_channels")
      o.in_channels = to_int(tool, key, value);
    else if (key == "size")
      m.size = to_int(tool, key, value);
    else if (key == "gc")
      s.gc = to_bool(tool, key, value);
    else if (key == "pe")
      s.pe = to_bool(tool, key, value);
    else if (key == "sa")
      s.sa = to_bool(tool, key, value);
    else if (key == "tsrd")
      s.tsrd = to_bool(tool, key, value);
    else if (key == "gc_ratio")
      s.gc_ratio = to_int(tool, key, value);
    else if (key == "sa_ratio")
      s.sa_ratio = to_int(tool, key, value);
    else if (key == "per_channel")
      o.neuron.per_channel = to_bool(tool, key, value);
    else
      m.other[key] = value;
  }
  return m;
}

std::string model_args_help() {
  return "model keys: classes=10 T=4 neuron=lif|adaptive|staa in_channels=3 size=<input side> "
         "gc=1 pe=1 sa=1 tsrd=1 gc_ratio=4 sa_ratio=16 per_channel=0";
}

}  // namespace staa::tools
