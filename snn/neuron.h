// Spiking neurons as modules: the options of every neuron kind (spec §1-§2), the SpikingNeuron
// base (time-major reshaping, firing-rate recording) and the LIF / adaptive LIF on the fused op.
// Layer: snn. Invariant: a neuron sees the merged [T*B, C, ...] activations of the conv/BN stack,
// splits them into [T, B, C, ...] with its own time_steps, and returns spikes in the merged shape.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "autograd/ops.h"
#include "nn/module.h"

namespace staa::snn {

enum class NeuronKind { kLif, kAdaptive, kStaa };
enum class GcPool { kSigmoid, kSoftmax };        // GC context weights: paper or GCNet
enum class TsrdGranularity { kBatch, kSample };  // one TSRD draw per step, or per sample

const char* neuron_kind_name(NeuronKind kind);

// STAA-LIF's switches (spec §2); every module can be turned off for the paper's ablation.
struct StaaOptions {
  bool gc = true;         // GC1 on the input, GC2 on the previous state
  bool pe = true;         // learnable position encoding [T, C]
  bool sa = true;         // step attention on the aggregate
  bool tsrd = true;       // time-step random dropout (training only, never at t = 0)
  double alpha = 2.0;     // SA's scale of the pooled aggregate
  double beta = 0.1;      // TSRD probability
  int64_t gc_ratio = 4;   // GC bottleneck C / r
  int64_t sa_ratio = 16;  // SA bottleneck C / r
  GcPool gc_pool = GcPool::kSigmoid;
  TsrdGranularity tsrd_granularity = TsrdGranularity::kBatch;
  bool tsrd_skips_pe = false;  // a dropped step also skips the position encoding
  bool mn_in_gc = false;       // U = N GC1(X) + M GC2(H) instead of GC1(X) + GC2(H)
};

struct NeuronOptions {
  NeuronKind kind = NeuronKind::kLif;
  int64_t time_steps = 4;     // T of the merged [T*B, ...] input
  double tau = 2.0;           // LIF: leak m = 1 - 1/tau, gain n = 1/tau; adaptive: their init
  double threshold = 1.0;     // v_th
  double v_reset = 0.0;       // hard reset value
  bool soft_reset = false;    // subtract v_th instead
  bool detach_reset = false;  // no gradient through the reset (off, as the paper)
  Surrogate surrogate;        // rectangular, a = 1 (paper Eq. 5)
  bool per_channel = false;   // adaptive / STAA: M, N per channel instead of scalars
  StaaOptions staa;
  uint64_t seed = 0;  // TSRD draws (each layer gets its own seed from the model)
};

// The base of every spiking activation.
class SpikingNeuron : public nn::Module {
 public:
  SpikingNeuron(int64_t channels, const NeuronOptions& options);

  // x: [T*B, C, ...] -> spikes, same shape. Records the firing rate when recording is on.
  Tensor forward(const Tensor& x) override;
  // x: [T, B, C, ...] -> spikes [T, B, C, ...]; what each neuron kind implements.
  virtual Tensor forward_time(const Tensor& x) = 0;

  int64_t channels() const { return channels_; }
  const NeuronOptions& options() const { return options_; }

  // Firing rate = spikes / (neurons * steps) over the forwards since the last reset. Recording
  // costs one sum per forward while on, nothing while off.
  void set_record_firing(bool on) { record_firing_ = on; }
  bool record_firing() const { return record_firing_; }
  // Reads the spike count from the device (the recording itself never waits for the GPU).
  double firing_rate() const;
  void reset_firing() {
    spike_count_ = Tensor();
    count_ = 0;
  }

 protected:
  std::string neuron_repr() const;
  // Threshold, reset and surrogate of the options, as the neuron ops take them.
  LifParams lif_params() const;
  int64_t channels_;
  NeuronOptions options_;

 private:
  bool record_firing_ = false;
  Tensor spike_count_;  // f64 scalar on the input's device, summed while recording
  double count_ = 0;
};

// LIF (fixed tau) and adaptive LIF (Eq. 6: V = M H + N I, M and N learnable) on the fused
// multi-step op. Parameters of the adaptive kind: "M", "N" ([1] or [C]).
class Lif : public SpikingNeuron {
 public:
  Lif(int64_t channels, const NeuronOptions& options);
  Tensor forward_time(const Tensor& x) override;
  std::string type_name() const override {
    return options_.kind == NeuronKind::kAdaptive ? "AdaptiveLIF" : "LIF";
  }
  std::string extra_repr() const override { return neuron_repr(); }

 private:
  Tensor leak_, gain_;  // parameters (adaptive) or undefined (fixed tau)
};

// The neuron of `options.kind` for a layer of `channels` channels.
std::shared_ptr<SpikingNeuron> make_neuron(int64_t channels, const NeuronOptions& options);

// Every spiking layer of a model with its dotted name, in forward-registration order.
std::vector<std::pair<std::string, SpikingNeuron*>> spiking_layers(nn::Module& model);
// Turns firing-rate recording on or off (and resets the counts) in every spiking layer.
void set_record_firing(nn::Module& model, bool on);

}  // namespace staa::snn
