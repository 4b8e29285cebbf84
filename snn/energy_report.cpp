// The three forms of an EnergyReport (snn/energy.h): the terminal table, CSV and JSON (the keys
// tools/report reads from a run's energy.json). Layer: snn.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "snn/energy.h"
#include "snn/summary.h"

namespace staa::snn {

namespace {

std::string fixed(double v, int digits) {
  char s[64];
  std::snprintf(s, sizeof s, "%.*f", digits, v);
  return s;
}

// The input column: "spikes 12.3%" or "dense".
std::string input_str(const OpCountRow& row) {
  if (!row.spike_input) return row.output_rate >= 0 ? "(neuron)" : "dense";
  return "spikes " + fixed(100 * row.input_rate, 1) + "%";
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      char esc[8];
      std::snprintf(esc, sizeof esc, "\\u%04x", c);
      out += esc;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string json_rate(double rate) {
  return rate < 0 ? "null" : fixed(rate, 6);
}

std::string row_json(const OpCountRow& row) {
  std::ostringstream o;
  o << "{\"name\": " << json_string(row.name) << ", \"type\": " << json_string(row.type)
    << ", \"input\": \"" << (row.spike_input ? "spikes" : "dense")
    << "\", \"firing_rate\": " << json_rate(row.input_rate)
    << ", \"output_rate\": " << json_rate(row.output_rate) << ", \"params\": " << row.params
    << ", \"flops\": " << fixed(row.flops, 1) << ", \"macs\": " << fixed(row.macs, 1)
    << ", \"acs\": " << fixed(row.acs, 1) << ", \"energy_uj\": " << fixed(row.energy_pj / 1e6, 6)
    << "}";
  return o.str();
}

}  // namespace

std::string EnergyReport::table() const {
  std::ostringstream o;
  o << model << ", T = " << time_steps << ", input " << input << ": " << mode;
  if (mode == "analytic")
    o << " (every spike tensor at firing rate " << fixed(assumed_rate, 4) << ")";
  else
    o << " firing rates of " << images << " images";
  o << "\nenergy per op (" << costs.precision << ", 45 nm): MAC " << costs.pj_per_mac << " pJ, AC "
    << costs.pj_per_ac << " pJ; counts per image, summed over T\n";
  char line[256];
  const char* format = "%-34s %-18s %-14s %12s %10s %10s %10s %11s\n";
  std::snprintf(line, sizeof line, format, "layer", "type", "input", "params", "FLOPs M", "MACs M",
                "ACs M", "energy uJ");
  o << line << std::string(126, '-') << "\n";
  auto print = [&](const OpCountRow& r, const std::string& input) {
    std::snprintf(line, sizeof line, format, r.name.c_str(), r.type.c_str(), input.c_str(),
                  with_commas(r.params).c_str(), fixed(r.flops / 1e6, 3).c_str(),
                  fixed(r.macs / 1e6, 3).c_str(), fixed(r.acs / 1e6, 3).c_str(),
                  fixed(r.energy_pj / 1e6, 3).c_str());
    o << line;
  };
  for (const OpCountRow& r : rows) print(r, input_str(r));
  o << std::string(126, '-') << "\n";
  OpCountRow shown = total;
  shown.type.clear();
  print(shown, "");
  o << "parameters " << fixed(static_cast<double>(total.params) / 1e6, 2) << " M, FLOPs "
    << fixed(total.flops / 1e9, 3) << " G, MACs " << fixed(total.macs / 1e9, 3) << " G, ACs "
    << fixed(total.acs / 1e9, 3) << " G\nenergy " << fixed(total.energy_pj / 1e9, 4)
    << " mJ per image (an ANN of the same shape: " << fixed(ann_energy_pj / 1e9, 4) << " mJ, "
    << fixed(total.energy_pj > 0 ? ann_energy_pj / total.energy_pj : 0, 1) << "x)\n";
  return o.str();
}

std::string EnergyReport::csv() const {
  std::ostringstream o;
  o << "layer,type,input,firing_rate,output_rate,params,flops,macs,acs,energy_uj\n";
  auto print = [&](const OpCountRow& r, const char* input) {
    o << r.name << "," << r.type << "," << input << ","
      << (r.input_rate < 0 ? "" : fixed(r.input_rate, 6)) << ","
      << (r.output_rate < 0 ? "" : fixed(r.output_rate, 6)) << "," << r.params << ","
      << fixed(r.flops, 1) << "," << fixed(r.macs, 1) << "," << fixed(r.acs, 1) << ","
      << fixed(r.energy_pj / 1e6, 6) << "\n";
  };
  for (const OpCountRow& r : rows) print(r, r.spike_input ? "spikes" : "dense");
  print(total, "");
  return o.str();
}

std::string EnergyReport::json() const {
  std::ostringstream o;
  o << "{\"model\": " << json_string(model) << ", \"time_steps\": " << time_steps
    << ", \"input\": [";
  for (int i = 0; i < input.ndim(); ++i) o << (i ? ", " : "") << input[i];
  o << "], \"mode\": \"" << mode << "\", \"images\": " << images
    << ", \"assumed_rate\": " << json_rate(assumed_rate) << ", \"precision\": \"" << costs.precision
    << "\", \"pj_per_mac\": " << costs.pj_per_mac << ", \"pj_per_ac\": " << costs.pj_per_ac
    << ",\n \"layers\": [\n";
  for (size_t i = 0; i < rows.size(); ++i)
    o << "  " << row_json(rows[i]) << (i + 1 < rows.size() ? ",\n" : "\n");
  o << " ],\n \"total\": {\"params\": " << total.params << ", \"flops\": " << fixed(total.flops, 1)
    << ", \"macs\": " << fixed(total.macs, 1) << ", \"acs\": " << fixed(total.acs, 1)
    << ", \"energy_mj\": " << fixed(total.energy_pj / 1e9, 6)
    << ", \"ann_energy_mj\": " << fixed(ann_energy_pj / 1e9, 6) << "}}\n";
  return o.str();
}

void EnergyReport::save(const std::string& dir) const {
  std::filesystem::create_directories(dir);
  for (const auto& [name, text] :
       {std::pair{"/energy.csv", csv()}, std::pair{"/energy.json", json()}}) {
    std::ofstream f(dir + name);
    f << text;
    STAA_CHECK(f.good(), "energy: cannot write ", dir + name);
  }
}

}  // namespace staa::snn
