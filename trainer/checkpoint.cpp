// Checkpoint save and load (train/checkpoint.h). Layer: train.
#include "trainer/checkpoint.h"

#include <cstdlib>

#include "tensor/safetensors.h"

namespace staa::train {

namespace {

const char* const kPrefixes[] = {"model.", "optimizer."};

int64_t to_int(const std::string& path, const std::map<std::string, std::string>& meta,
               const char* key) {
  const auto it = meta.find(key);
  STAA_CHECK(it != meta.end(), "checkpoint ", path, ": metadata key '", key, "' is missing");
  char* end = nullptr;
  const long long v = std::strtoll(it->second.c_str(), &end, 10);
  STAA_CHECK(end && *end == '\0', "checkpoint ", path, ": '", key, "' should be an integer, got '",
             it->second, "'");
  return v;
}

}  // namespace

void save_checkpoint(const std::string& path, const nn::Module& model, const Sgd& optimizer,
                     const TrainState& state) {
  std::vector<std::pair<std::string, Tensor>> tensors;
  for (const auto& [name, t] : model.state_dict()) tensors.emplace_back(kPrefixes[0] + name, t);
  for (const auto& [name, t] : optimizer.state()) tensors.emplace_back(kPrefixes[1] + name, t);
  std::map<std::string, std::string> meta = state.extra;
  meta["epoch"] = std::to_string(state.epoch);
  meta["step"] = std::to_string(state.step);
  char best[64];
  std::snprintf(best, sizeof best, "%.17g", state.best_top1);
  meta["best_top1"] = best;
  save_safetensors(path, tensors, meta);
}

Checkpoint read_checkpoint(const std::string& path) {
  SafetensorsFile file = load_safetensors(path);
  Checkpoint c;
  for (auto& [name, t] : file.tensors) {
    if (name.rfind(kPrefixes[0], 0) == 0) {
      c.model.insert(name.substr(6), t);
    } else {
      STAA_CHECK(name.rfind(kPrefixes[1], 0) == 0, "checkpoint ", path, ": unexpected tensor '",
                 name, "' (expected model.* or optimizer.*)");
      c.optimizer.emplace_back(name.substr(10), t);
    }
  }
  c.state.epoch = to_int(path, file.metadata, "epoch");
  c.state.step = to_int(path, file.metadata, "step");
  c.state.best_top1 = std::strtod(file.metadata["best_top1"].c_str(), nullptr);
  for (const auto& [k, v] : file.metadata)
    if (k != "epoch" && k != "step" && k != "best_top1") c.state.extra[k] = v;
  return c;
}

TrainState load_checkpoint(const std::string& path, nn::Module& model, Sgd& optimizer) {
  Checkpoint c = read_checkpoint(path);
  model.load_state_dict(c.model, true);
  optimizer.load_state(c.optimizer);
  return c.state;
}

}  // namespace staa::train
