// tools/raster checkpoint=A layer=<name|last> sample=0 out=DIR [neurons=256] [pick=spaced|active]
// [data_dir=]: one test sample's spikes in a spiking layer as a raster (time step across, neuron
// down, a dot per spike) and as per-time-step firing-rate maps (mean over channels). Layer: tools.
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "snn/gradcam.h"
#include "tools/viz/cli.h"
#include "tools/viz/picture.h"
#include "tools/viz/raster.h"

namespace {

using namespace staa;
using namespace staa::tools;

constexpr const char* kHelp =
    "usage: raster checkpoint=A.safetensors layer=<name|last> sample=0 out=DIR [neurons=256]\n"
    "              [pick=spaced|active] [data_dir=DIR]\n"
    "Writes DIR/raster_<layer>_<sample>.png, the spikes of `neurons` neurons of the layer over\n"
    "the time steps (pick=spaced: evenly spaced flat indices into [C, h, w], silent neurons\n"
    "included; pick=active: the most active ones), and DIR/firing_<layer>_<sample>.png, for each\n"
    "time step the h x w map of the firing rate over the channels on one colour scale.\n"
    "layer: a spiking layer's dotted name (an unknown name lists them) or 'last'.\n";

// spikes: [T, 1, C, h, w] (or [T, 1, C] for a non-spatial layer) -> one sample's LayerSpikes.
LayerSpikes to_layer_spikes(const Tensor& spikes) {
  const Shape& s = spikes.shape();
  STAA_CHECK((s.ndim() == 5 || s.ndim() == 3) && s[1] == 1,
             "raster: expected the layer's spikes [T, 1, C, h, w] or [T, 1, C], got ", s);
  LayerSpikes out{s[0], s[2], s.ndim() == 5 ? s[3] : 1, s.ndim() == 5 ? s[4] : 1, {}};
  for (double v : spikes.to_vector()) out.spikes.push_back(static_cast<float>(v));
  return out;
}

int run(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help") {
    std::cout << kHelp;
    return argc < 2 ? 2 : 0;
  }
  const Args args("raster", {argv + 1, argv + argc}, {"checkpoint", "layer", "sample", "out"},
                  {"neurons", "pick", "data_dir"});
  const int64_t count = args.integer("neurons", 256, 1, 4096);
  const std::string pick_name = args.text("pick", "spaced");
  STAA_CHECK(pick_name == "spaced" || pick_name == "active",
             "raster: pick expects spaced or active, got '", pick_name, "'");
  const NeuronPick pick = pick_name == "spaced" ? NeuronPick::kSpaced : NeuronPick::kActive;
  RunModel run = load_run_model(args.text("checkpoint"));
  const train::DataSplits data = load_run_data(run, args.text("data_dir"));
  const int64_t index = args.integer("sample", 0, 0, data.test->size() - 1);
  const std::string layer = snn::resolve_spiking_layer(*run.model, args.text("layer"));
  const std::string out = args.text("out");
  std::filesystem::create_directories(out);

  const RunSample sample = load_run_sample(data, index);
  const LayerSpikes s = to_layer_spikes(snn::record_spikes(*run.model, layer, sample.input));
  const std::vector<int64_t> shown = pick_neurons(s, count, pick);
  int64_t spikes = 0;
  for (int64_t t = 0; t < s.time_steps; ++t)
    for (int64_t n : shown) spikes += s.at(t, n) != 0.0f;
  const std::string who = run.options.get("model") + ", " +
                          neuron_label(run.options.get("neuron")) + ", " + run.dataset + " test " +
                          std::to_string(index) + " (label " + std::to_string(sample.label) + ")";
  const std::string size = std::to_string(s.channels) + " x " + std::to_string(s.height) + " x " +
                           std::to_string(s.width);
  const Title raster_title{"spike raster of layer " + layer + " [" + size + "]", who,
                           std::to_string(shown.size()) + " of " + std::to_string(s.neurons()) +
                               " neurons (" +
                               (pick == NeuronPick::kSpaced ? "evenly spaced" : "most active") +
                               "), " + std::to_string(spikes) + " spikes"};
  const Title rate_title{"firing rate over the " + std::to_string(s.channels) +
                             " channels of layer " + layer + ", per time step",
                         who};

  const std::string stem = "_" + layer + "_" + std::to_string(index) + ".png";
  const data::Image raster = spike_raster(s, shown, raster_title);
  const data::Image rates = firing_maps(s, rate_title, display_scale(s.height, s.width, 96));
  for (const auto& [name, image] :
       {std::pair<std::string, const data::Image*>{"raster", &raster}, {"firing", &rates}}) {
    const std::string path = out + "/" + name + stem;
    data::write_png(path, *image);
    std::cout << path << " (" << image->width() << " x " << image->height() << ")\n";
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return staa::tools::run_tool(argc, argv, run);
}
