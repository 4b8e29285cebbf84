// A layer table of a spiking network, like torchinfo: name, type, output shape of one image at
// one time step, parameters, dense multiply-accumulates per time step, spiking or not, and the
// totals. Layer: snn. It runs one eval forward of a single image under NoGradGuard and watches
// the module calls (nn::ForwardObserverGuard); tools/summary prints it, tests check the counts.
#pragma once

#include <cstdint>
#include <map>
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

// What the per-layer tables (this one and snn/energy.h) share: a GC or SA block applies its
// sub-layers itself, so it is one row; its own parameters are all of its parameters, any other
// module's are those not in its children.
bool is_attention_block(const nn::Module& m);
int64_t own_parameters(const nn::Module& m);

// The dotted name of every module of a model, and whether a name lies inside a GC / SA block
// (such calls are counted in the block's row).
class LayerNames {
 public:
  explicit LayerNames(nn::Module& model);
  const std::string& operator[](const nn::Module& m) const { return names_.at(&m); }
  bool inside_block(const std::string& name) const;

 private:
  std::map<const nn::Module*, std::string> names_;
  std::vector<std::string> blocks_;
};

// 11247946 -> "11,247,946".
std::string with_commas(int64_t value);

}  // namespace staa::snn
