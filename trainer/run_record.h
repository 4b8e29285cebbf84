// What a training run leaves in its directory, read back for the report: summary.csv (one row
// per epoch), firing_rates.csv, args.txt, command.txt and the energy tool's energy.json. Layer:
// trainer. Invariants: epochs are unique and ascending (a resumed run may repeat an epoch; the
// last row wins); a missing summary.csv or a malformed row is an error naming file and line;
// energy.json is optional, and one that cannot be read becomes a note, not an error.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace staa::train {

struct EpochRow {  // accuracies are fractions; a column the file lacks reads as NaN
  int64_t epoch = 0;
  double step, lr, train_loss, train_acc, test_loss, test_top1, test_top5, seconds, images_per_s,
      firing_rate;
};

struct ArgRow {
  std::string name, value, source;
};

struct EnergyLayer {
  std::string name, type, input;
  double firing_rate = 0;  // NaN where the file has null (a layer fed dense values)
  double params = 0, flops = 0, macs = 0, acs = 0, energy_uj = 0;
};

struct EnergyTable {
  std::string model, mode, precision;
  double time_steps = 0, images = 0, assumed_rate = 0;  // assumed_rate: NaN for null
  std::vector<double> input;
  double pj_per_mac = 0, pj_per_ac = 0;
  std::vector<EnergyLayer> layers;
  double total_params = 0, total_flops = 0, total_macs = 0, total_acs = 0, total_energy_mj = 0,
         ann_energy_mj = 0;
};

struct RunRecord {
  std::string name, command;  // the directory's name; command.txt ("" when absent)
  std::vector<EpochRow> epochs;
  int64_t firing_epoch = 0;                            // the last epoch in firing_rates.csv
  std::vector<std::pair<std::string, double>> firing;  // its rate per layer, in file order
  std::vector<ArgRow> args;                            // args.txt (empty when absent)
  std::optional<EnergyTable> energy;                   // energy.json when present and valid
  std::string energy_note;  // why there is no energy table (absent, or what is wrong with it)
};

RunRecord read_run(const std::string& run_dir);

// The pieces, each naming `path` in its errors.
std::vector<EpochRow> read_summary(const std::string& path);
std::vector<ArgRow> read_args(const std::string& path);
EnergyTable read_energy(const std::string& path);

}  // namespace staa::train
