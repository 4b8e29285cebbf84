// The pictures of the visualisation tools (tools/viz): bilinear upsampling values, input pictures,
// heat overlays, and the PNGs of captioned columns, spike rasters and firing maps decoded back to
// check their sizes, one dot per spike of the shown neurons, and the tile colours; the CLIs'
// key=value checks. Layer: tests.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "data/image_folder.h"
#include "expect_error.h"
#include "tensor/generator.h"
#include "tools/viz/cli.h"
#include "tools/viz/picture.h"
#include "tools/viz/raster.h"

namespace staa::tools {
namespace {

// The PNG bytes of `image` decoded again: [3, H, W] in [0, 1].
data::Sample round_trip(const data::Image& image) {
  const std::vector<uint8_t> png = data::encode_png(image);
  return data::decode_image(png.data(), png.size(), "test.png");
}

data::Rgb pixel(const data::Sample& s, int64_t x, int64_t y) {
  const int64_t H = s.shape[1], W = s.shape[2];
  data::Rgb c;
  for (int k = 0; k < 3; ++k)
    c[k] = static_cast<uint8_t>(std::lround(s.values[(k * H + y) * W + x] * 255.0f));
  return c;
}

LayerSpikes random_spikes(int64_t T, int64_t C, int64_t h, int64_t w, double p, uint64_t seed) {
  LayerSpikes s{T, C, h, w, {}};
  Generator gen(seed);
  for (int64_t i = 0; i < T * C * h * w; ++i)
    s.spikes.push_back(gen.next_double() < p ? 1.0f : 0.0f);
  return s;
}

TEST(Viz, BilinearUpsamplingAtPixelCentres) {
  // 1 x 2 -> 1 x 4: target centres sit at source x = -0.25 (clamped to 0), 0.25, 0.75, 1.25 (1).
  EXPECT_EQ(upsample_bilinear({0, 1}, 1, 2, 1, 4), (std::vector<double>{0, 0.25, 0.75, 1}));
  EXPECT_EQ(upsample_bilinear({3, 1, 4, 1}, 2, 2, 2, 2), (std::vector<double>{3, 1, 4, 1}));
  for (double v : upsample_bilinear(std::vector<double>(9, 0.5), 3, 3, 28, 28)) EXPECT_EQ(v, 0.5);
  EXPECT_THROW(upsample_bilinear({1, 2, 3}, 2, 2, 4, 4), Error);
}

TEST(Viz, SamplePictureAndOverlay) {
  const data::Sample grey{Shape{1, 1, 2}, {0.0f, 1.0f}, 0};
  const data::Image p = sample_picture(grey, 3, false);
  EXPECT_EQ(p.width(), 6);
  EXPECT_EQ(p.height(), 3);
  EXPECT_EQ(p.at(2, 1), (data::Rgb{0, 0, 0}));
  EXPECT_EQ(p.at(3, 1), (data::Rgb{255, 255, 255}));
  // Stretching maps [-2, 2] onto [0, 1].
  const data::Sample normalised{Shape{1, 1, 2}, {-2.0f, 2.0f}, 0};
  EXPECT_EQ(sample_picture(normalised, 1, true).at(1, 0), (data::Rgb{255, 255, 255}));
  EXPECT_EQ(display_scale(28, 28), 4);
  EXPECT_EQ(display_scale(32, 32), 4);
  EXPECT_EQ(display_scale(224, 224), 1);

  const data::Image base = sample_picture(grey, 1, false);  // 2 x 1: black, white
  const std::vector<double> heat{1.0, 0.25};
  EXPECT_EQ(overlay_heat(base, heat, 0.0).pixels(), base.pixels());
  const data::Image hot = overlay_heat(base, heat, 1.0);
  EXPECT_EQ(hot.at(0, 0), data::jet(1.0));
  EXPECT_EQ(hot.at(1, 0), data::jet(0.25));
  EXPECT_EQ(overlay_heat(base, heat, 0.5).at(1, 0),
            data::blend({255, 255, 255}, data::jet(0.25), 0.5));
  EXPECT_THROW(overlay_heat(base, {0.5}, 0.5), Error);
}

// Grad-CAM's page: three 112-pixel columns with short captions.
TEST(Viz, SideBySideDecodesToTheExpectedSize) {
  std::vector<Column> columns(3, Column{data::Image(112, 112, {40, 40, 40}), {"a", "b"}});
  columns[2].caption.push_back("c");
  const data::Sample png = round_trip(side_by_side(columns, "title"));
  ASSERT_EQ(png.shape.ndim(), 3);
  EXPECT_EQ(png.shape[2], kMargin + 3 * (112 + kMargin));
  EXPECT_EQ(png.shape[1], kMargin + 2 * kLineHeight + 112 + 4 + 3 * kLineHeight + kMargin);
  // The middle column's picture starts one margin after the first column.
  EXPECT_EQ(pixel(png, kMargin + 112 + kMargin, kMargin + 2 * kLineHeight),
            (data::Rgb{40, 40, 40}));
}

TEST(Viz, PickNeuronsSpacedOrMostActive) {
  LayerSpikes s{2, 2, 2, 5, std::vector<float>(40, 0.0f)};  // 20 neurons
  EXPECT_EQ(pick_neurons(s, 4, NeuronPick::kSpaced), (std::vector<int64_t>{0, 5, 10, 15}));
  EXPECT_EQ(pick_neurons(s, 99, NeuronPick::kSpaced).size(), 20u);
  s.spikes[7] = s.spikes[20 + 7] = 1;  // neuron 7 fires twice, 13 once
  s.spikes[20 + 13] = 1;
  EXPECT_EQ(pick_neurons(s, 3, NeuronPick::kActive), (std::vector<int64_t>{0, 7, 13}));
}

// Every (step, row) cell of the decoded PNG is black exactly when that neuron spiked then.
TEST(Viz, RasterHasOneDotPerSpikeOfTheShownNeurons) {
  for (const auto& [T, rows] : {std::pair<int64_t, int64_t>{4, 40}, {16, 256}, {2, 5}}) {
    const LayerSpikes s = random_spikes(T, 8, 6, 6, 0.3, static_cast<uint64_t>(T + rows));
    const std::vector<int64_t> shown = pick_neurons(s, rows, NeuronPick::kSpaced);
    const Title title{"a raster",
                      "of random spikes whose second title line is longer than the plot"};
    const data::Sample png = round_trip(spike_raster(s, shown, title));
    const RasterLayout l = raster_layout(T, static_cast<int64_t>(shown.size()), title);
    EXPECT_GE(l.width, 2 * kMargin + data::Image::text_width(title[1])) << T;
    ASSERT_EQ(png.shape[1], l.height);
    ASSERT_EQ(png.shape[2], l.width);
    int64_t spikes = 0, dots = 0;
    for (size_t r = 0; r < shown.size(); ++r)
      for (int64_t t = 0; t < T; ++t) {
        const bool spike = s.at(t, shown[r]) != 0.0f;
        const int64_t x = l.left + t * l.column_width + l.dot_x + l.dot_width / 2;
        const int64_t y = l.top + static_cast<int64_t>(r) * l.row_height + l.dot_height / 2;
        const bool dot = pixel(png, x, y) == data::Rgb{0, 0, 0};
        EXPECT_EQ(dot, spike) << "T " << T << " row " << r << " step " << t;
        spikes += spike, dots += dot;
      }
    EXPECT_EQ(dots, spikes);
    EXPECT_GT(spikes, 0);
  }
}

// Tile t shows mean-over-channels rates on one jet scale from 0 to the highest rate.
TEST(Viz, FiringMapsTilesShowTheRates) {
  const LayerSpikes s = random_spikes(3, 5, 4, 6, 0.3, 8);
  const std::vector<std::vector<double>> rate = firing_rates(s);
  double high = 0;
  for (const auto& map : rate)
    for (double v : map) high = std::max(high, v);
  ASSERT_GT(high, 0);
  const int64_t scale = 10;
  const data::Sample png = round_trip(firing_maps(s, {"rates"}, scale));
  const FiringLayout l = firing_layout(s, scale, {"rates"});
  ASSERT_EQ(png.shape[1], l.height);
  ASSERT_EQ(png.shape[2], l.width);
  for (int64_t t = 0; t < 3; ++t)
    for (int64_t y = 0; y < 4; ++y)
      for (int64_t x = 0; x < 6; ++x) {
        double count = 0;
        for (int64_t c = 0; c < 5; ++c) count += s.at(t, (c * 4 + y) * 6 + x);
        const double expected = count / 5;
        EXPECT_NEAR(rate[t][y * 6 + x], expected, 1e-12);
        const int64_t px = l.left + t * l.step + x * scale + scale / 2;
        EXPECT_EQ(pixel(png, px, l.top + y * scale + scale / 2), data::jet(expected / high))
            << t << " " << y << " " << x;
      }
}

// The CLIs' arguments: every error names the tool and the key.
TEST(Viz, ArgsValidateEveryKey) {
  auto parse = [](const std::vector<std::string>& words) {
    return Args("tool", words, {"layer"}, {"samples", "alpha"});
  };
  const Args args = parse({"layer=last", "samples=0,12,3", "alpha=0.25"});
  EXPECT_EQ(args.text("layer"), "last");
  EXPECT_EQ(args.integers("samples", 0, 99), (std::vector<int64_t>{0, 12, 3}));
  EXPECT_EQ(args.real("alpha", 0.5, 0, 1), 0.25);
  EXPECT_EQ(parse({"layer=x"}).real("alpha", 0.5, 0, 1), 0.5);
  test::expect_error([&] { parse({"layer=x", "sample=1"}); }, {"tool: unknown key 'sample'"});
  test::expect_error([&] { parse({"samples=1"}); }, {"tool: missing layer="});
  test::expect_error([&] { parse({"layer=x", "layer=y"}); }, {"'layer' is given twice"});
  test::expect_error([&] { parse({"layer"}); }, {"expected key=value, got 'layer'"});
  test::expect_error(
      [&] {
        parse({"layer=x", "alpha=2"}).real("alpha", 0.5, 0, 1);
      },
      {"alpha expects a number in [0, 1], got '2'"});
  test::expect_error(
      [&] {
        parse({"layer=x", "samples=1,x"}).integers("samples", 0, 9);
      },
      {"samples expects integers in [0, 9]", "got 'x'"});
  test::expect_error(
      [&] {
        parse({"layer=x", "samples=10"}).integers("samples", 0, 9);
      },
      {"got '10'"});
}

}  // namespace
}  // namespace staa::tools
