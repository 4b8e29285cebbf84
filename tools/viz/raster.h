// Spike pictures of one layer for one sample: a spike raster (time step across, neuron down, one
// dark dot per spike) and per-time-step firing-rate heat maps. Layer: tools. Invariants: spikes
// are 0 / 1 values laid out [T, C, h, w] (neuron n = flat index into [C, h, w]); the raster draws
// exactly one dot per spike of the neurons shown, at the cell raster_layout() gives.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/image.h"

namespace staa::tools {

// One sample's spikes of a layer: spikes[t * neurons + n], n a flat index into [C, h, w].
struct LayerSpikes {
  int64_t time_steps = 0, channels = 0, height = 0, width = 0;
  std::vector<float> spikes;
  int64_t neurons() const { return channels * height * width; }
  float at(int64_t t, int64_t n) const { return spikes[t * neurons() + n]; }
};

enum class NeuronPick {
  kSpaced,  // evenly spaced flat indices: a fair sample of the layer, silent neurons included
  kActive,  // the most active neurons (most spikes, lower index first on ties), shown in index
            // order
};

// `count` neurons (all of them when the layer has fewer), ascending.
std::vector<int64_t> pick_neurons(const LayerSpikes& s, int64_t count, NeuronPick pick);

// Lines of text over a picture.
using Title = std::vector<std::string>;

// Where the raster puts things: the plot's top-left corner, a cell per (step, neuron row) of
// column_width x row_height pixels, the dot inside it, the whole image size (wide enough for the
// title).
struct RasterLayout {
  int64_t left = 0, top = 0;
  int64_t column_width = 0, row_height = 0;
  int64_t dot_x = 0, dot_width = 0, dot_height = 0;  // the dot's offset and size within its cell
  int64_t width = 0, height = 0;
};
RasterLayout raster_layout(int64_t time_steps, int64_t rows, const Title& title);

// The raster of `neurons` (row r shows neuron neurons[r]) under `title`.
data::Image spike_raster(const LayerSpikes& s, const std::vector<int64_t>& neurons,
                         const Title& title);

// rate[t][y * w + x] = mean over channels of the spikes at (t, y, x).
std::vector<std::vector<double>> firing_rates(const LayerSpikes& s);

// Where firing_maps puts tile t: its top-left corner is (left + t * step, top), tile_width x
// tile_height pixels; the colour bar sits right of the last tile.
struct FiringLayout {
  int64_t left = 0, top = 0, step = 0, tile_width = 0, tile_height = 0;
  int64_t width = 0, height = 0;
};
FiringLayout firing_layout(const LayerSpikes& s, int64_t scale, const Title& title);

// The maps of firing_rates as jet tiles ("t = k" over each), all on one colour scale from 0 to the
// highest rate, with a colour bar; `scale` pixels per map pixel.
data::Image firing_maps(const LayerSpikes& s, const Title& title, int64_t scale);

}  // namespace staa::tools
