// The autograd tape: Node, Tape, grad mode (NoGradGuard) and backward(). Layer: autograd.
// A differentiable op runs its kernel, then record() appends a Node when grad mode is on and some
// input requires grad. Nodes hold input ids (not the inputs: memory stays what backward needs),
// leaf handles for parameters, saved tensors with their versions, and the backward function.
// backward(loss) walks the tape newest to oldest, so every node sees the full gradient of its
// output, accumulates input gradients keyed by tensor id, adds into leaves' .grad, then clears
// the tape. See autograd/README.md for the derivations of the backward formulas.
#pragma once

#include <functional>
#include <string>
#include <variant>
#include <vector>

#include "autograd/op_list.h"
#include "tensor/tensor.h"

namespace staa {

class Node;

// What a backward function sees: the node's saved tensors, checked against in-place changes.
class BackwardContext {
 public:
  explicit BackwardContext(const Node& node) : node_(node) {}
  // Saved tensor i; throws naming the op when it was modified in place after the forward.
  const Tensor& saved(size_t i) const;
  // Whether input i needs a gradient (skip work when it does not).
  bool needs_grad(size_t input) const;
  const Shape& input_shape(size_t input) const;

 private:
  const Node& node_;
};

// grad_inputs has one slot per input; leave a slot undefined for "no gradient".
using BackwardFn = std::function<void(const BackwardContext& ctx, const Tensor& grad_output,
                                      std::vector<Tensor>& grad_inputs)>;

// A typed attribute of a node (exponent, dims, transpose flags...), shown by Tape::print.
using AttrValue = std::variant<bool, int64_t, double, std::vector<int64_t>>;
struct Attr {
  const char* name;
  AttrValue value;
};
using Attrs = std::vector<Attr>;

struct SavedTensor {
  Tensor tensor;
  uint64_t version = 0;
};

// What a node keeps of one input: its identity and shape, not its data.
struct NodeInput {
  uint64_t id = 0;  // 0 for an undefined input
  bool needs_grad = false;
  Shape shape;
  Tensor leaf;  // the input itself when it is a leaf that requires grad (its .grad is written)
};

class Node {
 public:
  OpId op;
  std::vector<NodeInput> inputs;
  uint64_t output_id = 0;
  Shape output_shape;
  std::vector<SavedTensor> saved;
  Attrs attrs;
  BackwardFn backward;
  // Set by slice: the gradient of input 0 is the output gradient in rows [rows_start, rows_start
  // + output rows) and 0 elsewhere. backward() then adds it into those rows of the input's
  // gradient in place, without calling `backward`: a loop that slices T steps out of one tensor
  // costs T row additions instead of T zero-padded full-size gradients and their sum.
  int64_t rows_start = -1;
};

class Tape {
 public:
  // The calling thread's tape.
  static Tape& current();
  const std::vector<Node>& nodes() const { return nodes_; }
  size_t size() const { return nodes_.size(); }
  void clear() { nodes_.clear(); }
  void push(Node node) { nodes_.push_back(std::move(node)); }
  // Marks the newest node as a slice of rows starting at `start` (Node::rows_start).
  void mark_rows_slice(int64_t start) { nodes_.back().rows_start = start; }
  // One line per node: `17 conv2d [8,3,32,32],[16,3,3,3] -> [8,16,32,32] stride=1`.
  std::string str() const;
  void print() const;

 private:
  std::vector<Node> nodes_;
};

bool grad_enabled();

// Turns recording off for its scope (evaluation, metrics, optimizer steps).
class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

// True when grad mode is on and some input requires grad: the op must call record().
bool needs_record(std::initializer_list<const Tensor*> inputs);
bool needs_record(const std::vector<Tensor>& inputs);

// Appends a node for `output` = op(inputs) and marks output as a non-leaf requiring grad.
void record(OpId op, const std::vector<Tensor>& inputs, Tensor& output, std::vector<Tensor> saved,
            BackwardFn backward, Attrs attrs = {});

// Backpropagates from `root` (a one-element tensor, or any shape with an explicit grad of that
// shape), adds into .grad of the leaves that require grad, and clears the tape.
void backward(const Tensor& root, const Tensor& grad_root = Tensor());

}  // namespace staa
