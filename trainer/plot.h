// Charts for the training report: a Chart (title, axis labels, named series of (x, y) points, as
// lines or as horizontal bars) is laid out once into a Scene of shapes in chart units, and the
// scene is rendered two ways: an inline SVG string and a data::Image (PNG). Layer: trainer.
// Invariants: both renderers draw the same scene, so the SVG and the PNG agree; NaN and Inf
// values are skipped; an empty chart says "no data"; axis ranges are never empty.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "data/image.h"

namespace staa::train {

struct Series {
  std::string name;
  std::vector<double> x, y;  // the same length; for bars x is the category index
  data::Rgb colour;
};

enum class ChartKind {
  kLine,  // y over x; isolated points (a single epoch, NaN neighbours) get a marker
  kBars,  // one horizontal bar per category (a row), the value along the x-axis
};

struct Chart {
  std::string id;  // the SVG's data-chart attribute and the PNG's file name
  std::string title, x_label, y_label;
  ChartKind kind = ChartKind::kLine;
  std::vector<Series> series;
  std::vector<std::string> categories;         // kBars: the row labels, top to bottom
  bool integer_x = false;                      // ticks on whole numbers only (epochs)
  std::optional<double> value_min, value_max;  // the value axis covers at least these
};

// Round tick positions covering [lo, hi]: a step of 1, 2 or 5 times a power of ten giving about
// `target` intervals; the first tick is <= lo and the last >= hi. lo == hi is widened first.
std::vector<double> nice_ticks(double lo, double hi, int target, bool integer = false);
// A tick label with as many decimals as the step needs ("0.2", "15", "0.0005", "1e+06").
std::string tick_label(double value, double step);

// The shapes a chart is drawn with, in chart units (x right, y down).
struct LineShape {
  double x0, y0, x1, y1, width;
  data::Rgb colour;
};
struct RectShape {
  double x, y, w, h;
  data::Rgb fill;
};
struct PolylineShape {
  std::vector<double> x, y;
  double width;
  data::Rgb colour;
};
struct MarkerShape {
  double x, y, radius;
  data::Rgb colour;
};
enum class Anchor { kStart, kMiddle, kEnd };
struct TextShape {
  double x, y;  // y is the vertical centre of the text
  std::string text;
  data::Rgb colour;
  bool large = false;  // the title
  Anchor anchor = Anchor::kStart;
};
using Shape = std::variant<LineShape, RectShape, PolylineShape, MarkerShape, TextShape>;

struct Scene {
  double width = 0, height = 0;
  std::vector<Shape> shapes;
};

Scene layout_chart(const Chart& chart);

// <svg data-chart="id" data-colours="#rrggbb ..."><title>..</title>...</svg>, text escaped.
std::string render_svg(const Chart& chart);
// The same scene at `scale` pixels per chart unit.
data::Image render_image(const Chart& chart, int scale = 2);

std::string hex_colour(data::Rgb c);            // "#1f77b4"
std::string escape_html(const std::string& s);  // & < > " ' as entities

}  // namespace staa::train
