// tools/summary <model> [key=value ...]: the layer table of a spiking network (snn/summary.h).
// Keys: those of tools/common/model_args.h (classes, T, neuron, in_channels, size, the STAA
// switches). Layer: tools.
#include <iostream>
#include <string>

#include "snn/summary.h"
#include "tools/common/model_args.h"

namespace {

int run(int argc, char** argv) {
  using namespace staa;
  if (argc < 2 || std::string(argv[1]) == "--help") {
    std::cout << "usage: summary <model> [key=value ...]\n"
              << tools::model_args_help() << "\nmodels:";
    for (const std::string& n : snn::model_names()) std::cout << " " << n;
    std::cout << "\n";
    return argc < 2 ? 2 : 0;
  }
  const tools::ModelArgs m =
      tools::model_args(tools::Args("summary", {argv + 2, argv + argc}, {}, tools::model_keys()));
  auto model = snn::make_model(argv[1], m.options);
  std::cout << snn::summarize(*model, argv[1], m.size, m.size).str();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return staa::tools::run_tool(argc, argv, run);
}
