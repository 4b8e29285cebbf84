// Parameter-free layers: ReLU, Sigmoid, Flatten and Dropout. Layer: nn. Dropout owns its
// Generator (seeded by its constructor), draws masks only in training mode and is the identity
// in eval mode.
#pragma once

#include <cstdint>

#include "nn/module.h"
#include "tensor/generator.h"

namespace staa::nn {

class ReLU : public Module {
 public:
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "ReLU"; }
};

class Sigmoid : public Module {
 public:
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "Sigmoid"; }
};

// Merges dims start_dim..end_dim (negative counts from the end) into one: [N, C, H, W] -> [N, CHW].
class Flatten : public Module {
 public:
  explicit Flatten(int64_t start_dim = 1, int64_t end_dim = -1);
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "Flatten"; }
  std::string extra_repr() const override;

 private:
  int64_t start_dim_;
  int64_t end_dim_;
};

class Dropout : public Module {
 public:
  // p in [0, 1): the probability of zeroing an element; seed: this module's own Generator.
  explicit Dropout(double p = 0.5, uint64_t seed = 0);
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "Dropout"; }
  std::string extra_repr() const override;
  double p() const { return p_; }
  Generator& generator() { return gen_; }

 private:
  double p_;
  Generator gen_;
};

}  // namespace staa::nn
