// Chart layout and its two renderers, SVG text and data::Image (trainer/plot.h). Layer: trainer.
// Every coordinate is decided in layout_chart(); the renderers only translate shapes, so the SVG
// in the report and the PNG beside it show the same chart. Text metrics are fixed (a monospace
// font of 10 units, 6 units per character) so the layout needs no font files.
#include "trainer/plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace staa::train {
namespace {

constexpr double kWidth = 600, kLineHeight = 300, kRowHeight = 18;
constexpr double kPlotTop = 56, kPlotBottomMargin = 40, kPlotRightMargin = 20, kPad = 12,
                 kMinPlotLeft = 56;
constexpr double kCharWidth = 6, kLargeCharWidth = 8.4;  // SVG font sizes 10 and 14 (monospace)
constexpr data::Rgb kInk = {40, 40, 40}, kMuted = {110, 110, 110}, kGrid = {228, 228, 228},
                    kWhite = {255, 255, 255};

double text_width(const std::string& s) {
  return kCharWidth * static_cast<double>(s.size());
}

bool finite(double v) {
  return std::isfinite(v);
}

// The x (or y) values of every series' points whose x and y are both finite.
std::vector<double> finite_values(const Chart& c, bool values) {
  std::vector<double> out;
  for (const Series& s : c.series)
    for (size_t i = 0; i < s.y.size() && i < s.x.size(); ++i)
      if (finite(s.x[i]) && finite(s.y[i])) out.push_back(values ? s.y[i] : s.x[i]);
  return out;
}

std::vector<double> value_ticks(const Chart& c, const std::vector<double>& values) {
  double lo = *std::min_element(values.begin(), values.end());
  double hi = *std::max_element(values.begin(), values.end());
  if (c.value_min) lo = std::min(lo, *c.value_min);
  if (c.value_max) hi = std::max(hi, *c.value_max);
  if (hi == lo && c.value_min == lo) hi = lo + (lo != 0 ? std::abs(lo) : 1);  // widen upwards only
  return nice_ticks(lo, hi, 5);
}

// A linear map from [d0, d1] onto [p0, p1].
struct Axis {
  double d0, d1, p0, p1;
  double operator()(double v) const { return p0 + (v - d0) / (d1 - d0) * (p1 - p0); }
};

// Title, legend (right-aligned on the row below the title) and the y-axis label (left of it).
void add_header(const Chart& c, Scene& scene) {
  scene.shapes.push_back(TextShape{kPad, 18, c.title, kInk, true, Anchor::kStart});
  if (!c.y_label.empty())
    scene.shapes.push_back(TextShape{kPad, 38, c.y_label, kMuted, false, Anchor::kStart});
  double x = scene.width - kPad;
  for (auto s = c.series.rbegin(); s != c.series.rend(); ++s) {
    x -= text_width(s->name);
    scene.shapes.push_back(TextShape{x, 38, s->name, kInk, false, Anchor::kStart});
    x -= 14;
    scene.shapes.push_back(RectShape{x, 33, 10, 10, s->colour});
    x -= 14;
  }
}

void add_no_data(Scene& scene, double left, double top, double right, double bottom) {
  scene.shapes.push_back(LineShape{left, bottom, right, bottom, 1, kMuted});
  scene.shapes.push_back(LineShape{left, top, left, bottom, 1, kMuted});
  scene.shapes.push_back(
      TextShape{(left + right) / 2, (top + bottom) / 2, "no data", kMuted, false, Anchor::kMiddle});
}

// The value axis: grid lines and labels across (horizontal = true: bars) or up the plot.
void add_value_grid(const std::vector<double>& ticks, const Axis& axis, bool horizontal,
                    double other0, double other1, Scene& scene) {
  const double step = ticks.size() > 1 ? ticks[1] - ticks[0] : 1;
  for (double t : ticks) {
    const double p = axis(t);
    const std::string label = tick_label(t, step);
    if (horizontal) {
      scene.shapes.push_back(LineShape{p, other0, p, other1, 1, kGrid});
      scene.shapes.push_back(TextShape{p, other1 + 12, label, kMuted, false, Anchor::kMiddle});
    } else {
      scene.shapes.push_back(LineShape{other0, p, other1, p, 1, kGrid});
      scene.shapes.push_back(TextShape{other0 - 6, p, label, kMuted, false, Anchor::kEnd});
    }
  }
}

// One polyline per run of finite points; a point with no finite neighbour gets a marker.
void add_line_series(const Series& s, const Axis& ax, const Axis& ay, Scene& scene) {
  const size_t n = std::min(s.x.size(), s.y.size());
  auto ok = [&](size_t i) { return i < n && finite(s.x[i]) && finite(s.y[i]); };
  PolylineShape run{{}, {}, 2, s.colour};
  auto flush = [&] {
    if (run.x.size() == 1) scene.shapes.push_back(MarkerShape{run.x[0], run.y[0], 3.5, s.colour});
    if (run.x.size() > 1) scene.shapes.push_back(run);
    run.x.clear();
    run.y.clear();
  };
  for (size_t i = 0; i < n; ++i) {
    if (!ok(i)) {
      flush();
      continue;
    }
    run.x.push_back(ax(s.x[i]));
    run.y.push_back(ay(s.y[i]));
  }
  flush();
}

void layout_lines(const Chart& c, Scene& scene) {
  scene.height = kLineHeight;
  const std::vector<double> xs = finite_values(c, false), ys = finite_values(c, true);
  const double top = kPlotTop, bottom = scene.height - kPlotBottomMargin;
  const double right = scene.width - kPlotRightMargin;
  if (ys.empty()) return add_no_data(scene, kMinPlotLeft, top, right, bottom);
  const std::vector<double> yt = value_ticks(c, ys);
  const double x_lo = *std::min_element(xs.begin(), xs.end());
  const double x_hi = *std::max_element(xs.begin(), xs.end());
  const std::vector<double> xt = nice_ticks(x_lo, x_hi, 6, c.integer_x);
  double label_width = 0;
  for (double t : yt) label_width = std::max(label_width, text_width(tick_label(t, yt[1] - yt[0])));
  const double left = std::max(kMinPlotLeft, kPad + label_width + 10);
  const Axis ax{xt.front(), xt.back(), left, right}, ay{yt.front(), yt.back(), bottom, top};
  add_value_grid(yt, ay, false, left, right, scene);
  for (double t : xt)
    scene.shapes.push_back(TextShape{ax(t), bottom + 12, tick_label(t, xt[1] - xt[0]), kMuted,
                                     false, Anchor::kMiddle});
  scene.shapes.push_back(LineShape{left, bottom, right, bottom, 1, kInk});
  scene.shapes.push_back(LineShape{left, top, left, bottom, 1, kInk});
  scene.shapes.push_back(
      TextShape{(left + right) / 2, scene.height - 12, c.x_label, kMuted, false, Anchor::kMiddle});
  for (const Series& s : c.series) add_line_series(s, ax, ay, scene);
}

// Row labels keep their end (the informative part of a layer name) when they are too long.
std::string fit_label(const std::string& s, size_t max_chars) {
  return s.size() <= max_chars ? s : ".." + s.substr(s.size() - (max_chars - 2));
}

void layout_bars(const Chart& c, Scene& scene) {
  const size_t rows = std::max<size_t>(c.categories.size(), 1);
  const double top = kPlotTop, bottom = top + kRowHeight * static_cast<double>(rows);
  scene.height = bottom + kPlotBottomMargin;
  const size_t max_chars = static_cast<size_t>(0.4 * kWidth / kCharWidth);
  double label_width = 0;
  for (const std::string& name : c.categories)
    label_width = std::max(label_width, text_width(fit_label(name, max_chars)));
  const double left = kPad + label_width + 8, right = scene.width - kPlotRightMargin;
  const std::vector<double> values = finite_values(c, true);
  if (values.empty() || c.categories.empty()) return add_no_data(scene, left, top, right, bottom);
  const std::vector<double> xt = value_ticks(c, values);
  const Axis ax{xt.front(), xt.back(), left, right};
  add_value_grid(xt, ax, true, top, bottom, scene);
  const double base = ax(std::clamp(0.0, xt.front(), xt.back()));
  const double band = (kRowHeight - 6) / static_cast<double>(c.series.size());
  for (size_t k = 0; k < c.series.size(); ++k) {
    const Series& s = c.series[k];
    for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      if (!finite(s.x[i]) || !finite(s.y[i])) continue;
      const double y = top + kRowHeight * s.x[i] + 3 + band * static_cast<double>(k);
      const double end = ax(s.y[i]);
      scene.shapes.push_back(
          RectShape{std::min(base, end), y, std::abs(end - base), band, s.colour});
    }
  }
  for (size_t i = 0; i < c.categories.size(); ++i)
    scene.shapes.push_back(TextShape{left - 6, top + kRowHeight * (static_cast<double>(i) + 0.5),
                                     fit_label(c.categories[i], max_chars), kInk, false,
                                     Anchor::kEnd});
  scene.shapes.push_back(LineShape{left, top, left, bottom, 1, kInk});
  scene.shapes.push_back(LineShape{left, bottom, right, bottom, 1, kInk});
  scene.shapes.push_back(
      TextShape{(left + right) / 2, scene.height - 12, c.x_label, kMuted, false, Anchor::kMiddle});
}

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

}  // namespace

std::vector<double> nice_ticks(double lo, double hi, int target, bool integer) {
  if (!(hi > lo)) {  // a single value: widen around it
    double pad = lo != 0 ? std::abs(lo) * 0.1 : 1;
    if (integer) pad = std::max(pad, 1.0);
    lo -= pad;
    hi += pad;
  }
  const double raw = (hi - lo) / std::max(target, 1);
  const double magnitude = std::pow(10, std::floor(std::log10(raw)));
  const double fraction = raw / magnitude;
  double step = (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * magnitude;
  if (integer) step = std::max(1.0, std::round(step));
  const double first = std::floor(lo / step + 1e-9) * step;
  const long count = std::lround(std::ceil(hi / step - 1e-9) - std::floor(lo / step + 1e-9));
  std::vector<double> ticks;
  for (long k = 0; k <= count; ++k) {
    const double t = first + static_cast<double>(k) * step;
    ticks.push_back(std::abs(t) < step * 1e-9 ? 0.0 : t);  // no "-0"
  }
  return ticks;
}

std::string tick_label(double value, double step) {
  char buf[32];
  if (std::abs(value) >= 1e6 || (step > 0 && step < 1e-4)) {
    std::snprintf(buf, sizeof buf, "%.3g", value);
  } else {
    const int decimals = step >= 1 ? 0 : static_cast<int>(std::ceil(-std::log10(step) - 1e-9));
    std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  }
  return buf;
}

Scene layout_chart(const Chart& chart) {
  Scene scene;
  scene.width = kWidth;
  if (chart.kind == ChartKind::kLine)
    layout_lines(chart, scene);
  else
    layout_bars(chart, scene);
  add_header(chart, scene);
  return scene;
}

std::string hex_colour(data::Rgb c) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "#%02x%02x%02x", c[0], c[1], c[2]);
  return buf;
}

std::string escape_html(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += ch;
    }
  }
  return out;
}

std::string render_svg(const Chart& chart) {
  const Scene scene = layout_chart(chart);
  std::string colours;
  for (const Series& s : chart.series) {
    if (!colours.empty()) colours += ' ';
    colours += hex_colour(s.colour);
  }
  std::string out = "<svg xmlns=\"http://www.w3.org/2000/svg\" data-chart=\"" +
                    escape_html(chart.id) + "\" data-colours=\"" + colours + "\" width=\"" +
                    number(scene.width) + "\" height=\"" + number(scene.height) +
                    "\" viewBox=\"0 0 " + number(scene.width) + " " + number(scene.height) +
                    "\" font-family=\"monospace\" font-size=\"10\" role=\"img\">\n<title>" +
                    escape_html(chart.title) + "</title>\n<rect width=\"100%\" height=\"100%\" " +
                    "fill=\"#ffffff\"/>\n";
  for (const Shape& shape : scene.shapes) {
    if (const auto* l = std::get_if<LineShape>(&shape)) {
      out += "<line x1=\"" + number(l->x0) + "\" y1=\"" + number(l->y0) + "\" x2=\"" +
             number(l->x1) + "\" y2=\"" + number(l->y1) + "\" stroke=\"" + hex_colour(l->colour) +
             "\" stroke-width=\"" + number(l->width) + "\"/>\n";
    } else if (const auto* r = std::get_if<RectShape>(&shape)) {
      out += "<rect x=\"" + number(r->x) + "\" y=\"" + number(r->y) + "\" width=\"" + number(r->w) +
             "\" height=\"" + number(r->h) + "\" fill=\"" + hex_colour(r->fill) + "\"/>\n";
    } else if (const auto* p = std::get_if<PolylineShape>(&shape)) {
      out += "<polyline fill=\"none\" stroke-linejoin=\"round\" stroke=\"" + hex_colour(p->colour) +
             "\" stroke-width=\"" + number(p->width) + "\" points=\"";
      for (size_t i = 0; i < p->x.size(); ++i) {
        if (i > 0) out += ' ';
        out += number(p->x[i]);
        out += ',';
        out += number(p->y[i]);
      }
      out += "\"/>\n";
    } else if (const auto* m = std::get_if<MarkerShape>(&shape)) {
      out += "<circle cx=\"" + number(m->x) + "\" cy=\"" + number(m->y) + "\" r=\"" +
             number(m->radius) + "\" fill=\"" + hex_colour(m->colour) + "\"/>\n";
    } else if (const auto* t = std::get_if<TextShape>(&shape)) {
      const char* anchor = t->anchor == Anchor::kStart    ? "start"
                           : t->anchor == Anchor::kMiddle ? "middle"
                                                          : "end";
      out += "<text x=\"" + number(t->x) + "\" y=\"" + number(t->y) +
             "\" dominant-baseline=\"central\" text-anchor=\"" + anchor + "\" fill=\"" +
             hex_colour(t->colour) + "\"" +
             (t->large ? " font-size=\"14\" font-weight=\"bold\"" : "") + ">" +
             escape_html(t->text) + "</text>\n";
    }
  }
  return out + "</svg>";
}

data::Image render_image(const Chart& chart, int scale) {
  const Scene scene = layout_chart(chart);
  const double k = scale;
  data::Image image(std::lround(scene.width * k), std::lround(scene.height * k), kWhite);
  auto px = [k](double v) { return static_cast<int64_t>(std::lround(v * k)); };
  for (const Shape& shape : scene.shapes) {
    if (const auto* l = std::get_if<LineShape>(&shape)) {
      image.line(l->x0 * k, l->y0 * k, l->x1 * k, l->y1 * k, l->colour,
                 std::max(1, static_cast<int>(std::lround(l->width * k / 2))));
    } else if (const auto* r = std::get_if<RectShape>(&shape)) {
      image.fill_rect(px(r->x), px(r->y), std::max<int64_t>(px(r->x + r->w) - px(r->x), 1),
                      std::max<int64_t>(px(r->y + r->h) - px(r->y), 1), r->fill);
    } else if (const auto* p = std::get_if<PolylineShape>(&shape)) {
      for (size_t i = 1; i < p->x.size(); ++i)
        image.line(p->x[i - 1] * k, p->y[i - 1] * k, p->x[i] * k, p->y[i] * k, p->colour,
                   static_cast<int>(std::lround(p->width * k)));
    } else if (const auto* m = std::get_if<MarkerShape>(&shape)) {
      const double r = m->radius * k;
      for (double dy = -r; dy <= r; ++dy)
        for (double dx = -r; dx <= r; ++dx)
          if (dx * dx + dy * dy <= r * r)
            image.set(px(m->x) + std::lround(dx), px(m->y) + std::lround(dy), m->colour);
    } else if (const auto* t = std::get_if<TextShape>(&shape)) {
      const int text_scale = t->large ? (scale * 3 + 1) / 2 : scale;  // 14 vs 10 in the SVG
      const int64_t w = data::Image::text_width(t->text, text_scale);
      const int64_t x = t->anchor == Anchor::kStart    ? px(t->x)
                        : t->anchor == Anchor::kMiddle ? px(t->x) - w / 2
                                                       : px(t->x) - w;
      image.text(x, px(t->y) - 7 * text_scale / 2, t->text, t->colour, text_scale);
    }
  }
  return image;
}

}  // namespace staa::train
