// Sequential: children named "0", "1", ... applied in order. Layer: nn. Invariant: the child
// list and the registered children are the same modules in the same order.
#pragma once

#include <initializer_list>
#include <memory>
#include <utility>
#include <vector>

#include "nn/module.h"

namespace staa::nn {

class Sequential : public Module {
 public:
  Sequential() = default;
  Sequential(std::initializer_list<std::shared_ptr<Module>> modules);
  explicit Sequential(const std::vector<std::shared_ptr<Module>>& modules);

  // Appends a module under the next index.
  void push_back(std::shared_ptr<Module> module);
  // Constructs M(args...) in place, appends it, returns it.
  template <typename M, typename... Args>
  std::shared_ptr<M> add(Args&&... args) {
    auto module = std::make_shared<M>(std::forward<Args>(args)...);
    push_back(module);
    return module;
  }

  size_t size() const { return layers_.size(); }
  // Throws when i is out of range.
  std::shared_ptr<Module> operator[](size_t i) const;

  // Each child's forward in order; an empty Sequential is the identity.
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "Sequential"; }

 private:
  std::vector<std::shared_ptr<Module>> layers_;
};

}  // namespace staa::nn
