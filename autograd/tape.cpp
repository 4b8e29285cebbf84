// Tape, grad mode, record() and backward(). Layer: autograd.
#include "autograd/tape.h"

#include <iostream>
#include <sstream>
#include <unordered_map>

#include "autograd/ops.h"
#include "tensor/backend.h"

namespace staa {

namespace {
thread_local bool t_grad_enabled = true;

void print_attr(std::ostream& out, bool v) {
  out << (v ? "true" : "false");
}
void print_attr(std::ostream& out, int64_t v) {
  out << v;
}
void print_attr(std::ostream& out, double v) {
  out << v;
}
void print_attr(std::ostream& out, const std::vector<int64_t>& v) {
  out << "[";
  for (size_t i = 0; i < v.size(); ++i) out << (i ? "," : "") << v[i];
  out << "]";
}
}  // namespace

bool grad_enabled() {
  return t_grad_enabled;
}

NoGradGuard::NoGradGuard() : previous_(t_grad_enabled) {
  t_grad_enabled = false;
}
NoGradGuard::~NoGradGuard() {
  t_grad_enabled = previous_;
}

Tape& Tape::current() {
  thread_local Tape tape;
  return tape;
}

std::string Tape::str() const {
  std::ostringstream out;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    const Node& n = nodes_[i];
    out << i << " " << op_name(n.op) << " ";
    for (size_t j = 0; j < n.inputs.size(); ++j) out << (j ? "," : "") << n.inputs[j].shape;
    out << " -> " << n.output_shape;
    for (const Attr& a : n.attrs) {
      out << " " << a.name << "=";
      std::visit([&](const auto& v) { print_attr(out, v); }, a.value);
    }
    out << "\n";
  }
  return out.str();
}

void Tape::print() const {
  std::cout << str();
}

const Tensor& BackwardContext::saved(size_t i) const {
  STAA_CHECK(i < node_.saved.size(), op_name(node_.op), " backward: asked for saved tensor ", i,
             ", the forward saved ", node_.saved.size());
  const SavedTensor& s = node_.saved[i];
  if (!s.tensor.defined()) return s.tensor;  // an optional saved tensor the forward left out
  STAA_CHECK(s.tensor.version() == s.version, op_name(node_.op),
             " backward: a tensor it saved (shape ", s.tensor.shape(),
             ") was modified in place after the forward (version ", s.version, " then, ",
             s.tensor.version(), " now); clone it before writing to it");
  return s.tensor;
}

bool BackwardContext::needs_grad(size_t input) const {
  return node_.inputs[input].needs_grad;
}

const Shape& BackwardContext::input_shape(size_t input) const {
  return node_.inputs[input].shape;
}

bool needs_record(std::initializer_list<const Tensor*> inputs) {
  if (!t_grad_enabled) return false;
  for (const Tensor* t : inputs)
    if (t->defined() && t->requires_grad()) return true;
  return false;
}

bool needs_record(const std::vector<Tensor>& inputs) {
  if (!t_grad_enabled) return false;
  for (const Tensor& t : inputs)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

void record(OpId op, const std::vector<Tensor>& inputs, Tensor& output, std::vector<Tensor> saved,
            BackwardFn backward, Attrs attrs) {
  Node node;
  node.op = op;
  for (const Tensor& t : inputs) {
    const bool needs = t.defined() && t.requires_grad();
    node.inputs.push_back({t.defined() ? t.id() : 0, needs, t.defined() ? t.shape() : Shape{},
                           needs && t.is_leaf() ? t : Tensor()});
  }
  for (Tensor& s : saved) {
    const uint64_t version = s.defined() ? s.version() : 0;
    node.saved.push_back({std::move(s), version});
  }
  node.output_id = output.id();
  node.output_shape = output.shape();
  node.backward = std::move(backward);
  node.attrs = std::move(attrs);
  output.impl().requires_grad = true;
  output.impl().is_leaf = false;
  Tape::current().push(std::move(node));
}

namespace {

// Nothing but this handle holds t or its storage: t may be written in place.
bool sole_owner(const Tensor& t) {
  return t.impl_ptr().use_count() == 1 && t.impl().storage.use_count() == 1;
}

// acc += g. The first g becomes acc as it is (no copy); g is never modified afterwards, since a
// backward may hand the same tensor to several inputs. acc is added into in place when it is the
// sole owner (a sum this function allocated, or a gradient no one else kept), else into a new
// tensor.
void accumulate(Tensor& acc, const Tensor& g) {
  if (!acc.defined()) {
    acc = g;
    return;
  }
  Tensor sum = sole_owner(acc) ? acc : Tensor::empty(acc.shape(), acc.dtype(), acc.device());
  backend_of(acc).binary(BinaryOp::add, acc, g, sum);
  acc = sum;
}

// acc[start : start + rows of g] += g, acc of `shape` (zeros on first use; copied first when
// something else holds it).
void accumulate_rows(Tensor& acc, const Shape& shape, int64_t start, const Tensor& g) {
  if (!acc.defined()) {
    acc = zeros(shape, {g.dtype(), g.device()});
  } else if (!sole_owner(acc)) {
    Tensor copy = Tensor::empty(acc.shape(), acc.dtype(), acc.device());
    backend_of(acc).copy(acc, copy);
    acc = copy;
  }
  Tensor rows = acc.view_rows(start, start + g.size(0));
  backend_of(acc).binary(BinaryOp::add, rows, g, rows);
}

// The leaf's first gradient is g itself when nothing else holds g and g spans its whole storage
// (a gradient a backward function allocated), else a copy (g may be the caller's tensor, or be
// shared with other inputs' gradients).
void add_into_leaf(const Tensor& leaf, const Tensor& g) {
  Tensor existing = leaf.grad();
  if (!existing.defined()) {
    const bool whole = g.impl().offset == 0 && g.impl().storage->bytes() == g.nbytes();
    const_cast<Tensor&>(leaf).set_grad(sole_owner(g) && whole ? g : g.clone());
    return;
  }
  backend_of(existing).binary(BinaryOp::add, existing, g, existing);
  existing.bump_version();
}

}  // namespace

void backward(const Tensor& root, const Tensor& grad_root) {
  check_defined("backward", root, "the root");
  STAA_CHECK(root.requires_grad(),
             "backward: the root does not require grad (no input of its "
             "graph requires grad, or it was computed under NoGradGuard)");
  Tensor g = grad_root;
  if (!g.defined()) {
    STAA_CHECK(root.numel() == 1, "backward: the root has shape ", root.shape(),
               "; pass a gradient of that shape or reduce it to one element");
    g = ones(root.shape(), {root.dtype(), root.device()});
  }
  STAA_CHECK(g.shape() == root.shape(), "backward: gradient shape ", g.shape(), " != root shape ",
             root.shape());
  Tape& tape = Tape::current();
  if (root.is_leaf()) {
    add_into_leaf(root, g);
    tape.clear();
    return;
  }
  NoGradGuard no_grad;
  std::unordered_map<uint64_t, Tensor> grads{{root.id(), g}};
  std::unordered_map<uint64_t, std::pair<Tensor, Tensor>> leaf_grads;  // id -> (leaf, grad)
  // Where an input's gradient accumulates: beside the leaf itself, or keyed by the tensor's id.
  const auto slot = [&](const NodeInput& input) -> Tensor& {
    if (!input.leaf.defined()) return grads[input.id];
    auto& leaf_slot = leaf_grads[input.id];
    leaf_slot.first = input.leaf;
    return leaf_slot.second;
  };
  const std::vector<Node>& nodes = tape.nodes();
  for (auto it = nodes.rbegin(); it != nodes.rend(); ++it) {
    const Node& node = *it;
    auto found = grads.find(node.output_id);
    if (found == grads.end()) continue;
    const Tensor grad_output = std::move(found->second);
    grads.erase(found);
    if (node.rows_start >= 0) {  // a slice: add into the rows of the input's gradient
      const NodeInput& input = node.inputs[0];
      if (input.needs_grad) accumulate_rows(slot(input), input.shape, node.rows_start, grad_output);
      continue;
    }
    std::vector<Tensor> grad_inputs(node.inputs.size());
    node.backward(BackwardContext(node), grad_output, grad_inputs);
    for (size_t i = 0; i < grad_inputs.size(); ++i) {
      const NodeInput& input = node.inputs[i];
      if (!input.needs_grad || !grad_inputs[i].defined()) continue;
      STAA_CHECK(grad_inputs[i].shape() == input.shape, op_name(node.op),
                 " backward: gradient of input ", i, " has shape ", grad_inputs[i].shape(),
                 ", the input has ", input.shape);
      accumulate(slot(input), grad_inputs[i]);
    }
  }
  for (auto& [id, leaf_and_grad] : leaf_grads) {
    const Tensor grad = std::move(leaf_and_grad.second);  // the map no longer holds it
    add_into_leaf(leaf_and_grad.first, grad);
  }
  tape.clear();
}

}  // namespace staa
