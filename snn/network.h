// Spiking networks of the paper (spec §3) with a neuron switch (lif | adaptive | staa): the
// SpikingNetwork container, the model factory, the lineage initialisation, the weight-decay
// parameter groups and the losses on per-step logits. Layer: snn. Invariant: between the stem and
// the head every activation is merged time-major, [T*B, C, H, W]; a static image [B, C, H, W]
// goes through the stem's first conv + BN once and is repeated over T after it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "nn/module.h"
#include "snn/neuron.h"

namespace staa::snn {

struct ModelOptions {
  int64_t num_classes = 10;
  int64_t in_channels = 3;  // 3 for images, 2 for event frames
  NeuronOptions neuron;     // kind, T (neuron.time_steps), thresholds, STAA switches
  uint64_t seed = 0;        // initial weights and each layer's TSRD stream
};

class SpikingNetwork : public nn::Module {
 public:
  // stem: conv + BN of one step (run once on static input); body: merged [T*B, ...] ->
  // [T*B, ...]; head: [T*B, ...] -> [T*B, classes].
  SpikingNetwork(std::string name, const ModelOptions& options, std::shared_ptr<nn::Module> stem,
                 std::shared_ptr<nn::Module> body, std::shared_ptr<nn::Module> head);

  // x: [B, C, H, W] (static, repeated over T) or [T, B, C, H, W] (event frames) -> [T, B, K].
  Tensor forward_steps(const Tensor& x);
  // The logits averaged over T: [B, K].
  Tensor forward(const Tensor& x) override;

  std::string type_name() const override { return name_; }
  int64_t time_steps() const { return options_.neuron.time_steps; }
  const ModelOptions& options() const { return options_; }

 private:
  std::string name_;
  ModelOptions options_;
  std::shared_ptr<nn::Module> stem_, body_, head_;
};

// "resnet19", "resnet20", "vgg13", "vggsnn", "resnet18", "resnet34", "small" (quick runs, e.g.
// Fashion-MNIST in minutes) and "tiny" (tests). Throws listing the names for an unknown one.
std::shared_ptr<SpikingNetwork> make_model(const std::string& name, const ModelOptions& options);
std::vector<std::string> model_names();
// The input side of a model's usual dataset: 32 (CIFAR), 48 (vggsnn, CIFAR10-DVS), 224 (ImageNet).
int64_t default_input_size(const std::string& name);

// Lineage initialisation (spec §3): conv weights N(0, sqrt(2 / (k k C_out))), conv biases 0,
// Linear weights N(0, 1 / n_in), biases 0, BN gamma 1 beta 0; GC's conv_v back to 0.
void init_lineage(nn::Module& model, Generator& gen);

// Weight decay applies to conv and linear weights only (not BN, biases, PE, M, N, LN).
struct ParamGroups {
  std::vector<Tensor> decay;
  std::vector<Tensor> no_decay;
};
ParamGroups weight_decay_groups(nn::Module& model);

// Losses on per-step logits [T, B, K] with targets [B] (i64):
// the cross-entropy of the mean over T (the paper's), and TET:
// (1 - lambda) mean_t CE(out[t], y) + lambda MSE(out, 1).
Tensor mean_over_time_loss(const Tensor& steps, const Tensor& targets);
Tensor tet_loss(const Tensor& steps, const Tensor& targets, double lambda = 1e-3);

}  // namespace staa::snn
