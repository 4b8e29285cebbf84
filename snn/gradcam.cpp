// Grad-CAM and spike recording for one spiking layer (see gradcam.h for the formulas). Layer: snn.
// The layer's output y is replaced through nn::ForwardHook by y + delta, delta a zero leaf that
// requires grad, so backward leaves d(score)/dA in delta.grad (the tape keeps leaf gradients only).
#include "snn/gradcam.h"

#include <sstream>

#include "autograd/ops.h"

namespace staa::snn {

namespace {

// For the duration of a probe: eval mode, fresh neuron state, parameters not requiring grad (the
// tape then records only what depends on delta, and backward writes no parameter gradient). The
// destructor restores all three and clears the tape (a probe that threw may have left nodes).
class ProbeScope {
 public:
  explicit ProbeScope(nn::Module& model) : model_(model), training_(model.is_training()) {
    STAA_CHECK(Tape::current().size() == 0, "gradcam / record_spikes: the tape holds ",
               Tape::current().size(),
               " nodes of an unfinished backward; probe the model outside a training step");
    for (Tensor p : model.parameters()) {
      if (!p.requires_grad()) continue;
      p.set_requires_grad(false);
      frozen_.push_back(p);
    }
    model.eval();
    model.reset_state();
  }
  ~ProbeScope() {
    Tape::current().clear();
    for (Tensor& p : frozen_) p.set_requires_grad(true);
    model_.train(training_);
    model_.reset_state();
  }
  ProbeScope(const ProbeScope&) = delete;
  ProbeScope& operator=(const ProbeScope&) = delete;

 private:
  nn::Module& model_;
  bool training_;
  std::vector<Tensor> frozen_;
};

const nn::Module* find_module(nn::Module& model, const std::string& name) {
  for (const auto& [n, m] : model.named_modules())
    if (n == name) return m;
  STAA_FAIL("gradcam: no module '", name, "'");
}

// y: [T*B, C, h, w] -> [T, B, C, h, w].
Tensor split_time(const Tensor& y, int64_t T, const std::string& layer) {
  STAA_CHECK(y.ndim() == 4 && y.shape()[0] % T == 0, "gradcam: layer '", layer,
             "' should emit spatial maps [T*B, C, h, w] with T = ", T, ", got ", y.shape());
  return reshape(y, {T, y.shape()[0] / T, y.shape()[1], y.shape()[2], y.shape()[3]});
}

// The arg max of each row of logits [B, K] (first on ties), or `targets` after checking them.
std::vector<int64_t> choose_targets(const Tensor& logits, const std::vector<int64_t>& targets) {
  const int64_t B = logits.shape()[0], K = logits.shape()[1];
  if (!targets.empty()) {
    STAA_CHECK(static_cast<int64_t>(targets.size()) == B, "gradcam: ", targets.size(),
               " target classes for a batch of ", B, " samples");
    for (int64_t c : targets)
      STAA_CHECK(c >= 0 && c < K, "gradcam: target class ", c, " is outside [0, ", K, ")");
    return targets;
  }
  const std::vector<double> v = logits.to_vector();
  std::vector<int64_t> out(static_cast<size_t>(B), 0);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t k = 1; k < K; ++k)
      if (v[b * K + k] > v[b * K + out[b]]) out[b] = k;
  return out;
}

}  // namespace

std::string resolve_spiking_layer(nn::Module& model, const std::string& layer) {
  const auto layers = spiking_layers(model);
  STAA_CHECK(!layers.empty(), "gradcam: ", model.type_name(), " has no spiking layer");
  if (layer == "last") return layers.back().first;
  std::ostringstream names;
  for (const auto& [name, neuron] : layers) {
    if (name == layer) return name;
    names << " " << name;
  }
  STAA_FAIL("gradcam: '", layer, "' is not a spiking layer of ", model.type_name(),
            "; its spiking layers are:", names.str(), " (or 'last')");
}

CamParts cam_from_gradients(const Tensor& activations, const Tensor& gradients) {
  STAA_CHECK(activations.ndim() == 5 && gradients.shape() == activations.shape(),
             "gradcam: activations and gradients should both be [T, B, C, h, w], got ",
             activations.shape(), " and ", gradients.shape());
  NoGradGuard no_grad;
  const Tensor alpha = mean(gradients, {3, 4}, true);             // [T, B, C, 1, 1]
  const Tensor raw = relu(sum(mul(activations, alpha), {0, 2}));  // [B, h, w]
  const Shape& s = activations.shape();
  return {reshape(alpha, {s[0], s[1], s[2]}), raw};
}

Tensor normalize_maps(const Tensor& raw) {
  STAA_CHECK(raw.ndim() == 3, "gradcam: maps should be [B, h, w], got ", raw.shape());
  NoGradGuard no_grad;
  // A zero map has max 0; dividing it by a tiny positive number keeps it zero.
  return div(raw, maximum(max(raw, {1, 2}, true).values, 1e-30));
}

GradCam gradcam(SpikingNetwork& model, const std::string& layer, const Tensor& input,
                const std::vector<int64_t>& targets) {
  GradCam out;
  out.layer = resolve_spiking_layer(model, layer);
  const nn::Module* target = find_module(model, out.layer);
  const int64_t T = model.time_steps();
  ProbeScope scope(model);

  Tensor spikes, delta;
  Tensor logits;
  {
    nn::ForwardHookGuard hook([&](const nn::Module& m, const Tensor&, const Tensor& y) {
      if (&m != target) return y;
      STAA_CHECK(!delta.defined(), "gradcam: layer '", out.layer,
                 "' ran twice in one forward; Grad-CAM needs exactly one output per forward");
      spikes = split_time(y, T, out.layer).detach();
      delta = zeros(y.shape(), {y.dtype(), y.device()}).set_requires_grad(true);
      return add(y, delta);
    });
    logits = model(input);  // [B, K]
  }
  STAA_CHECK(delta.defined(), "gradcam: layer '", out.layer, "' did not run in the forward");
  out.targets = choose_targets(logits, targets);
  const int64_t B = logits.shape()[0];
  const Tensor index = from_vector(out.targets, Shape{B, 1}).to(logits.device());
  backward(sum(gather(logits, 1, index)));

  // An undefined grad means the score does not depend on the layer at all: G = 0.
  const Tensor grad =
      delta.grad().defined() ? delta.grad() : zeros(delta.shape(), {delta.dtype(), delta.device()});
  out.activations = spikes;
  out.gradients = reshape(grad, spikes.shape().vec());
  out.logits = logits.detach();
  CamParts parts = cam_from_gradients(out.activations, out.gradients);
  out.weights = parts.weights;
  out.raw = parts.raw;
  out.maps = normalize_maps(out.raw);
  return out;
}

Tensor record_spikes(SpikingNetwork& model, const std::string& layer, const Tensor& input) {
  const std::string name = resolve_spiking_layer(model, layer);
  const nn::Module* target = find_module(model, name);
  ProbeScope scope(model);
  NoGradGuard no_grad;
  Tensor spikes;
  {
    nn::ForwardObserverGuard observer([&](const nn::Module& m, const Tensor&, const Tensor& y) {
      if (&m != target) return;
      STAA_CHECK(!spikes.defined(), "record_spikes: layer '", name, "' ran twice in one forward");
      std::vector<int64_t> split = y.shape().vec();
      split[0] /= model.time_steps();
      split.insert(split.begin(), model.time_steps());
      spikes = reshape(y, split);
    });
    model(input);
  }
  STAA_CHECK(spikes.defined(), "record_spikes: layer '", name, "' did not run in the forward");
  return spikes;
}

}  // namespace staa::snn
