// SGD with momentum (optional Nesterov) and per-group weight decay, the paper's optimiser
// (spec §4). Layer: train. Invariants: the parameter handles are the model's own (updates are in
// place, under NoGradGuard); momentum buffers are created on the first step with a gradient, as
// PyTorch does, so a checkpoint holds exactly the buffers that exist.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "tensor/tensor.h"

namespace staa::train {

struct ParamGroup {
  std::vector<Tensor> params;
  double weight_decay = 0.0;
};

struct SgdOptions {
  double lr = 0.1;
  double momentum = 0.9;
  bool nesterov = false;
  double dampening = 0.0;
};

// PyTorch's SGD: g = grad + wd p; b = momentum b + (1 - dampening) g (b = g on the first step);
// step = nesterov ? g + momentum b : b; p -= lr step.
class Sgd {
 public:
  Sgd(std::vector<ParamGroup> groups, const SgdOptions& options);

  void step();
  // Sets every gradient to undefined.
  void zero_grad();
  double lr() const { return options_.lr; }
  void set_lr(double lr) { options_.lr = lr; }
  const SgdOptions& options() const { return options_; }

  // The momentum buffers as named tensors ("momentum.<group>.<index>"), for checkpoints.
  std::vector<std::pair<std::string, Tensor>> state() const;
  // Restores buffers saved by state(); throws naming the key when a shape differs.
  void load_state(const std::vector<std::pair<std::string, Tensor>>& named);

 private:
  std::vector<ParamGroup> groups_;
  SgdOptions options_;
  std::vector<std::vector<Tensor>> momentum_;  // per group, per parameter; undefined until used
};

}  // namespace staa::train
