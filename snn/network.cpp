// SpikingNetwork (static stem once, merged time-major body, per-step head), initialisation,
// weight-decay groups and the losses on per-step logits. Layer: snn.
#include "snn/network.h"

#include <algorithm>
#include <cmath>

#include "autograd/ops.h"
#include "nn/conv.h"
#include "nn/init.h"
#include "nn/linear.h"
#include "nn/norm.h"
#include "snn/staa_lif.h"

namespace staa::snn {

SpikingNetwork::SpikingNetwork(std::string name, const ModelOptions& options,
                               std::shared_ptr<nn::Module> stem, std::shared_ptr<nn::Module> body,
                               std::shared_ptr<nn::Module> head)
    : name_(std::move(name)), options_(options) {
  stem_ = register_module("stem", std::move(stem));
  body_ = register_module("body", std::move(body));
  head_ = register_module("head", std::move(head));
}

Tensor SpikingNetwork::forward_steps(const Tensor& x) {
  const int64_t T = time_steps();
  const int64_t C = options_.in_channels;
  Tensor merged;
  if (x.ndim() == 4) {
    STAA_CHECK(x.shape()[1] == C, name_, ": expected input [B, ", C, ", H, W], got ", x.shape());
    // The stem's conv + BN see the same image at every step: run them once, then repeat.
    const Tensor s = (*stem_)(x);
    std::vector<int64_t> once{1}, repeated{T};
    for (int64_t d : s.shape()) once.push_back(d), repeated.push_back(d);
    std::vector<int64_t> flat = s.shape().vec();
    flat[0] *= T;
    merged = reshape(expand(reshape(s, once), Shape(repeated)), flat);
  } else {
    STAA_CHECK(x.ndim() == 5 && x.shape()[0] == T && x.shape()[2] == C, name_,
               ": expected input [B, ", C, ", H, W] or [T = ", T, ", B, ", C, ", H, W], got ",
               x.shape());
    std::vector<int64_t> flat(x.shape().begin() + 1, x.shape().end());
    flat[0] *= T;
    merged = (*stem_)(reshape(x, flat));
  }
  const Tensor logits = (*head_)((*body_)(merged));  // [T*B, K]
  return reshape(logits, {T, logits.shape()[0] / T, logits.shape()[1]});
}

Tensor SpikingNetwork::forward(const Tensor& x) {
  return mean(forward_steps(x), {0});
}

namespace {

void init_module(nn::Module& m, Generator& gen) {
  if (auto* conv = dynamic_cast<nn::Conv2d*>(&m)) {
    Tensor w = conv->weight(), b = conv->bias();
    const Shape& s = w.shape();  // [C_out, C_in / G, KH, KW]
    nn::init::normal_(w, 0.0, std::sqrt(2.0 / static_cast<double>(s[2] * s[3] * s[0])), gen);
    if (b.defined()) nn::init::zeros_(b);
  } else if (auto* fc = dynamic_cast<nn::Linear*>(&m)) {
    Tensor w = fc->weight(), b = fc->bias();
    nn::init::normal_(w, 0.0, 1.0 / static_cast<double>(w.shape()[1]), gen);
    if (b.defined()) nn::init::zeros_(b);
  } else if (auto* bn = dynamic_cast<nn::BatchNorm2d*>(&m)) {
    Tensor w = bn->weight(), b = bn->bias();
    if (w.defined()) nn::init::ones_(w);
    if (b.defined()) nn::init::zeros_(b);
  }
  for (const auto& [name, child] : m.named_children()) init_module(*child, gen);
  if (auto* gc = dynamic_cast<GcBlock*>(&m)) gc->zero_output();
}

void collect_groups(nn::Module& m, ParamGroups& groups) {
  std::vector<const TensorImpl*> decayed;
  if (auto* conv = dynamic_cast<nn::Conv2d*>(&m)) decayed.push_back(&conv->weight().impl());
  if (auto* fc = dynamic_cast<nn::Linear*>(&m)) decayed.push_back(&fc->weight().impl());
  for (const auto& [name, child] : m.named_children()) collect_groups(*child, groups);
  // Own parameters: every parameter minus the children's.
  std::vector<const TensorImpl*> from_children;
  for (const auto& [name, child] : m.named_children())
    for (const Tensor& p : child->parameters()) from_children.push_back(&p.impl());
  for (const Tensor& p : m.parameters()) {
    const TensorImpl* id = &p.impl();
    if (std::find(from_children.begin(), from_children.end(), id) != from_children.end()) continue;
    const bool decay = std::find(decayed.begin(), decayed.end(), id) != decayed.end();
    (decay ? groups.decay : groups.no_decay).push_back(p);
  }
}

}  // namespace

void init_lineage(nn::Module& model, Generator& gen) {
  init_module(model, gen);
}

ParamGroups weight_decay_groups(nn::Module& model) {
  ParamGroups groups;
  collect_groups(model, groups);
  return groups;
}

Tensor mean_over_time_loss(const Tensor& steps, const Tensor& targets) {
  STAA_CHECK(steps.ndim() == 3, "mean_over_time_loss: expected logits [T, B, K], got ",
             steps.shape());
  return cross_entropy(mean(steps, {0}), targets);
}

Tensor tet_loss(const Tensor& steps, const Tensor& targets, double lambda) {
  STAA_CHECK(steps.ndim() == 3, "tet_loss: expected logits [T, B, K], got ", steps.shape());
  STAA_CHECK(targets.ndim() == 1 && targets.shape()[0] == steps.shape()[1],
             "tet_loss: expected targets [", steps.shape()[1], "], got ", targets.shape());
  const int64_t T = steps.shape()[0], B = steps.shape()[1], K = steps.shape()[2];
  (void)B;
  // Every step has B rows, so the CE over the merged [T*B] rows is mean_t CE(out[t], y).
  const Tensor repeated = concat(std::vector<Tensor>(T, targets), 0);
  const Tensor ce = cross_entropy(reshape(steps, {T * B, K}), repeated);
  const Tensor ones_like = full(steps.shape(), 1.0, {steps.dtype(), steps.device()});
  return (1.0 - lambda) * ce + lambda * mse_loss(steps, ones_like);
}

}  // namespace staa::snn
