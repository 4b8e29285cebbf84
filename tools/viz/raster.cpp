// Spike rasters and per-time-step firing-rate maps (raster.h). Layer: tools.
#include "tools/viz/raster.h"

#include <algorithm>
#include <cstdio>
#include <numeric>

#include "tensor/error.h"
#include "tools/viz/picture.h"

namespace staa::tools {

namespace {

constexpr data::Rgb kBlack{0, 0, 0};
constexpr data::Rgb kGrid{200, 200, 200};

std::string fixed(double v, int digits) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.*f", digits, v);
  return buffer;
}

int64_t title_width(const Title& title) {
  int64_t w = 0;
  for (const std::string& line : title) w = std::max(w, data::Image::text_width(line));
  return w;
}

void draw_title(data::Image& out, const Title& title) {
  for (size_t k = 0; k < title.size(); ++k)
    out.text(kMargin, kMargin + static_cast<int64_t>(k) * kLineHeight, title[k], kBlack);
}

void check_spikes(const LayerSpikes& s, const char* op) {
  STAA_CHECK(s.time_steps >= 1 && s.neurons() >= 1 &&
                 static_cast<int64_t>(s.spikes.size()) == s.time_steps * s.neurons(),
             op, ": expected ", s.time_steps, " x ", s.channels, " x ", s.height, " x ", s.width,
             " spikes (all sizes positive), got ", s.spikes.size(), " values");
}

}  // namespace

std::vector<int64_t> pick_neurons(const LayerSpikes& s, int64_t count, NeuronPick pick) {
  check_spikes(s, "pick_neurons");
  STAA_CHECK(count >= 1, "pick_neurons: count should be at least 1, got ", count);
  const int64_t N = s.neurons(), n = std::min(count, N);
  std::vector<int64_t> out(static_cast<size_t>(n));
  if (pick == NeuronPick::kSpaced) {
    // Row r shows neuron floor(r * N / n): evenly spaced, the first neuron included.
    for (int64_t r = 0; r < n; ++r) out[r] = r * N / n;
    return out;
  }
  std::vector<double> total(static_cast<size_t>(N), 0.0);
  for (int64_t t = 0; t < s.time_steps; ++t)
    for (int64_t i = 0; i < N; ++i) total[i] += s.at(t, i);
  std::vector<int64_t> order(static_cast<size_t>(N));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return total[a] > total[b]; });
  std::copy(order.begin(), order.begin() + n, out.begin());
  std::sort(out.begin(), out.end());
  return out;
}

RasterLayout raster_layout(int64_t time_steps, int64_t rows, const Title& title) {
  STAA_CHECK(time_steps >= 1 && rows >= 1,
             "raster_layout: needs at least one step and one row, "
             "got ",
             time_steps, " and ", rows);
  RasterLayout l;
  l.column_width = std::clamp<int64_t>(480 / time_steps, 6, 64);
  l.row_height = std::clamp<int64_t>(512 / rows, 1, 8);
  l.dot_x = 1;
  l.dot_width = l.column_width - 2;
  l.dot_height = l.row_height > 2 ? l.row_height - 1 : l.row_height;
  l.left = kMargin + data::Image::text_width("000000") + 4;
  const int64_t lines = static_cast<int64_t>(title.size());
  l.top = kMargin + (lines + 2) * kLineHeight;  // the title, a blank line, "neuron"
  l.width = std::max(l.left + time_steps * l.column_width + 2 * kMargin,
                     2 * kMargin + title_width(title));
  l.height = l.top + rows * l.row_height + 3 * kLineHeight + kMargin;
  return l;
}

data::Image spike_raster(const LayerSpikes& s, const std::vector<int64_t>& neurons,
                         const Title& title) {
  check_spikes(s, "spike_raster");
  STAA_CHECK(!neurons.empty(), "spike_raster: no neurons to show");
  for (int64_t n : neurons)
    STAA_CHECK(n >= 0 && n < s.neurons(), "spike_raster: neuron ", n, " is outside [0, ",
               s.neurons(), ")");
  const int64_t T = s.time_steps, rows = static_cast<int64_t>(neurons.size());
  const RasterLayout l = raster_layout(T, rows, title);
  const int64_t plot_w = T * l.column_width, plot_h = rows * l.row_height;
  data::Image out(l.width, l.height);
  draw_title(out, title);
  out.text(kMargin, l.top - kLineHeight - 2, "neuron", kBlack);
  // The frame and the step boundaries, outside every dot (dots start one pixel into a column).
  for (int64_t t = 0; t <= T; ++t)
    out.fill_rect(l.left + t * l.column_width - (t == T ? 1 : 0), l.top, 1, plot_h, kGrid);
  out.fill_rect(l.left, l.top - 1, plot_w, 1, kGrid);
  out.fill_rect(l.left, l.top + plot_h, plot_w, 1, kGrid);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t t = 0; t < T; ++t)
      if (s.at(t, neurons[r]) != 0.0f)
        out.fill_rect(l.left + t * l.column_width + l.dot_x, l.top + r * l.row_height, l.dot_width,
                      l.dot_height, kBlack);
  // Neuron ticks: the flat index of the first, middle and last rows.
  for (int64_t r : {int64_t{0}, rows / 2, rows - 1}) {
    const std::string label = std::to_string(neurons[r]);
    out.text(l.left - 4 - data::Image::text_width(label), l.top + r * l.row_height - 3, label,
             kBlack);
  }
  // Step ticks under the columns (every k-th when they would crowd).
  const int64_t every = std::max<int64_t>(1, 24 / l.column_width);
  for (int64_t t = 0; t < T; t += every) {
    const std::string label = std::to_string(t);
    out.text(l.left + t * l.column_width + (l.column_width - data::Image::text_width(label)) / 2,
             l.top + plot_h + 4, label, kBlack);
  }
  const std::string axis = "time step t";
  out.text(l.left + (plot_w - data::Image::text_width(axis)) / 2,
           l.top + plot_h + 4 + kLineHeight + 2, axis, kBlack);
  return out;
}

std::vector<std::vector<double>> firing_rates(const LayerSpikes& s) {
  check_spikes(s, "firing_rates");
  const int64_t plane = s.height * s.width;
  std::vector<std::vector<double>> rate(static_cast<size_t>(s.time_steps),
                                        std::vector<double>(static_cast<size_t>(plane), 0.0));
  for (int64_t t = 0; t < s.time_steps; ++t)
    for (int64_t c = 0; c < s.channels; ++c)
      for (int64_t p = 0; p < plane; ++p) rate[t][p] += s.at(t, c * plane + p);
  for (auto& map : rate)
    for (double& v : map) v /= static_cast<double>(s.channels);
  return rate;
}

FiringLayout firing_layout(const LayerSpikes& s, int64_t scale, const Title& title) {
  STAA_CHECK(scale >= 1, "firing_maps: scale should be at least 1, got ", scale);
  FiringLayout l;
  l.tile_width = s.width * scale;
  l.tile_height = s.height * scale;
  l.step = std::max(l.tile_width, data::Image::text_width("t = 00")) + kMargin;
  l.left = kMargin;
  l.top = kMargin + (static_cast<int64_t>(title.size()) + 2) * kLineHeight;  // title, blank, "t ="
  const int64_t bar = 12 + 4 + data::Image::text_width("0.000");
  l.width =
      std::max(l.left + s.time_steps * l.step + bar + kMargin, 2 * kMargin + title_width(title));
  l.height = l.top + std::max(l.tile_height, int64_t{40}) + kLineHeight + kMargin;
  return l;
}

data::Image firing_maps(const LayerSpikes& s, const Title& title, int64_t scale) {
  const std::vector<std::vector<double>> rate = firing_rates(s);
  const FiringLayout l = firing_layout(s, scale, title);
  double high = 0;
  for (const auto& map : rate)
    for (double v : map) high = std::max(high, v);
  const double range = high > 0 ? high : 1.0;  // a silent layer shows all-blue tiles
  data::Image out(l.width, l.height);
  draw_title(out, title);
  for (int64_t t = 0; t < s.time_steps; ++t) {
    const int64_t x0 = l.left + t * l.step;
    out.text(x0, l.top - kLineHeight, "t = " + std::to_string(t), kBlack);
    for (int64_t y = 0; y < l.tile_height; ++y)
      for (int64_t x = 0; x < l.tile_width; ++x)
        out.set(x0 + x, l.top + y, data::jet(rate[t][(y / scale) * s.width + x / scale] / range));
  }
  out.paste(
      colour_bar(std::max(l.tile_height, int64_t{40}) - 2 * kLineHeight, "0", fixed(range, 3)),
      l.left + s.time_steps * l.step, l.top - kLineHeight);
  return out;
}

}  // namespace staa::tools
