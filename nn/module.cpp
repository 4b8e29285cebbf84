// Module mechanics: registration, recursive traversal, modes, device moves, state dicts and the
// printed tree. Layer: nn. Tensors are changed in place (storage swapped or values copied), never
// replaced, so every handle to a parameter keeps seeing the module's tensor.
#include "nn/module.h"

#include <sstream>

#include "autograd/ops.h"
#include "autograd/tape.h"

namespace staa::nn {

// ---- StateDict ---------------------------------------------------------------------------------

void StateDict::insert(const std::string& name, const Tensor& tensor) {
  STAA_CHECK(index_.count(name) == 0, "state_dict: key '", name, "' inserted twice");
  index_.emplace(name, entries_.size());
  entries_.emplace_back(name, tensor);
}

const Tensor* StateDict::find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &entries_[it->second].second;
}

const Tensor& StateDict::at(const std::string& name) const {
  const Tensor* t = find(name);
  STAA_CHECK(t != nullptr, "state_dict: no key '", name, "' among ", entries_.size(), " keys");
  return *t;
}

// ---- forward, state, registration --------------------------------------------------------------

Tensor Module::forward(const Tensor&) {
  STAA_FAIL(type_name(), ": forward(Tensor) is not implemented by this module");
}

void Module::reset_state() {
  for (auto& [name, child] : children_) child->reset_state();
}

void Module::check_new_name(const char* what, const std::string& name) const {
  STAA_CHECK(!name.empty() && name.find('.') == std::string::npos, type_name(), ": ", what,
             ": name must be non-empty and contain no '.', got '", name, "'");
  bool taken = false;
  for (const auto& [n, t] : parameters_) taken = taken || n == name;
  for (const auto& [n, t] : buffers_) taken = taken || n == name;
  for (const auto& [n, c] : children_) taken = taken || n == name;
  STAA_CHECK(!taken, type_name(), ": ", what, ": name '", name, "' is already registered");
}

Tensor Module::register_parameter(const std::string& name, Tensor tensor, bool requires_grad) {
  check_new_name("register_parameter", name);
  STAA_CHECK(tensor.defined(), type_name(), ": register_parameter: tensor '", name,
             "' is undefined (skip registering an absent bias)");
  STAA_CHECK(is_floating(tensor.dtype()), type_name(), ": register_parameter: '", name,
             "' must be floating point, got ", tensor.dtype());
  tensor.set_requires_grad(requires_grad);
  tensor.set_name(name);
  parameters_.emplace_back(name, tensor);
  return tensor;
}

Tensor Module::register_buffer(const std::string& name, Tensor tensor) {
  check_new_name("register_buffer", name);
  STAA_CHECK(tensor.defined(), type_name(), ": register_buffer: tensor '", name, "' is undefined");
  tensor.set_name(name);
  buffers_.emplace_back(name, tensor);
  return tensor;
}

std::shared_ptr<Module> Module::register_module(const std::string& name,
                                                std::shared_ptr<Module> child) {
  check_new_name("register_module", name);
  STAA_CHECK(child != nullptr, type_name(), ": register_module: child '", name, "' is null");
  STAA_CHECK(child.get() != this, type_name(), ": register_module: '", name, "' is itself");
  // Registration runs bottom-up, so renaming here gives every tensor its full dotted name once the
  // tree is complete.
  for (auto& [n, t] : child->named_parameters()) t.set_name(name + "." + n);
  for (auto& [n, t] : child->named_buffers()) t.set_name(name + "." + n);
  children_.emplace_back(name, child);
  return child;
}

std::shared_ptr<Module> Module::child(const std::string& name) const {
  for (const auto& [n, c] : children_) {
    if (n == name) return c;
  }
  STAA_FAIL(type_name(), ": no child module named '", name, "' (", children_.size(), " children)");
}

// ---- traversal ---------------------------------------------------------------------------------

void Module::collect(Kind kind, const std::string& prefix, std::vector<NamedTensor>& out,
                     std::unordered_set<const TensorImpl*>& seen) const {
  for (const auto& [name, t] : kind == Kind::kParameter ? parameters_ : buffers_) {
    if (seen.insert(t.impl_ptr().get()).second) out.emplace_back(prefix + name, t);
  }
  for (const auto& [name, c] : children_) c->collect(kind, prefix + name + ".", out, seen);
}

std::vector<NamedTensor> Module::named_parameters() const {
  std::vector<NamedTensor> out;
  std::unordered_set<const TensorImpl*> seen;
  collect(Kind::kParameter, "", out, seen);
  return out;
}

std::vector<Tensor> Module::parameters() const {
  std::vector<Tensor> out;
  for (auto& [name, t] : named_parameters()) out.push_back(t);
  return out;
}

std::vector<NamedTensor> Module::named_buffers() const {
  std::vector<NamedTensor> out;
  std::unordered_set<const TensorImpl*> seen;
  collect(Kind::kBuffer, "", out, seen);
  return out;
}

std::vector<Tensor> Module::buffers() const {
  std::vector<Tensor> out;
  for (auto& [name, t] : named_buffers()) out.push_back(t);
  return out;
}

std::vector<std::pair<std::string, Module*>> Module::named_modules() {
  std::vector<std::pair<std::string, Module*>> out{{"", this}};
  for (const auto& [name, child] : children_)
    for (auto& [sub, m] : child->named_modules())
      out.emplace_back(sub.empty() ? name : name + "." + sub, m);
  return out;
}

std::vector<Tensor> Module::all_tensors() const {
  std::vector<NamedTensor> named;
  std::unordered_set<const TensorImpl*> seen;
  collect(Kind::kParameter, "", named, seen);
  collect(Kind::kBuffer, "", named, seen);
  std::vector<Tensor> out;
  for (auto& [name, t] : named) out.push_back(t);
  return out;
}

int64_t Module::num_parameters() const {
  int64_t n = 0;
  for (const Tensor& t : parameters()) n += t.numel();
  return n;
}

// ---- modes, gradients, devices -----------------------------------------------------------------

void Module::train(bool on) {
  training_ = on;
  for (auto& [name, child] : children_) child->train(on);
}

void Module::zero_grad() {
  for (Tensor& p : parameters()) p.set_grad(Tensor());
}

Module& Module::to(Device device) {
  for (const Tensor& t : all_tensors()) {
    t.set_data(t.to(device));
    const Tensor grad = t.grad();
    if (grad.defined()) grad.set_data(grad.to(device));
  }
  return *this;
}

Module& Module::to(DType dtype) {
  STAA_CHECK(is_floating(dtype), type_name(), ": to(dtype): expected a floating dtype, got ",
             dtype);
  for (const Tensor& t : all_tensors()) {
    if (!is_floating(t.dtype())) continue;
    t.set_data(t.to(dtype));
    const Tensor grad = t.grad();
    if (grad.defined()) grad.set_data(grad.to(dtype));
  }
  return *this;
}

// ---- state dicts -------------------------------------------------------------------------------

void Module::collect_state(const std::string& prefix, StateDict& out) const {
  for (const auto& [name, t] : parameters_) out.insert(prefix + name, t.detach());
  for (const auto& [name, t] : buffers_) out.insert(prefix + name, t.detach());
  for (const auto& [name, c] : children_) c->collect_state(prefix + name + ".", out);
}

StateDict Module::state_dict() const {
  StateDict out;
  collect_state("", out);
  return out;
}

namespace {

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + items[i];
  return out;
}

// "2 missing keys [a, b]" for a non-empty list.
std::string key_list(const std::vector<std::string>& keys, const char* what) {
  std::ostringstream out;
  out << keys.size() << " " << what << (keys.size() == 1 ? " key [" : " keys [") << join(keys)
      << "]";
  return out.str();
}

}  // namespace

LoadResult Module::load_state_dict(const StateDict& dict, bool strict) {
  const StateDict own = state_dict();
  LoadResult result;
  std::vector<std::string> mismatched;
  for (const auto& [name, t] : own) {
    const Tensor* src = dict.find(name);
    if (src == nullptr) {
      result.missing_keys.push_back(name);
    } else if (!src->defined()) {
      mismatched.push_back(name + ": expected " + t.shape().str() + " " + dtype_name(t.dtype()) +
                           ", found an undefined tensor");
    } else if (src->shape() != t.shape() || src->dtype() != t.dtype()) {
      mismatched.push_back(name + ": expected " + t.shape().str() + " " + dtype_name(t.dtype()) +
                           ", found " + src->shape().str() + " " + dtype_name(src->dtype()));
    }
  }
  for (const auto& [name, t] : dict) {
    if (!own.contains(name)) result.unexpected_keys.push_back(name);
  }
  std::vector<std::string> problems;
  if (strict && !result.missing_keys.empty()) {
    problems.push_back(key_list(result.missing_keys, "missing"));
  }
  if (strict && !result.unexpected_keys.empty()) {
    problems.push_back(key_list(result.unexpected_keys, "unexpected"));
  }
  if (!mismatched.empty()) problems.push_back(key_list(mismatched, "mis-shaped"));
  if (!problems.empty()) {
    std::string message;
    for (size_t i = 0; i < problems.size(); ++i) message += (i ? "; " : "") + problems[i];
    STAA_FAIL("load_state_dict(", type_name(), "): ", message);
  }
  NoGradGuard no_grad;
  for (const auto& [name, t] : own) {
    const Tensor* src = dict.find(name);
    // Absent, or the module's own tensor (loading its own state_dict): nothing to copy.
    if (src == nullptr || (src->shares_storage(t) && src->impl().offset == t.impl().offset)) {
      continue;
    }
    Tensor dst = t;
    copy_(dst, *src);
  }
  return result;
}

// ---- printing ----------------------------------------------------------------------------------

void Module::print(std::ostream& out, const std::string& name, int indent) const {
  const std::string pad(static_cast<size_t>(indent), ' ');
  out << pad;
  if (!name.empty()) out << "(" << name << "): ";
  out << type_name() << "(";
  if (children_.empty()) out << extra_repr() << ")";
  // "# 55 parameters: weight [5,10], bias [5]; buffers: running_mean [16]", the count being the
  // subtree's total ("in total, own: ..." for a module with children).
  std::string own, buffers;
  for (const auto& [n, t] : parameters_) {
    own.append(own.empty() ? "" : ", ").append(n).append(" ").append(t.shape().str());
  }
  for (const auto& [n, t] : buffers_) {
    buffers.append(buffers.empty() ? "" : ", ").append(n).append(" ").append(t.shape().str());
  }
  const int64_t count = num_parameters();
  std::string comment;
  if (count > 0) {
    comment.append(std::to_string(count)).append(count == 1 ? " parameter" : " parameters");
    if (!own.empty()) comment.append(children_.empty() ? ": " : " in total, own: ").append(own);
  }
  if (!buffers.empty()) {
    comment.append(comment.empty() ? "" : "; ").append("buffers: ").append(buffers);
  }
  if (!comment.empty()) out << "  # " << comment;
  out << "\n";
  if (children_.empty()) return;
  if (!extra_repr().empty()) out << pad << "  " << extra_repr() << "\n";
  for (const auto& [n, c] : children_) c->print(out, n, indent + 2);
  out << pad << ")\n";
}

std::string Module::str() const {
  std::ostringstream out;
  print(out, "", 0);
  return out.str();
}

std::ostream& operator<<(std::ostream& out, const Module& module) {
  return out << module.str();
}

std::string pair_str(const std::array<int64_t, 2>& v) {
  std::ostringstream out;
  out << "[" << v[0] << "," << v[1] << "]";
  return out.str();
}

namespace {
thread_local ForwardObserver forward_observer;
thread_local ForwardHook forward_hook;
}  // namespace

Tensor Module::operator()(const Tensor& x) {
  Tensor y = forward(x);
  if (forward_hook) y = forward_hook(*this, x, y);
  if (forward_observer) forward_observer(*this, x, y);
  return y;
}

void Module::report_call(const Tensor& x, const Tensor& y) const {
  if (forward_observer) forward_observer(*this, x, y);
}

bool forward_observed() {
  return static_cast<bool>(forward_observer);
}

ForwardObserverGuard::ForwardObserverGuard(ForwardObserver observer)
    : previous_(std::move(forward_observer)) {
  forward_observer = std::move(observer);
}

ForwardObserverGuard::~ForwardObserverGuard() {
  forward_observer = std::move(previous_);
}

ForwardHookGuard::ForwardHookGuard(ForwardHook hook) : previous_(std::move(forward_hook)) {
  forward_hook = std::move(hook);
}

ForwardHookGuard::~ForwardHookGuard() {
  forward_hook = std::move(previous_);
}

}  // namespace staa::nn
