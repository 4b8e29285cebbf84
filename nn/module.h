// Module: the base of every layer. Layer: nn. A module owns named parameters (tensors that
// require grad), named buffers (state such as running statistics) and named child modules, all
// registered explicitly in its constructor. Invariants: names are unique per module and contain no
// '.'; traversal follows registration order (own tensors first, then children, depth first);
// to() and load_state_dict() change tensors in place, so handles held by layers and optimizers
// stay valid.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "tensor/tensor.h"

namespace staa::nn {

using NamedTensor = std::pair<std::string, Tensor>;

// An ordered map of dotted names to tensors (insertion order is kept for saving and printing).
class StateDict {
 public:
  // Throws when the name is already present.
  void insert(const std::string& name, const Tensor& tensor);
  bool contains(const std::string& name) const { return index_.count(name) != 0; }
  // nullptr when absent.
  const Tensor* find(const std::string& name) const;
  // Throws naming the key when absent.
  const Tensor& at(const std::string& name) const;
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  std::vector<NamedTensor>::const_iterator begin() const { return entries_.begin(); }
  std::vector<NamedTensor>::const_iterator end() const { return entries_.end(); }

 private:
  std::vector<NamedTensor> entries_;
  std::unordered_map<std::string, size_t> index_;
};

// What load_state_dict(dict, strict = false) skipped.
struct LoadResult {
  std::vector<std::string> missing_keys;     // in the module, not in the dict
  std::vector<std::string> unexpected_keys;  // in the dict, not in the module
};

class Module {
 public:
  Module() = default;
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // x -> y. The default throws: a module without a one-tensor forward (a plain container) says so.
  virtual Tensor forward(const Tensor& x);
  // forward(x); then the installed ForwardHook (if any) may replace y; then the installed
  // ForwardObserver (if any) sees (module, x, y). Containers call their children this way so that
  // tools see every layer.
  Tensor operator()(const Tensor& x);
  // For a module applied through another entry point than forward (STAA-LIF takes its GC and SA
  // blocks' per-channel terms and never builds their output maps): shows the installed
  // ForwardObserver a call with this input and output, as operator() would. Callers build the
  // tensors only when forward_observed().
  void report_call(const Tensor& x, const Tensor& y) const;

  // For printing: the type ("Conv2d") and its arguments ("3, 16, kernel_size=[3,3]").
  virtual std::string type_name() const { return "Module"; }
  virtual std::string extra_repr() const { return ""; }

  // Clears per-sequence state (membrane potentials of spiking neurons). The default resets every
  // child; a stateful module overrides it, and calls Module::reset_state() if it has children.
  virtual void reset_state();

  // ---- registration (in constructors); each returns the registered handle ----
  // Marks `tensor` as requiring grad (unless requires_grad is false) and names it for errors.
  Tensor register_parameter(const std::string& name, Tensor tensor, bool requires_grad = true);
  Tensor register_buffer(const std::string& name, Tensor tensor);
  std::shared_ptr<Module> register_module(const std::string& name, std::shared_ptr<Module> child);
  template <typename M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> child) {
    register_module(name, std::shared_ptr<Module>(child));
    return child;
  }

  // ---- traversal: dotted names ("layer1.0.conv1.weight"), each tensor once ----
  std::vector<NamedTensor> named_parameters() const;
  std::vector<Tensor> parameters() const;
  std::vector<NamedTensor> named_buffers() const;
  std::vector<Tensor> buffers() const;
  // This module ("") and every descendant with its dotted name, depth first, parents first.
  std::vector<std::pair<std::string, Module*>> named_modules();
  // Direct children only, in registration order.
  const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& named_children() const {
    return children_;
  }
  // The child registered under `name` (direct child); throws when absent.
  std::shared_ptr<Module> child(const std::string& name) const;
  // Total elements of all parameters (buffers excluded).
  int64_t num_parameters() const;

  // ---- modes and housekeeping, all recursive ----
  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }
  // Resets .grad of every parameter to undefined (backward then writes a fresh gradient).
  void zero_grad();
  // Moves parameters, buffers and gradients in place (requires_grad and names kept).
  Module& to(Device device);
  // Casts floating parameters, buffers and gradients in place; integer buffers stay.
  Module& to(DType dtype);

  // ---- checkpoints ----
  // Parameters then buffers of each module, depth first. The tensors share storage with the
  // module (clone them for a snapshot).
  StateDict state_dict() const;
  // Copies every value into the module's tensors in place (under NoGradGuard, bumping versions).
  // Throws one error listing every missing and unexpected key (when strict) and every key whose
  // shape or dtype differs (always), with expected and found.
  LoadResult load_state_dict(const StateDict& dict, bool strict = true);

  // PyTorch-like tree with tensor shapes and parameter counts.
  std::string str() const;

 private:
  enum class Kind { kParameter, kBuffer };
  void check_new_name(const char* what, const std::string& name) const;
  void collect(Kind kind, const std::string& prefix, std::vector<NamedTensor>& out,
               std::unordered_set<const TensorImpl*>& seen) const;
  void collect_state(const std::string& prefix, StateDict& out) const;
  void print(std::ostream& out, const std::string& name, int indent) const;
  // Every parameter and buffer once (for in-place moves).
  std::vector<Tensor> all_tensors() const;

  bool training_ = true;
  std::vector<NamedTensor> parameters_;
  std::vector<NamedTensor> buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
};

std::ostream& operator<<(std::ostream& out, const Module& module);

// Sees every module call made through Module::operator() on this thread while installed: the
// layer tables of tools/summary and the operation counts of the energy tool use it. Costs one
// branch per call when none is installed.
using ForwardObserver =
    std::function<void(const Module& module, const Tensor& input, const Tensor& output)>;

// Whether a ForwardObserver is installed on this thread.
bool forward_observed();

// Installs an observer for its scope (the previous one comes back at the end).
class ForwardObserverGuard {
 public:
  explicit ForwardObserverGuard(ForwardObserver observer);
  ~ForwardObserverGuard();
  ForwardObserverGuard(const ForwardObserverGuard&) = delete;
  ForwardObserverGuard& operator=(const ForwardObserverGuard&) = delete;

 private:
  ForwardObserver previous_;
};

// Replaces the output of module calls made through Module::operator() on this thread while
// installed: it returns the y the caller gets (return `output` to leave a module alone). Grad-CAM
// adds a zero leaf that requires grad to one layer's output, so that backward writes
// d(score)/d(output) into that leaf's .grad (the tape keeps gradients of leaves only). Runs before
// the observer, which sees the replaced output. Costs one branch per call when none is installed.
using ForwardHook =
    std::function<Tensor(const Module& module, const Tensor& input, const Tensor& output)>;

// Installs a hook for its scope (the previous one comes back at the end).
class ForwardHookGuard {
 public:
  explicit ForwardHookGuard(ForwardHook hook);
  ~ForwardHookGuard();
  ForwardHookGuard(const ForwardHookGuard&) = delete;
  ForwardHookGuard& operator=(const ForwardHookGuard&) = delete;

 private:
  ForwardHook previous_;
};

// "[a,b]": how layers print kernel sizes, strides and paddings.
std::string pair_str(const std::array<int64_t, 2>& v);

}  // namespace staa::nn
