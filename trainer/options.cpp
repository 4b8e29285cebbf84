// The option table, presets and parsing of the trainer (train/options.h). Layer: train.
#include "trainer/options.h"

#include <algorithm>
#include <cstdlib>
#include <sstream>

#include "tensor/backend.h"
#include "tensor/error.h"

namespace staa::train {

namespace {

using K = OptionKind;

// name, kind, default, source, help, allowed
std::vector<Option> defaults() {
  return {
      {"model", K::kString, "resnet20", "ours", "network of the zoo (see below)", {}},
      {"T", K::kInt, "4", "spec §4", "time steps", {}},
      {"epochs", K::kInt, "10", "ours", "training epochs", {}},
      {"lr", K::kFloat, "0.1", "supplement §8", "base learning rate (SGD)", {}},
      {"batch_size", K::kInt, "128", "supplement §8", "images per step", {}},
      {"weight_decay", K::kFloat, "1e-4", "MPBN lineage", "on conv and linear weights only", {}},
      {"momentum", K::kFloat, "0.9", "supplement §8", "SGD momentum", {}},
      {"nesterov", K::kBool, "0", "ours", "Nesterov momentum", {}},
      {"warmup_epochs", K::kFloat, "0", "ours", "linear warmup before the cosine decay", {}},
      {"lr_floor", K::kFloat, "0", "supplement §8", "the cosine schedule's final rate", {}},
      {"neuron", K::kChoice, "staa", "paper", "spiking neuron", {"lif", "adaptive", "staa"}},
      {"gc", K::kBool, "1", "paper", "STAA-LIF: GC blocks", {}},
      {"pe", K::kBool, "1", "paper", "STAA-LIF: position encoding", {}},
      {"sa", K::kBool, "1", "paper", "STAA-LIF: step attention", {}},
      {"tsrd", K::kBool, "1", "paper", "STAA-LIF: time-step random dropout", {}},
      {"alpha", K::kFloat, "2", "supplement §8", "SA scale", {}},
      {"beta", K::kFloat, "0.1", "main text", "TSRD probability", {}},
      {"loss", K::kChoice, "ce", "paper", "CE on the mean over T, or TET", {"ce", "tet"}},
      {"label_smoothing", K::kFloat, "0", "ours", "cross-entropy label smoothing", {}},
      {"data_dir", K::kString, "datasets", "ours", "dataset root (a folder per dataset)", {}},
      {"output_dir", K::kString, "runs", "ours", "run directories go here", {}},
      {"resume", K::kString, "", "ours", "latest | <checkpoint path>; empty: a fresh run", {}},
      {"seed", K::kInt, "0", "ours", "seeds weights, data order, augmentation, TSRD", {}},
      {"workers", K::kInt, "2", "ours", "data loader threads", {}},
      {"device", K::kDevice, "cpu", "ours", "where to train: cpu, cuda or cuda:<index>", {}},
      {"threads", K::kInt, "0", "ours", "OpenMP threads (0: all cores)", {}},
      {"test_only", K::kBool, "0", "ours", "evaluate the resumed checkpoint and exit", {}},
      {"deterministic",
       K::kBool,
       "1",
       "ours",
       "bit-identical runs (the CPU always; CUDA: deterministic kernels)",
       {}},
      {"allow_tf32", K::kBool, "0", "ours", "CUDA: f32 GEMMs and convolutions may use TF32", {}},
      {"winograd",
       K::kBool,
       "1",
       "ours",
       "CPU: 3x3 stride-1 f32 convs by Winograd F(4x4,3x3), 4x fewer multiplies (0: plain GEMM)",
       {}},
      {"max_steps", K::kInt, "0", "ours", "stop after this many steps (0: no limit)", {}},
      {"train_subset", K::kInt, "0", "ours", "use the first N training images (0: all)", {}},
      {"test_subset", K::kInt, "0", "ours", "evaluate on the first N test images (0: all)", {}},
      {"log_interval", K::kInt, "50", "ours", "steps between plain progress lines", {}},
      {"download", K::kBool, "0", "ours", "fetch a missing dataset that a URL serves", {}},
      {"skip_nonfinite",
       K::kBool,
       "0",
       "ours",
       "skip a step with a NaN/Inf instead of stopping",
       {}},
      {"energy_images",
       K::kInt,
       "32",
       "ours",
       "test images for the energy table written at the end (0: none)",
       {}},
      {"save_every", K::kInt, "0", "ours", "also save `last` every N steps (0: per epoch)", {}},
      {"debug_nan_step", K::kInt, "0", "ours", "tests: poison the first weight at this step", {}},
  };
}

struct Preset {
  std::string dataset;
  std::vector<std::pair<std::string, std::pair<std::string, std::string>>>
      values;  // name, value, source
};

const std::vector<Preset>& presets() {
  // One epoch of the small network (fashion-mnist, mnist): batch 32 at lr 0.05 reached 89.2%
  // (STAA-LIF) where the CIFAR recipe's 128 at 0.1 reached 87.1% (notes of issue 6).
  const decltype(Preset::values) kOneEpoch = {{"model", {"small", "ours"}},
                                              {"epochs", {"1", "ours"}},
                                              {"batch_size", {"32", "ours (one-epoch runs)"}},
                                              {"lr", {"0.05", "ours (one-epoch runs)"}}};
  static const std::vector<Preset> table = {
      {"cifar10",
       {{"epochs", {"500", "supplement §8"}}, {"beta", {"0", "supplement §8 (main text: 0.1)"}}}},
      {"cifar100",
       {{"epochs", {"500", "supplement §8"}}, {"beta", {"0", "supplement §8 (main text: 0.1)"}}}},
      {"imagenet",
       {{"model", {"resnet18", "paper"}},
        {"batch_size", {"64", "supplement §8"}},
        {"epochs", {"350", "supplement §8 (main text: 300)"}}}},
      {"cifar10-dvs",
       {{"model", {"vggsnn", "paper (TET lineage)"}},
        {"T", {"16", "supplement §8"}},
        {"lr", {"0.01", "supplement §8"}},
        {"batch_size", {"8", "supplement §8"}},
        {"epochs", {"200", "supplement §8 (main text: 500)"}}}},
      {"dvs128-gesture",
       {{"model", {"vgg13", "paper"}},
        {"T", {"16", "supplement §8"}},
        {"lr", {"0.01", "supplement §8"}},
        {"batch_size", {"8", "supplement §8"}},
        {"epochs", {"500", "supplement §8"}}}},
      {"fashion-mnist", kOneEpoch},
      {"mnist", kOneEpoch},
  };
  return table;
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) {
    if (!out.empty()) out.append(", ");
    out.append(s);
  }
  return out;
}

void validate(const Option& o, const std::string& value) {
  char* end = nullptr;
  switch (o.kind) {
    case K::kInt:
      std::strtoll(value.c_str(), &end, 10);
      STAA_CHECK(!value.empty() && *end == '\0', "option ", o.name, ": expected an integer, got '",
                 value, "'");
      break;
    case K::kFloat:
      std::strtod(value.c_str(), &end);
      STAA_CHECK(!value.empty() && *end == '\0', "option ", o.name, ": expected a number, got '",
                 value, "'");
      break;
    case K::kBool:
      STAA_CHECK(value == "0" || value == "1" || value == "true" || value == "false", "option ",
                 o.name, ": expected 0, 1, true or false, got '", value, "'");
      break;
    case K::kChoice:
      STAA_CHECK(std::find(o.allowed.begin(), o.allowed.end(), value) != o.allowed.end(), "option ",
                 o.name, ": expected one of ", joined(o.allowed), ", got '", value, "'");
      break;
    case K::kDevice:
      STAA_CHECK(Options::parse_device(value).has_value(), "option ", o.name,
                 ": expected cpu, cuda or cuda:<index> (e.g. cuda:1), got '", value, "'");
      break;
    case K::kString:
      break;
  }
}

}  // namespace

std::optional<Device> Options::parse_device(const std::string& text) {
  if (text == "cpu") return Device::cpu();
  if (text == "cuda") return Device::cuda(0);
  const std::string prefix = "cuda:";
  if (text.rfind(prefix, 0) != 0) return std::nullopt;
  const std::string index = text.substr(prefix.size());
  // 1 to 4 digits: a GPU index, not a number that could overflow
  if (index.empty() || index.size() > 4 ||
      !std::all_of(index.begin(), index.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  return Device::cuda(std::atoi(index.c_str()));
}

const std::vector<std::string>& Options::datasets() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const Preset& p : presets()) n.push_back(p.dataset);
    return n;
  }();
  return names;
}

Options::Options(const std::string& dataset) : options_(defaults()) {
  const auto it = std::find_if(presets().begin(), presets().end(),
                               [&](const Preset& p) { return p.dataset == dataset; });
  STAA_CHECK(it != presets().end(), "train: unknown dataset '", dataset, "'; expected one of ",
             joined(datasets()));
  for (const auto& [name, value] : it->values) set(name, value.first, value.second);
}

Option& Options::find(const std::string& name) {
  for (Option& o : options_)
    if (o.name == name) return o;
  std::vector<std::string> names;
  for (const Option& o : options_) names.push_back(o.name);
  STAA_FAIL("train: unknown option '", name, "'; options: ", joined(names),
            " (train --help describes them)");
}

const Option& Options::option(const std::string& name) const {
  return const_cast<Options*>(this)->find(name);
}

void Options::set(const std::string& name, const std::string& value, const std::string& source) {
  Option& o = find(name);
  validate(o, value);
  o.value = o.kind == K::kBool ? ((value == "1" || value == "true") ? "1" : "0") : value;
  o.source = source;
}

void Options::parse(const std::vector<std::string>& args) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    const size_t eq = a.find('=');
    if (a.rfind("--", 0) == 0) {
      const std::string key = eq == std::string::npos ? a.substr(2) : a.substr(2, eq - 2);
      std::string value;
      if (eq != std::string::npos) {
        value = a.substr(eq + 1);
      } else if (find(key).kind == K::kBool &&
                 (i + 1 == args.size() || args[i + 1].rfind("--", 0) == 0 ||
                  args[i + 1].find('=') != std::string::npos)) {
        value.assign(1, '1');  // a bare flag (assign: GCC 12 warns falsely on = "1")
      } else {
        STAA_CHECK(i + 1 < args.size(), "option ", key, ": expected a value after --", key);
        value = args[++i];
      }
      set(key, value, "command line");
    } else {
      STAA_CHECK(eq != std::string::npos && eq > 0,
                 "train: expected key=value or --key value, got '", a, "'");
      set(a.substr(0, eq), a.substr(eq + 1), "command line");
    }
  }
}

int64_t Options::get_int(const std::string& name) const {
  return std::strtoll(option(name).value.c_str(), nullptr, 10);
}
double Options::get_float(const std::string& name) const {
  return std::strtod(option(name).value.c_str(), nullptr);
}
bool Options::get_bool(const std::string& name) const {
  return option(name).value == "1";
}
Device Options::get_device(const std::string& name) const {
  const std::optional<Device> d = parse_device(option(name).value);
  STAA_CHECK(d.has_value(), "option ", name, ": '", option(name).value, "' is not a device");
  return *d;
}
const std::string& Options::get(const std::string& name) const {
  return option(name).value;
}

std::string Options::str() const {
  std::ostringstream s;
  for (const Option& o : options_) s << o.name << " = " << o.value << "  (" << o.source << ")\n";
  return s.str();
}

std::string Options::help(const std::vector<std::string>& models) {
  std::ostringstream s;
  s << "usage: ./train <dataset> [model] [key=value | --key value ...]\n\n"
    << "datasets: " << joined(datasets()) << "\nmodels:   " << joined(models) << "\n\n"
    << "options (default and its source; per-dataset presets override the default):\n";
  for (const Option& o : defaults()) {
    std::string shown = o.value.empty() ? "\"\"" : o.value;
    if (o.kind == K::kChoice) shown.append(" {").append(joined(o.allowed)).append("}");
    if (o.kind == K::kDevice) shown.append(" {cpu, cuda, cuda:N}");
    char line[256];
    std::snprintf(line, sizeof line, "  %-16s %-28s %s  [%s]\n", o.name.c_str(), shown.c_str(),
                  o.help.c_str(), o.source.c_str());
    s << line;
  }
  s << "\npresets:\n";
  for (const Preset& p : presets()) {
    s << "  " << p.dataset << ":";
    for (const auto& [name, value] : p.values)
      s << " " << name << "=" << value.first << " [" << value.second << "]";
    s << "\n";
  }
  return s.str();
}

Device checked_device(const Options& options) {
  const Device device = options.get_device("device");
  const std::string why = device_unavailable(device);
  STAA_CHECK(why.empty(), "option device=", options.get("device"), ": ", why, "; use device=cpu");
  return device;
}

}  // namespace staa::train
