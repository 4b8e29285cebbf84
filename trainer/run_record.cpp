// Reading a run directory back (trainer/run_record.h). Layer: trainer. The formats are the ones
// trainer/loop.cpp and tools/train write (summary.csv with a header, firing_rates.csv without
// one, args.txt from Options::str()) and the energy tool's energy.json.
#include "trainer/run_record.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>

#include "tensor/error.h"
#include "trainer/json.h"

namespace staa::train {
namespace {

namespace fs = std::filesystem;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::optional<std::string> read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> split(const std::string& line, char sep) {
  std::vector<std::string> fields;
  std::stringstream s(line);
  for (std::string f; std::getline(s, f, sep);) fields.push_back(f);
  if (!line.empty() && line.back() == sep) fields.emplace_back();
  return fields;
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == '\n' || s.back() == ' ')) s.pop_back();
  size_t start = 0;
  while (start < s.size() && s[start] == ' ') ++start;
  return s.substr(start);
}

// strtod accepts "nan" and "inf", which the trainer writes for a diverged run.
double parse_number(const std::string& text, const std::string& path, size_t line,
                    const std::string& column) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  STAA_CHECK(!text.empty() && *end == '\0', path, ": line ", line, ", column ", column,
             ": expected a number, got '", text, "'");
  return v;
}

// The rates of the last epoch in firing_rates.csv (rows epoch,layer,rate; no header).
void read_firing(const std::string& path, RunRecord& run) {
  std::ifstream in(path);
  if (!in) return;
  std::map<int64_t, std::vector<std::pair<std::string, double>>> by_epoch;
  size_t line_no = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    line = trimmed(line);
    if (line.empty()) continue;
    const size_t first = line.find(','), last = line.rfind(',');
    STAA_CHECK(first != std::string::npos && first != last, path, ": line ", line_no,
               ": expected 'epoch,layer,rate', got '", line, "'");
    const double epoch = parse_number(line.substr(0, first), path, line_no, "epoch");
    const std::string layer = line.substr(first + 1, last - first - 1);
    const double rate = parse_number(line.substr(last + 1), path, line_no, "rate");
    auto& rates = by_epoch[static_cast<int64_t>(epoch)];
    auto same = [&](const auto& r) { return r.first == layer; };
    if (auto it = std::find_if(rates.begin(), rates.end(), same); it != rates.end())
      it->second = rate;  // a resumed run repeated this epoch
    else
      rates.emplace_back(layer, rate);
  }
  if (by_epoch.empty()) return;
  run.firing_epoch = by_epoch.rbegin()->first;
  run.firing = by_epoch.rbegin()->second;
}

const JsonValue& member(const JsonValue& object, const std::string& key, const std::string& where,
                        JsonValue::Kind kind, bool nullable = false) {
  const JsonValue* v = object.find(key);
  STAA_CHECK(v != nullptr, where, ": expected a key \"", key, "\", found none");
  STAA_CHECK(v->kind == kind || (nullable && v->kind == JsonValue::Kind::kNull), where, ".", key,
             ": expected ", json_kind_name(kind), nullable ? " or null" : "", ", got ",
             json_kind_name(v->kind));
  return *v;
}
double number_of(const JsonValue& o, const std::string& key, const std::string& where,
                 bool nullable = false) {
  const JsonValue& v = member(o, key, where, JsonValue::Kind::kNumber, nullable);
  return v.kind == JsonValue::Kind::kNull ? kNaN : v.number;
}
std::string string_of(const JsonValue& o, const std::string& key, const std::string& where) {
  return member(o, key, where, JsonValue::Kind::kString).str;
}

EnergyLayer energy_layer(const JsonValue& v, const std::string& where) {
  STAA_CHECK(v.kind == JsonValue::Kind::kObject, where, ": expected an object, got ",
             json_kind_name(v.kind));
  return {.name = string_of(v, "name", where),
          .type = string_of(v, "type", where),
          .input = string_of(v, "input", where),
          .firing_rate = number_of(v, "firing_rate", where, true),
          .params = number_of(v, "params", where),
          .flops = number_of(v, "flops", where),
          .macs = number_of(v, "macs", where),
          .acs = number_of(v, "acs", where),
          .energy_uj = number_of(v, "energy_uj", where)};
}

}  // namespace

std::vector<EpochRow> read_summary(const std::string& path) {
  std::ifstream in(path);
  STAA_CHECK(in.good(), path, ": not found; a training run writes summary.csv after its first ",
             "epoch (is this a run directory of ./train?)");
  std::string header;
  std::getline(in, header);
  const std::vector<std::string> columns = split(trimmed(header), ',');
  auto column = [&](const std::string& name, bool required) -> std::optional<size_t> {
    for (size_t i = 0; i < columns.size(); ++i)
      if (columns[i] == name) return i;
    STAA_CHECK(!required, path, ": line 1: expected a header with a column '", name, "', got '",
               trimmed(header), "'");
    return std::nullopt;
  };
  const char* names[] = {"epoch",     "step",         "lr",         "train_loss",
                         "train_acc", "test_loss",    "test_top1",  "test_top5",
                         "seconds",   "images_per_s", "firing_rate"};
  std::optional<size_t> index[11];
  for (size_t k = 0; k < 11; ++k) index[k] = column(names[k], k != 1 && k < 8);
  std::map<int64_t, EpochRow> rows;  // by epoch: the last row of a repeated epoch wins
  size_t line_no = 1;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    line = trimmed(line);
    if (line.empty()) continue;
    const std::vector<std::string> fields = split(line, ',');
    STAA_CHECK(fields.size() == columns.size(), path, ": line ", line_no, ": expected ",
               columns.size(), " comma-separated fields like the header, got ", fields.size(),
               " in '", line, "'");
    double v[11];
    for (size_t k = 0; k < 11; ++k)
      v[k] = index[k] ? parse_number(fields[*index[k]], path, line_no, names[k]) : kNaN;
    STAA_CHECK(v[0] >= 0 && v[0] == std::floor(v[0]), path, ": line ", line_no,
               ", column epoch: expected a whole number, got '", fields[*index[0]], "'");
    const auto epoch = static_cast<int64_t>(v[0]);
    rows[epoch] = EpochRow{epoch, v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10]};
  }
  STAA_CHECK(!rows.empty(), path, ": expected at least one epoch row under the header, got none");
  std::vector<EpochRow> out;
  for (const auto& [epoch, row] : rows) out.push_back(row);
  return out;
}

std::vector<ArgRow> read_args(const std::string& path) {
  std::ifstream in(path);
  std::vector<ArgRow> args;
  size_t line_no = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    line = trimmed(line);
    if (line.empty()) continue;
    const size_t eq = line.find(" = "), paren = line.rfind("  (");
    STAA_CHECK(eq != std::string::npos && paren != std::string::npos && paren >= eq + 1 &&
                   line.back() == ')',
               path, ": line ", line_no, ": expected 'name = value  (source)', got '", line, "'");
    args.push_back({line.substr(0, eq), line.substr(eq + 3, paren - eq - 3),
                    line.substr(paren + 3, line.size() - paren - 4)});
  }
  return args;
}

EnergyTable read_energy(const std::string& path) {
  const std::optional<std::string> text = read_text(path);
  STAA_CHECK(text.has_value(), path, ": cannot be read");
  const JsonValue doc = parse_json(*text, path);
  STAA_CHECK(doc.kind == JsonValue::Kind::kObject, path, ": expected an object, got ",
             json_kind_name(doc.kind));
  EnergyTable e;
  e.model = string_of(doc, "model", path);
  e.mode = string_of(doc, "mode", path);
  e.precision = string_of(doc, "precision", path);
  e.time_steps = number_of(doc, "time_steps", path);
  e.images = number_of(doc, "images", path, true);
  e.assumed_rate = number_of(doc, "assumed_rate", path, true);
  e.pj_per_mac = number_of(doc, "pj_per_mac", path);
  e.pj_per_ac = number_of(doc, "pj_per_ac", path);
  for (const JsonValue& d : member(doc, "input", path, JsonValue::Kind::kArray).items) {
    STAA_CHECK(d.kind == JsonValue::Kind::kNumber, path, ".input: expected numbers, got ",
               json_kind_name(d.kind));
    e.input.push_back(d.number);
  }
  const JsonValue& layers = member(doc, "layers", path, JsonValue::Kind::kArray);
  for (size_t i = 0; i < layers.items.size(); ++i)
    e.layers.push_back(energy_layer(layers.items[i], path + ".layers[" + std::to_string(i) + "]"));
  const std::string where = path + ".total";
  const JsonValue& total = member(doc, "total", path, JsonValue::Kind::kObject);
  e.total_params = number_of(total, "params", where);
  e.total_flops = number_of(total, "flops", where);
  e.total_macs = number_of(total, "macs", where);
  e.total_acs = number_of(total, "acs", where);
  e.total_energy_mj = number_of(total, "energy_mj", where);
  e.ann_energy_mj = number_of(total, "ann_energy_mj", where);
  return e;
}

RunRecord read_run(const std::string& run_dir) {
  const fs::path dir = fs::absolute(run_dir).lexically_normal();
  STAA_CHECK(fs::is_directory(dir), run_dir, ": not a directory; expected a run directory of ",
             "./train (runs/<dataset>_<model>_...)");
  RunRecord run;
  run.name = (dir.has_filename() ? dir : dir.parent_path()).filename().string();
  run.command = trimmed(read_text((dir / "command.txt").string()).value_or(""));
  run.epochs = read_summary((dir / "summary.csv").string());
  read_firing((dir / "firing_rates.csv").string(), run);
  run.args = read_args((dir / "args.txt").string());
  const std::string energy = (dir / "energy.json").string();
  if (!fs::exists(energy)) {
    run.energy_note =
        "no energy table: this run directory has no energy.json; tools/energy "
        "writes it: energy checkpoint=" +
        (dir / "best.safetensors").string() + " out=" + dir.string();
    return run;
  }
  try {
    run.energy = read_energy(energy);
  } catch (const Error& e) {
    std::string why = e.what();
    why = why.substr(0, why.rfind(" ["));  // the message, without the source line of the check
    run.energy_note = "no energy table: " + why;
  }
  return run;
}

}  // namespace staa::train
