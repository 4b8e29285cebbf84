// screenshot_check REPORT_HTML SCREENSHOT_PNG DOM_HTML CHART_ID...: the checks of the Chromium
// report test (report_tests.sh): the screenshot is not blank, and every chart is there, once in
// the DOM Chromium built and once on screen, found by its series colours (each series of the
// report has its own). Layer: tests. Prints what it measured; exits 1 naming what is missing.
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "data/image_folder.h"

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The "#rrggbb" values of data-colours="..." in the <svg ...> tag that has data-chart="id".
std::vector<std::array<int, 3>> chart_colours(const std::string& html, const std::string& id) {
  std::vector<std::array<int, 3>> colours;
  const size_t at = html.find("data-chart=\"" + id + "\"");
  if (at == std::string::npos) return colours;
  const size_t end = html.find('>', at);
  const size_t attr = html.find("data-colours=\"", at);
  if (attr == std::string::npos || attr > end) return colours;
  for (size_t p = html.find('#', attr); p != std::string::npos && p < end;
       p = html.find('#', p + 1))
    colours.push_back({std::stoi(html.substr(p + 1, 2), nullptr, 16),
                       std::stoi(html.substr(p + 3, 2), nullptr, 16),
                       std::stoi(html.substr(p + 5, 2), nullptr, 16)});
  return colours;
}

struct Screenshot {
  int64_t width = 0, height = 0;
  std::vector<std::array<int, 3>> pixels;
};

Screenshot load(const std::string& path) {
  const staa::data::Sample s = staa::data::read_image(path);
  Screenshot shot{s.shape[2], s.shape[1], {}};
  const int64_t plane = shot.width * shot.height;
  for (int64_t i = 0; i < plane; ++i)
    shot.pixels.push_back({static_cast<int>(std::lround(255 * s.values[i])),
                           static_cast<int>(std::lround(255 * s.values[plane + i])),
                           static_cast<int>(std::lround(255 * s.values[2 * plane + i]))});
  return shot;
}

int64_t count_near(const Screenshot& shot, const std::array<int, 3>& c, int tolerance) {
  int64_t n = 0;
  for (const auto& p : shot.pixels)
    n += std::abs(p[0] - c[0]) <= tolerance && std::abs(p[1] - c[1]) <= tolerance &&
         std::abs(p[2] - c[2]) <= tolerance;
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr,
                 "usage: screenshot_check REPORT_HTML SCREENSHOT_PNG DOM_HTML CHART_ID...\n");
    return 2;
  }
  const std::string html = read_file(argv[1]), dom = read_file(argv[3]);
  const Screenshot shot = load(argv[2]);
  std::map<std::array<int, 3>, int64_t> histogram;
  for (const auto& p : shot.pixels) ++histogram[p];
  auto background = histogram.begin();
  for (auto it = histogram.begin(); it != histogram.end(); ++it)
    if (it->second > background->second) background = it;
  const double total = static_cast<double>(shot.pixels.size());
  const double ink = 1 - static_cast<double>(count_near(shot, background->first, 24)) / total;
  std::printf("screenshot %lldx%lld: %zu colours, %.1f%% of pixels differ from the background\n",
              static_cast<long long>(shot.width), static_cast<long long>(shot.height),
              histogram.size(), 100 * ink);
  bool ok = true;
  if (ink < 0.01) {  // the test's report measured 3.1 % at 1280 x 2400; a blank page is 0 %
    std::printf("FAIL: the screenshot is blank (under 1%% of pixels differ from the background)\n");
    ok = false;
  }
  for (int i = 4; i < argc; ++i) {
    const std::string id = argv[i];
    const std::vector<std::array<int, 3>> colours = chart_colours(html, id);
    if (colours.empty()) {
      std::printf("FAIL: %s has no <svg data-chart=\"%s\" data-colours=...>\n", argv[1],
                  id.c_str());
      ok = false;
      continue;
    }
    if (dom.find("data-chart=\"" + id + "\"") == std::string::npos) {
      std::printf("FAIL: chart %s is not in the DOM Chromium built\n", id.c_str());
      ok = false;
    }
    for (const auto& c : colours) {
      const int64_t n = count_near(shot, c, 10);
      std::printf("chart %-14s colour #%02x%02x%02x: %lld pixels\n", id.c_str(), c[0], c[1], c[2],
                  static_cast<long long>(n));
      if (n < 40) {  // the legend swatch alone is 100 pixels
        std::printf("FAIL: chart %s's colour is (almost) not on screen\n", id.c_str());
        ok = false;
      }
    }
  }
  return ok ? 0 : 1;
}
