// key=value arguments and run samples for the visualisation CLIs (cli.h). Layer: tools.
#include "tools/viz/cli.h"

#include <algorithm>
#include <cstdlib>
#include <sstream>

#include "data/random.h"

namespace staa::tools {

Args::Args(const std::string& tool, int argc, char** argv, const std::vector<std::string>& required,
           const std::vector<std::string>& optional)
    : tool_(tool) {
  auto known = [&](const std::string& key) {
    return std::count(required.begin(), required.end(), key) +
               std::count(optional.begin(), optional.end(), key) >
           0;
  };
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const size_t eq = arg.find('=');
    STAA_CHECK(eq != std::string::npos && eq > 0, tool, ": expected key=value, got '", arg,
               "' (see ", tool, " --help)");
    const std::string key = arg.substr(0, eq);
    STAA_CHECK(known(key), tool, ": unknown key '", key, "' (see ", tool, " --help)");
    STAA_CHECK(values_.emplace(key, arg.substr(eq + 1)).second, tool, ": key '", key,
               "' is given twice");
  }
  for (const std::string& key : required)
    STAA_CHECK(has(key), tool, ": missing ", key, "=... (see ", tool, " --help)");
}

std::string Args::text(const std::string& key, const std::string& fallback) const {
  const auto it = values_.find(key);
  if (it == values_.end()) return fallback;
  STAA_CHECK(!it->second.empty(), tool_, ": ", key, " is empty");
  return it->second;
}

namespace {

bool parse_int(const std::string& s, int64_t& v) {
  char* end = nullptr;
  v = std::strtoll(s.c_str(), &end, 10);
  return !s.empty() && end && *end == '\0';
}

}  // namespace

int64_t Args::integer(const std::string& key, int64_t fallback, int64_t low, int64_t high) const {
  if (!has(key)) return fallback;
  const std::string s = text(key);
  int64_t v = 0;
  STAA_CHECK(parse_int(s, v) && v >= low && v <= high, tool_, ": ", key, " expects an integer in [",
             low, ", ", high, "], got '", s, "'");
  return v;
}

double Args::real(const std::string& key, double fallback, double low, double high) const {
  if (!has(key)) return fallback;
  const std::string s = text(key);
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  STAA_CHECK(end && *end == '\0' && v >= low && v <= high, tool_, ": ", key,
             " expects a number in [", low, ", ", high, "], got '", s, "'");
  return v;
}

std::vector<int64_t> Args::integers(const std::string& key, int64_t low, int64_t high) const {
  std::vector<int64_t> out;
  std::stringstream list(text(key));
  std::string item;
  while (std::getline(list, item, ',')) {
    int64_t v = 0;
    STAA_CHECK(parse_int(item, v) && v >= low && v <= high, tool_, ": ", key,
               " expects integers in [", low, ", ", high, "] separated by commas, got '", item,
               "' in '", text(key), "'");
    out.push_back(v);
  }
  STAA_CHECK(!out.empty(), tool_, ": ", key, " lists no value");
  return out;
}

RunSample load_run_sample(const train::DataSplits& data, int64_t index) {
  STAA_CHECK(index >= 0 && index < data.test->size(), "sample ", index,
             " is outside the test split [0, ", data.test->size(), ")");
  RunSample out;
  out.index = index;
  const data::Sample raw = data.test->get(index);
  data::Sample input = raw;
  if (data.test_transform) {
    // Test transforms are deterministic; the stream is the loader's for epoch 0.
    data::SampleRng rng(0, data::RngDomain::kSample, 0, static_cast<uint64_t>(index));
    data.test_transform->apply(input, rng);
  }
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
