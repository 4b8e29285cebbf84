// The training report (trainer/report.h): charts from a RunRecord, the HTML page around them,
// and the files. Layer: trainer. The page is plain HTML with inline CSS and inline SVG, so it
// opens from a file:// URL on a machine without network, and prints.
#include "trainer/report.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "tensor/error.h"

namespace staa::train {
namespace {

namespace fs = std::filesystem;

// One colour per series across the whole report (Tableau 10), so each chart is recognisable.
constexpr data::Rgb kTrainLoss = {31, 119, 180}, kTestLoss = {255, 127, 14},
                    kTrainAcc = {44, 160, 44}, kTop1 = {214, 39, 40}, kTop5 = {148, 103, 189},
                    kLr = {140, 86, 75}, kLayerRate = {227, 119, 194}, kMeanRate = {23, 190, 207};

constexpr const char* kStyle = R"(
body { font: 14px/1.45 system-ui, sans-serif; color: #282828; margin: 24px; max-width: 1240px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; }
code { background: #f3f3f3; padding: 2px 4px; word-break: break-all; }
table { border-collapse: collapse; } td, th { padding: 3px 10px; text-align: left; }
table.grid td, table.grid th { border-bottom: 1px solid #e4e4e4; }
table.grid td.n, table.grid th.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.total td, tr.total th { font-weight: bold; border-top: 2px solid #282828; }
.facts th { color: #6e6e6e; font-weight: normal; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(600px, 1fr)); gap: 16px; }
figure { margin: 0; } figure svg { max-width: 100%; height: auto; border: 1px solid #e4e4e4; }
figcaption { font-size: 12px; color: #6e6e6e; } .note { color: #6e6e6e; }
)";

std::string fixed(double v, int decimals) {
  if (!std::isfinite(v)) return "–";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

// 4 significant digits with k / M / G / T (counts of parameters and operations).
std::string si(double v) {
  if (!std::isfinite(v)) return "–";
  const char* suffix[] = {"", " k", " M", " G", " T"};
  int k = 0;
  while (std::abs(v) >= 1000 && k < 4) v /= 1000, ++k;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.4g%s", v, suffix[k]);
  return buf;
}

std::string significant(double v) {
  if (!std::isfinite(v)) return "–";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

Series epoch_series(const RunRecord& run, std::string name, data::Rgb colour,
                    double (*value)(const EpochRow&)) {
  Series s{std::move(name), {}, {}, colour};
  for (const EpochRow& r : run.epochs) {
    s.x.push_back(static_cast<double>(r.epoch));
    s.y.push_back(value(r));
  }
  return s;
}

// A line chart over epochs whose value axis starts at zero.
Chart epoch_chart(std::string id, std::string title, std::string y_label,
                  std::vector<Series> series) {
  Chart c;
  c.id = std::move(id);
  c.title = std::move(title);
  c.x_label = "epoch";
  c.y_label = std::move(y_label);
  c.series = std::move(series);
  c.integer_x = true;
  c.value_min = 0;
  return c;
}

std::string facts(const RunRecord& run) {
  const EpochRow& last = run.epochs.back();
  const EpochRow* best = nullptr;
  double seconds = 0, images_per_s = 0;
  int timed = 0;
  for (const EpochRow& r : run.epochs) {
    if (std::isfinite(r.test_top1) && (!best || r.test_top1 > best->test_top1)) best = &r;
    if (std::isfinite(r.seconds)) seconds += r.seconds;
    if (std::isfinite(r.images_per_s)) images_per_s += r.images_per_s, ++timed;
  }
  auto row = [](const std::string& name, const std::string& value) {
    return "<tr><th>" + name + "</th><td>" + value + "</td></tr>\n";
  };
  std::string out = "<table class=\"facts\">\n";
  out +=
      row("epochs", std::to_string(last.epoch) +
                        (std::isfinite(last.step) ? " (" + fixed(last.step, 0) + " steps)" : ""));
  out += row("final test top-1", fixed(100 * last.test_top1, 2) + " % (top-5 " +
                                     fixed(100 * last.test_top5, 2) + " %)");
  if (best)
    out += row("best test top-1",
               fixed(100 * best->test_top1, 2) + " % at epoch " + std::to_string(best->epoch));
  out += row("final losses",
             "train " + fixed(last.train_loss, 4) + ", test " + fixed(last.test_loss, 4));
  if (timed > 0)
    out += row("speed", fixed(images_per_s / timed, 1) + " images/s (mean over epochs), " +
                            fixed(seconds / 60, 1) + " min in all");
  return out + "</table>\n";
}

std::string energy_section(const RunRecord& run) {
  std::string out = "<h2>Energy</h2>\n";
  if (!run.energy) return out + "<p class=\"note\">" + escape_html(run.energy_note) + "</p>\n";
  const EnergyTable& e = *run.energy;
  std::string input;
  for (double d : e.input) {
    if (!input.empty()) input += "×";
    input += significant(d);
  }
  std::string how = e.mode;  // "measured" or "analytic"
  if (e.mode == "measured" && std::isfinite(e.images))
    how += " firing rates over " + significant(e.images) + " images";
  if (std::isfinite(e.assumed_rate)) how += ", assumed firing rate " + significant(e.assumed_rate);
  out += "<p>" + escape_html(e.model) + ", T = " + significant(e.time_steps) + ", input " + input +
         "; " + escape_html(how) + "; precision " + escape_html(e.precision) + ", " +
         significant(e.pj_per_mac) + " pJ per MAC, " + significant(e.pj_per_ac) +
         " pJ per AC.</p>\n<p>Energy per inference: <b>" + significant(e.total_energy_mj) +
         " mJ</b>, against " + significant(e.ann_energy_mj) + " mJ for the same network as an ANN";
  if (e.total_energy_mj > 0) out += " (" + fixed(e.ann_energy_mj / e.total_energy_mj, 1) + "×)";
  out +=
      ".</p>\n<table class=\"grid\">\n<tr><th>layer</th><th>type</th><th>input</th>"
      "<th class=\"n\">firing rate</th><th class=\"n\">params</th><th class=\"n\">FLOPs</th>"
      "<th class=\"n\">MACs</th><th class=\"n\">ACs</th><th class=\"n\">energy</th></tr>\n";
  auto cell = [](const std::string& s) { return "<td class=\"n\">" + s + "</td>"; };
  for (const EnergyLayer& l : e.layers)
    out += "<tr><td>" + escape_html(l.name) + "</td><td>" + escape_html(l.type) + "</td><td>" +
           escape_html(l.input) + "</td>" + cell(fixed(l.firing_rate, 4)) + cell(si(l.params)) +
           cell(si(l.flops)) + cell(si(l.macs)) + cell(si(l.acs)) +
           cell(significant(l.energy_uj) + " µJ") + "</tr>\n";
  out += "<tr class=\"total\"><th>total</th><td></td><td></td><td></td>" +
         cell(si(e.total_params)) + cell(si(e.total_flops)) + cell(si(e.total_macs)) +
         cell(si(e.total_acs)) + cell(significant(e.total_energy_mj) + " mJ") + "</tr>\n</table>\n";
  return out;
}

std::string args_section(const RunRecord& run) {
  std::string out = "<h2>Arguments</h2>\n";
  if (run.args.empty()) return out + "<p class=\"note\">this run directory has no args.txt</p>\n";
  out += "<table class=\"grid\">\n<tr><th>option</th><th>value</th><th>source</th></tr>\n";
  for (const ArgRow& a : run.args)
    out += "<tr><td>" + escape_html(a.name) + "</td><td>" +
           (a.value.empty() ? "<span class=\"note\">(empty)</span>"
                            : "<code>" + escape_html(a.value) + "</code>") +
           "</td><td class=\"note\">" + escape_html(a.source) + "</td></tr>\n";
  return out + "</table>\n";
}

}  // namespace

std::vector<Chart> report_charts(const RunRecord& run) {
  std::vector<Chart> charts;
  charts.push_back(epoch_chart(
      "loss", "Loss per epoch", "loss",
      {epoch_series(run, "train", kTrainLoss, [](const EpochRow& r) { return r.train_loss; }),
       epoch_series(run, "test", kTestLoss, [](const EpochRow& r) { return r.test_loss; })}));
  charts.push_back(epoch_chart(
      "accuracy", "Accuracy per epoch", "%",
      {epoch_series(run, "train", kTrainAcc, [](const EpochRow& r) { return 100 * r.train_acc; }),
       epoch_series(run, "test top-1", kTop1, [](const EpochRow& r) { return 100 * r.test_top1; }),
       epoch_series(run, "test top-5", kTop5,
                    [](const EpochRow& r) { return 100 * r.test_top5; })}));
  charts.back().value_max = 100;
  charts.push_back(
      epoch_chart("lr", "Learning rate (end of epoch)", "learning rate",
                  {epoch_series(run, "lr", kLr, [](const EpochRow& r) { return r.lr; })}));

  Chart layers;
  layers.id = "firing_layers";
  layers.title = "Firing rate per layer (epoch " + std::to_string(run.firing_epoch) + ")";
  layers.x_label = "spikes per neuron per time step";
  layers.kind = ChartKind::kBars;
  layers.value_min = 0;
  Series rates{"test firing rate", {}, {}, kLayerRate};
  for (const auto& [name, rate] : run.firing) {
    rates.x.push_back(static_cast<double>(layers.categories.size()));
    rates.y.push_back(rate);
    layers.categories.push_back(name);
  }
  layers.series = {rates};
  charts.push_back(layers);

  charts.push_back(epoch_chart("firing_epochs", "Mean firing rate per epoch",
                               "spikes per neuron per time step",
                               {epoch_series(run, "mean over layers", kMeanRate,
                                             [](const EpochRow& r) { return r.firing_rate; })}));
  return charts;
}

std::string report_html(const RunRecord& run, const std::vector<Chart>& charts) {
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" +
      escape_html(run.name) + " — staa training report</title>\n<style>" + kStyle +
      "</style>\n</head>\n<body>\n<h1>" + escape_html(run.name) + "</h1>\n";
  if (!run.command.empty()) out += "<p><code>" + escape_html(run.command) + "</code></p>\n";
  out += facts(run) + "<h2>Charts</h2>\n<div class=\"charts\">\n";
  for (const Chart& c : charts)
    out += "<figure>\n" + render_svg(c) + "\n<figcaption>" + escape_html(c.title) +
           " (PNG: report/" + escape_html(c.id) + ".png)</figcaption>\n</figure>\n";
  out += "</div>\n" + energy_section(run) + args_section(run);
  return out +
         "<p class=\"note\">Written by tools/report from summary.csv, firing_rates.csv, "
         "energy.json and args.txt in this directory.</p>\n</body>\n</html>\n";
}

ReportFiles write_report(const std::string& run_dir) {
  const RunRecord run = read_run(run_dir);
  const std::vector<Chart> charts = report_charts(run);
  const fs::path dir(run_dir);
  ReportFiles files{(dir / "report.html").string(), {}};
  {
    std::ofstream html(files.html, std::ios::binary | std::ios::trunc);
    html << report_html(run, charts);
    STAA_CHECK(html.good(), "report: cannot write ", files.html);
  }
  fs::create_directories(dir / "report");
  for (const Chart& c : charts) {
    files.pngs.push_back((dir / "report" / (c.id + ".png")).string());
    data::write_png(files.pngs.back(), render_image(c));
  }
  return files;
}

}  // namespace staa::train
