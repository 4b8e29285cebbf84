// Operation counts and energy of a spiking network (paper §4.5, Table 7; spec §6). Layer: snn.
// Every module call is counted once per image: an op whose input is a spike tensor (the output of
// a spiking layer, or a view of it) is an accumulate (AC) scaled by that input's firing rate,
// any other op a multiply-accumulate (MAC); FLOPs are all ops counted densely. Energy is
// pJ/MAC * MACs + pJ/AC * ACs. The counting rules per layer are in energy.cpp's header comment.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "snn/network.h"

namespace staa::snn {

// Energy per operation (Horowitz 2014, 45 nm): "fp32" 4.6 / 0.9 pJ, "fp16" 1.5 / 0.4,
// "int8" 0.23 / 0.03 (MAC / AC).
struct EnergyCosts {
  std::string precision;
  double pj_per_mac = 0, pj_per_ac = 0;
};
EnergyCosts energy_costs(const std::string& precision);

struct OpCountRow {
  std::string name;  // dotted module name; "total" for the totals
  std::string type;  // "Conv2d", "LIF", "GCBlock", ...
  bool spike_input = false;
  double input_rate = -1;   // firing rate of the spike input (-1: a dense input)
  double output_rate = -1;  // spiking layers: the rate of their own spikes
  int64_t params = 0;
  // Per image, summed over the time steps (and over every call of the module).
  double flops = 0, macs = 0, acs = 0;
  double energy_pj = 0;
};

struct EnergyReport {
  std::string model;
  std::string mode;          // "measured" (firing rates of real inputs) or "analytic"
  double assumed_rate = -1;  // analytic mode: the rate of every spike tensor
  int64_t images = 0;        // measured mode: how many images the rates come from
  int64_t time_steps = 0;
  Shape input;  // one image: [1, C, H, W] (or [T, 1, 2, H, W] for event frames)
  EnergyCosts costs;
  std::vector<OpCountRow> rows;
  OpCountRow total;
  // An ANN of the same architecture: every dense op a MAC (FLOPs * pJ/MAC).
  double ann_energy_pj = 0;

  std::string table() const;  // the terminal table
  std::string csv() const;    // one row per layer plus a total row
  std::string json() const;   // the keys tools/report reads (energy.json)
  // Writes dir/energy.csv and dir/energy.json (creating dir); throws naming a file it cannot write.
  void save(const std::string& dir) const;
};

// Counts on real inputs: x is a batch of images [N, C, H, W] or of event frames [N, T, 2, H, W]
// (the loader's layout), run in eval mode in chunks of `batch`; each spike input's rate is
// measured on these inputs.
EnergyReport measure_energy(SpikingNetwork& model, const std::string& name, const Tensor& x,
                            const EnergyCosts& costs, int64_t batch = 16);
// Counts with every spike tensor at `rate` (needs no data): one forward of a zero input of the
// model's usual size (height, width: 0 for snn::default_input_size).
EnergyReport analytic_energy(SpikingNetwork& model, const std::string& name, double rate,
                             const EnergyCosts& costs, int64_t height = 0, int64_t width = 0);

}  // namespace staa::snn
