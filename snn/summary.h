// A layer table of a spiking network, like torchinfo: name, type, output shape of one image at
// one time step, parameters, dense multiply-accumulates per time step, spiking or not, and the
// totals. Layer: snn. It runs one eval forward of a single image under NoGradGuard and watches
// the module calls (nn::ForwardObserverGuard); tools/summary prints it, tests check the counts.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "snn/network.h"

namespace staa::snn {

struct SummaryRow {
  std::string name;    // dotted module name ("body.4.0.conv1")
  std::string type;    // "Conv2d", "LIF", "STAA-LIF", "GCBlock", ...
  Shape output;        // one image at one time step: [1, C, H, W]
  int64_t params = 0;  // the layer's own parameters (GC/SA blocks: with their sub-layers)
  int64_t macs = 0;    // dense multiply-accumulates per image per time step
  bool spiking = false;
};

struct Summary {
  std::string model;
  Shape input;  // [1, C, H, W]
  int64_t time_steps = 1;
  std::vector<SummaryRow> rows;
  int64_t params = 0;  // all trainable parameters of the model
  int64_t macs = 0;    // per image per time step
  int64_t spiking_layers = 0;
  std::string str() const;
};

// height, width: the input size (0: the model's usual, snn::default_input_size).
Summary summarize(SpikingNetwork& model, const std::string& name, int64_t height = 0,
                  int64_t width = 0);

// 11247946 -> "11,247,946".
std::string with_commas(int64_t value);

}  // namespace staa::snn
