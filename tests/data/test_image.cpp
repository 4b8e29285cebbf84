// data/image.h: drawing clips, text leaves ink, the jet map's ends, and PNG bytes that decode back
// (through our own decode_image) to the same pixels.
#include <gtest/gtest.h>

#include "data/image.h"
#include "data/image_folder.h"
#include "expect_error.h"

namespace staa::data {
namespace {

int64_t count_colour(const Image& im, Rgb colour) {
  int64_t n = 0;
  for (int64_t y = 0; y < im.height(); ++y)
    for (int64_t x = 0; x < im.width(); ++x) n += im.at(x, y) == colour;
  return n;
}

TEST(Image, RectanglesClipAndLinesCoverTheirEnds) {
  Image im(10, 8);
  im.fill_rect(-5, -5, 8, 7, {255, 0, 0});  // clipped to x < 3, y < 2
  EXPECT_EQ(count_colour(im, {255, 0, 0}), 3 * 2);
  im.line(0, 7, 9, 7, {0, 0, 255});
  EXPECT_EQ(count_colour(im, {0, 0, 255}), 10);
  im.line(0, 0, 100, 100, {0, 255, 0}, 3);  // runs off the image: no crash
  EXPECT_EQ(im.at(5, 5), (Rgb{0, 255, 0}));
  test::expect_error([] { Image(0, 4); }, {"Image: size must be in 1..32768 per side, got 0 x 4"});
  test::expect_error([&] { im.at(10, 0); }, {"Image::at: (10, 0) is outside 10 x 8"});
}

TEST(Image, TextLeavesInkWithinItsWidth) {
  Image im(80, 20);
  im.text(2, 2, "Acc 91%", {0, 0, 0});
  const int64_t ink = count_colour(im, {0, 0, 0});
  EXPECT_GT(ink, 30);
  const int64_t w = Image::text_width("Acc 91%");
  EXPECT_GT(w, 30);
  for (int64_t y = 0; y < im.height(); ++y)
    for (int64_t x = 2 + w + 1; x < im.width(); ++x) EXPECT_EQ(im.at(x, y), (Rgb{255, 255, 255}));
  Image big(160, 40);
  big.text(2, 2, "Acc 91%", {0, 0, 0}, 2);
  EXPECT_EQ(count_colour(big, {0, 0, 0}), ink * 4);
}

// '%' and '0' are the glyphs of most quads (11); a buffer sized for the average glyph dropped the
// last characters of "80 % 60" (the tick labels of the training report).
TEST(Image, TextDrawsEveryQuadOfHeavyGlyphs) {
  Image one(40, 20), many(200, 20);
  one.text(2, 2, "%0", {0, 0, 0});
  many.text(2, 2, "%0%0%0%0%0", {0, 0, 0});
  EXPECT_EQ(count_colour(many, {0, 0, 0}), 5 * count_colour(one, {0, 0, 0}));
}

TEST(Image, JetRunsBlueToRed) {
  EXPECT_EQ(jet(0), (Rgb{0, 0, 128}));
  EXPECT_EQ(jet(1), (Rgb{128, 0, 0}));
  EXPECT_EQ(jet(0.5), (Rgb{128, 255, 128}));
  EXPECT_EQ(jet(-3), jet(0));
  EXPECT_EQ(blend({0, 0, 0}, {200, 100, 50}, 0.5), (Rgb{100, 50, 25}));
}

TEST(Image, PngDecodesToTheSamePixels) {
  Image im(7, 5, {10, 20, 30});
  im.set(3, 2, {250, 1, 2});
  const std::vector<uint8_t> png = encode_png(im);
  ASSERT_GT(png.size(), 8u);
  EXPECT_EQ(png[1], 'P');
  const Sample s = decode_image(png.data(), png.size(), "test.png");
  ASSERT_EQ(s.shape, (Shape{3, 5, 7}));
  const float* p = s.values.data();
  EXPECT_FLOAT_EQ(p[0 * 35 + 2 * 7 + 3], 250.0f / 255);
  EXPECT_FLOAT_EQ(p[1 * 35 + 0], 20.0f / 255);
}

}  // namespace
}  // namespace staa::data
