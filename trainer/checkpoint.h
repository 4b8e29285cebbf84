// Checkpoints: the model's state dict, the optimizer's momentum buffers and the run's counters in
// one safe tensor file (tensor/safetensors.h: atomic replace, CRC32C on every tensor and the
// header), so a kill at any moment leaves the previous complete file. Layer: train.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "nn/module.h"
#include "trainer/optimizer.h"

namespace staa::train {

struct TrainState {
  int64_t epoch = 0;  // epochs completed
  int64_t step = 0;   // optimisation steps completed (drives the schedule)
  double best_top1 = 0.0;
  // Anything else the loop must restore exactly (RNG offsets, loader position, arguments).
  std::map<std::string, std::string> extra;
};

// Tensors "model.<name>" and "optimizer.<name>"; counters and extra in the metadata.
void save_checkpoint(const std::string& path, const nn::Module& model, const Sgd& optimizer,
                     const TrainState& state);

// Loads into model (strict: every key, shape and dtype must match) and optimizer; throws naming
// the file and the first mismatch.
TrainState load_checkpoint(const std::string& path, nn::Module& model, Sgd& optimizer);

// A checkpoint's parts, for tools that rebuild the model from its metadata before loading it.
struct Checkpoint {
  TrainState state;
  nn::StateDict model;
  std::vector<std::pair<std::string, Tensor>> optimizer;
};
Checkpoint read_checkpoint(const std::string& path);

}  // namespace staa::train
