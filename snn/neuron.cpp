// SpikingNeuron (time-major reshaping, firing rates), the fused LIF / adaptive LIF module, the
// neuron factory and model-wide helpers. Layer: snn.
#include "snn/neuron.h"

#include <sstream>

#include "snn/staa_lif.h"

namespace staa::snn {

const char* neuron_kind_name(NeuronKind kind) {
  switch (kind) {
    case NeuronKind::kLif:
      return "lif";
    case NeuronKind::kAdaptive:
      return "adaptive";
    case NeuronKind::kStaa:
      return "staa";
  }
  return "?";
}

SpikingNeuron::SpikingNeuron(int64_t channels, const NeuronOptions& options)
    : channels_(channels), options_(options) {
  STAA_CHECK(channels > 0, "spiking neuron: channels must be > 0, got ", channels);
  STAA_CHECK(options.time_steps >= 1, "spiking neuron: time_steps must be >= 1, got ",
             options.time_steps);
  STAA_CHECK(options.tau > 1.0, "spiking neuron: tau must be > 1 (leak 1 - 1/tau in (0, 1)), got ",
             options.tau);
  STAA_CHECK(options.surrogate.alpha > 0, "spiking neuron: the surrogate's alpha must be > 0, got ",
             options.surrogate.alpha);
}

Tensor SpikingNeuron::forward(const Tensor& x) {
  const int64_t T = options_.time_steps;
  STAA_CHECK(x.ndim() >= 2 && x.shape()[1] == channels_, type_name(),
             ": expected the merged input [T*B, ", channels_, ", ...], got ", x.shape());
  STAA_CHECK(x.shape()[0] % T == 0, type_name(), ": the merged batch ", x.shape()[0],
             " is not a multiple of time_steps = ", T);
  std::vector<int64_t> split{T, x.shape()[0] / T};
  for (int i = 1; i < x.ndim(); ++i) split.push_back(x.shape()[i]);
  Tensor spikes = reshape(forward_time(reshape(x, split)), x.shape().vec());
  if (record_firing_) {
    NoGradGuard no_grad;
    const Tensor batch_count = sum(spikes).to(kF64);  // on the device: no wait here
    spike_count_ = spike_count_.defined() ? spike_count_ + batch_count : batch_count;
    count_ += static_cast<double>(spikes.numel());
  }
  return spikes;
}

double SpikingNeuron::firing_rate() const {
  return count_ > 0 ? spike_count_.item() / count_ : 0.0;
}

std::string SpikingNeuron::neuron_repr() const {
  std::ostringstream s;
  s << channels_ << ", T=" << options_.time_steps << ", v_th=" << options_.threshold
    << ", surrogate=" << surrogate_name(options_.surrogate.kind);
  if (options_.kind == NeuronKind::kLif) s << ", tau=" << options_.tau;
  if (options_.soft_reset) s << ", soft_reset";
  if (options_.detach_reset) s << ", detach_reset";
  if (options_.per_channel) s << ", per_channel";
  return s.str();
}

Lif::Lif(int64_t channels, const NeuronOptions& options) : SpikingNeuron(channels, options) {
  if (options.kind == NeuronKind::kAdaptive) {
    const Shape shape{options.per_channel ? channels : 1};
    leak_ = register_parameter("M", full(shape, 1.0 - 1.0 / options.tau));
    gain_ = register_parameter("N", full(shape, 1.0 / options.tau));
  }
}

LifParams SpikingNeuron::lif_params() const {
  LifParams p;
  p.threshold = options_.threshold;
  p.v_reset = options_.v_reset;
  p.soft_reset = options_.soft_reset;
  p.detach_reset = options_.detach_reset;
  p.surrogate = options_.surrogate;
  return p;
}

Tensor Lif::forward_time(const Tensor& x) {
  const LifParams p = lif_params();
  if (leak_.defined()) return lif(x, leak_, gain_, p);
  const TensorOptions to{x.dtype(), x.device()};
  return lif(x, full(Shape{1}, 1.0 - 1.0 / options_.tau, to),
             full(Shape{1}, 1.0 / options_.tau, to), p);
}

std::shared_ptr<SpikingNeuron> make_neuron(int64_t channels, const NeuronOptions& options) {
  if (options.kind == NeuronKind::kStaa) return std::make_shared<StaaLif>(channels, options);
  return std::make_shared<Lif>(channels, options);
}

std::vector<std::pair<std::string, SpikingNeuron*>> spiking_layers(nn::Module& model) {
  std::vector<std::pair<std::string, SpikingNeuron*>> out;
  for (const auto& [name, m] : model.named_modules())
    if (auto* neuron = dynamic_cast<SpikingNeuron*>(m)) out.emplace_back(name, neuron);
  return out;
}

void set_record_firing(nn::Module& model, bool on) {
  for (auto& [name, neuron] : spiking_layers(model)) {
    neuron->set_record_firing(on);
    neuron->reset_firing();
  }
}

}  // namespace staa::snn
