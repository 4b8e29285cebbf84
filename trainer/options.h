// The trainer's options: one table of every option with its type, default, allowed values, the
// source of the default (paper supplement, main text, MPBN lineage, or ours) and a help line;
// per-dataset presets (spec §4) override defaults; the command line overrides presets, as
// `key=value` or `--key value`. Layer: train. Invariant: every value held has been validated.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tensor/device.h"

namespace staa::train {

// kDevice: cpu, cuda (GPU 0) or cuda:<index>.
enum class OptionKind { kInt, kFloat, kBool, kString, kChoice, kDevice };

struct Option {
  std::string name;
  OptionKind kind = OptionKind::kString;
  std::string value;   // the current value, as text
  std::string source;  // where the value comes from ("supplement §8", "flag", ...)
  std::string help;
  std::vector<std::string> allowed;  // kChoice only
};

class Options {
 public:
  // The defaults of every option, then the preset of `dataset` (throws listing the datasets).
  explicit Options(const std::string& dataset);

  // Sets a value after validating it; throws naming the option and what it accepts.
  void set(const std::string& name, const std::string& value, const std::string& source);
  // Parses `key=value` and `--key value` / `--flag` (a bare bool flag is true).
  void parse(const std::vector<std::string>& args);

  int64_t get_int(const std::string& name) const;
  double get_float(const std::string& name) const;
  bool get_bool(const std::string& name) const;
  Device get_device(const std::string& name) const;
  const std::string& get(const std::string& name) const;
  const Option& option(const std::string& name) const;
  const std::vector<Option>& all() const { return options_; }

  // `name = value  (source)` lines, for the run directory and the log.
  std::string str() const;
  // The --help text: datasets, models (passed in: train/ does not know the zoo) and every option.
  static std::string help(const std::vector<std::string>& models);
  static const std::vector<std::string>& datasets();
  // "cpu", "cuda" (GPU 0), "cuda:1"; nullopt for anything else.
  static std::optional<Device> parse_device(const std::string& text);

 private:
  Option& find(const std::string& name);
  std::vector<Option> options_;
};

// The `device` option checked against this build and machine: throws naming the option, the
// value and what is missing (no CUDA backend, no GPU, no such GPU index).
Device checked_device(const Options& options);

}  // namespace staa::train
