// Sequential: ordered children and a forward that chains them. Layer: nn.
// Children are registered as "0", "1", ... in push order; nothing is ever removed.
#include "nn/sequential.h"

#include <string>

namespace staa::nn {

Sequential::Sequential(std::initializer_list<std::shared_ptr<Module>> modules) {
  for (const auto& m : modules) push_back(m);
}

Sequential::Sequential(const std::vector<std::shared_ptr<Module>>& modules) {
  for (const auto& m : modules) push_back(m);
}

void Sequential::push_back(std::shared_ptr<Module> module) {
  STAA_CHECK(module != nullptr, "Sequential: push_back of a null module at index ", layers_.size());
  register_module(std::to_string(layers_.size()), module);
  layers_.push_back(std::move(module));
}

std::shared_ptr<Module> Sequential::operator[](size_t i) const {
  STAA_CHECK(i < layers_.size(), "Sequential: index ", i, " out of range for ", layers_.size(),
             " modules");
  return layers_[i];
}

Tensor Sequential::forward(const Tensor& x) {
  Tensor y = x;
  for (const auto& layer : layers_) y = (*layer)(y);
  return y;
}

}  // namespace staa::nn
