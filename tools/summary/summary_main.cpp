// tools/summary <model> [key=value ...]: the layer table of a spiking network (snn/summary.h).
// Keys: classes, T, neuron (lif | adaptive | staa), in_channels, size (input side), and the STAA
// switches gc, pe, sa, tsrd (0 or 1), gc_ratio, sa_ratio, per_channel. Layer: tools.
#include <cstdlib>
#include <iostream>
#include <string>

#include "snn/summary.h"

namespace {

int64_t to_int(const std::string& key, const std::string& value) {
  char* end = nullptr;
  const long long v = std::strtoll(value.c_str(), &end, 10);
  STAA_CHECK(end && *end == '\0' && !value.empty(), "summary: ", key, " expects an integer, got '",
             value, "'");
  return v;
}

bool to_bool(const std::string& key, const std::string& value) {
  STAA_CHECK(value == "0" || value == "1", "summary: ", key, " expects 0 or 1, got '", value, "'");
  return value == "1";
}

staa::snn::NeuronKind to_kind(const std::string& value) {
  if (value == "lif") return staa::snn::NeuronKind::kLif;
  if (value == "adaptive") return staa::snn::NeuronKind::kAdaptive;
  STAA_CHECK(value == "staa", "summary: neuron expects lif, adaptive or staa, got '", value, "'");
  return staa::snn::NeuronKind::kStaa;
}

int run(int argc, char** argv) {
  using namespace staa::snn;
  if (argc < 2 || std::string(argv[1]) == "--help") {
    std::cout << "usage: summary <model> [classes=10] [T=4] [neuron=lif|adaptive|staa] "
                 "[in_channels=3] [size=32] [gc=1] [pe=1] [sa=1] [tsrd=1] [gc_ratio=4] "
                 "[sa_ratio=16] [per_channel=0]\nmodels:";
    for (const std::string& n : model_names()) std::cout << " " << n;
    std::cout << "\n";
    return argc < 2 ? 2 : 0;
  }
  ModelOptions o;
  int64_t size = 0;
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    const size_t eq = arg.find('=');
    STAA_CHECK(eq != std::string::npos, "summary: expected key=value, got '", arg, "'");
    const std::string key = arg.substr(0, eq), value = arg.substr(eq + 1);
    StaaOptions& s = o.neuron.staa;
    if (key == "classes")
      o.num_classes = to_int(key, value);
    else if (key == "T")
      o.neuron.time_steps = to_int(key, value);
    else if (key == "neuron")
      o.neuron.kind = to_kind(value);
    else if (key == "in_channels")
      o.in_channels = to_int(key, value);
    else if (key == "size")
      size = to_int(key, value);
    else if (key == "gc")
      s.gc = to_bool(key, value);
    else if (key == "pe")
      s.pe = to_bool(key, value);
    else if (key == "sa")
      s.sa = to_bool(key, value);
    else if (key == "tsrd")
      s.tsrd = to_bool(key, value);
    else if (key == "gc_ratio")
      s.gc_ratio = to_int(key, value);
    else if (key == "sa_ratio")
      s.sa_ratio = to_int(key, value);
    else if (key == "per_channel")
      o.neuron.per_channel = to_bool(key, value);
    else
      STAA_FAIL("summary: unknown key '", key, "' (see summary --help)");
  }
  auto model = make_model(argv[1], o);
  std::cout << summarize(*model, argv[1], size, size).str();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
}
