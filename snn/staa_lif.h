// STAA-LIF (paper §3.1, Eq. 7-14; spec §2): the GC block, the step attention (SA), the
// time-step random dropout sampler (TSRD) and the neuron that composes them with the learnable
// position encoding (PE) from differentiable ops. Layer: snn. Invariant: with every module off
// it computes V = M H + N X, the LIF of tau = 1/N (plain LIF at the initial M, N).
#pragma once

#include <cstdint>
#include <memory>

#include "nn/conv.h"
#include "nn/norm.h"
#include "snn/neuron.h"

namespace staa::snn {

// Global context block on a map Y: [B, C, H, W] -> Y + W_v, W_v: [B, C, 1, 1] broadcast over H, W.
// Weights (1x1 convs, applied as matrix products): conv_k C->1, conv_q C->C/r, LayerNorm(C/r),
// conv_v C/r->C, all with biases; conv_v starts at zero so the block starts as the identity.
class GcBlock : public nn::Module {
 public:
  GcBlock(int64_t channels, int64_t ratio, GcPool pool, Generator& gen);
  Tensor forward(const Tensor& y) override;
  // The pooled context W_k and the channel means of the map Y = y + shift (gc_context; shift:
  // [C] or undefined): y: [B, C, H, W] -> [2, B, C]. STAA-LIF uses both: W_k for W_v, the means
  // for SA's pooling; its shift is the position encoding.
  Tensor context(const Tensor& y, const Tensor& shift = Tensor());
  // W_v from the context W_k: [B, C] -> [B, C] (STAA-LIF adds it inside its membrane update).
  Tensor offset_from_context(const Tensor& w_k);
  // W_v of an all-zero map (the state before the first step): its context W_k is 0.
  Tensor offset_of_zeros(int64_t batch, TensorOptions options);
  std::string type_name() const override { return "GCBlock"; }
  std::string extra_repr() const override;
  int64_t hidden() const { return hidden_; }  // C / r
  // Zeroes conv_v (the identity start); model initialisers call it after re-initialising convs.
  void zero_output();

 private:
  int64_t channels_, hidden_;
  GcPool pool_;
  std::shared_ptr<nn::Conv2d> conv_k_, conv_q_, conv_v_;
  std::shared_ptr<nn::LayerNorm> ln_;
};

// Step attention on the aggregate U: [B, C, H, W] -> U * sigmoid(conv2(relu(conv1(alpha *
// avgpool(U))))), the convs 1x1 C->C/r->C with biases (Eq. 12).
class SaBlock : public nn::Module {
 public:
  SaBlock(int64_t channels, int64_t ratio, double alpha, Generator& gen);
  Tensor forward(const Tensor& u) override;
  // The gate sigmoid(conv2(relu(conv1(alpha * pooled)))) from pooled = avgpool(U): [B, C] -> [B,
  // C].
  Tensor gate(const Tensor& pooled);
  std::string type_name() const override { return "SABlock"; }
  std::string extra_repr() const override;
  int64_t hidden() const { return hidden_; }  // C / r

 private:
  int64_t channels_, hidden_;
  double alpha_;
  std::shared_ptr<nn::Conv2d> conv1_, conv2_;
};

// The TSRD draws of one layer: u ~ U(0, 1) from its own seeded Philox stream; a step is dropped
// when u < beta. Counts draws and drops (tests check the fraction against beta).
class TsrdSampler {
 public:
  TsrdSampler(double beta, uint64_t seed) : beta_(beta), gen_(seed) {}
  // One draw for the whole batch.
  bool drop();
  // One draw per sample: mask [B, 1, ..., 1] (ndim dims) of 1 (dropped) and 0.
  Tensor drop_mask(int64_t batch, int ndim, TensorOptions options);
  int64_t draws() const { return draws_; }
  int64_t drops() const { return drops_; }
  // The position in the Philox stream (checkpoints store it: a resumed run draws the same).
  uint64_t offset() const { return gen_.offset(); }
  void set_offset(uint64_t offset) { gen_.set_state(gen_.seed(), offset); }

 private:
  double beta_;
  Generator gen_;
  int64_t draws_ = 0, drops_ = 0;
};

// Parameters: "pos" [T, C] (PE, zero-init), "M", "N" ([1] or [C]), children "gc1", "gc2", "sa"
// when on; buffer "tsrd_offset" (i64 [1], with TSRD: the sampler's stream position, so that
// state_dict() carries it into checkpoints). Input [T, B, C, H, W].
// Each step reduces GC and SA to per-(sample, channel) coefficients of V = gain X + leak H + bias
// (the GC offsets and the SA gate are constant over H, W) and builds V in one pass
// (membrane_update); with GC and SA off (and no TSRD, v_reset = 0) it is the fused LIF on X.
// The sampler's position lives on the host; the buffer mirrors it, written after each training
// forward (a queued copy, no wait). The buffer is read back only when something else changed it
// (load_state_dict, Module::to): then its storage or version differs from the last write.
class StaaLif : public SpikingNeuron {
 public:
  StaaLif(int64_t channels, const NeuronOptions& options);
  Tensor forward_time(const Tensor& x) override;
  std::string type_name() const override { return "STAA-LIF"; }
  std::string extra_repr() const override;
  const TsrdSampler& tsrd() const { return tsrd_; }
  void zero_gc_outputs();

 private:
  // One step's V = gain X + leak H + bias as its coefficients, each [B, C] (membrane_update).
  struct Coefficients {
    Tensor gain, leak, bias;
  };
  // Coefficients act on the step's input I; X = I + PE (pe_t: [C] or undefined) is never built.
  // V of a step that is not dropped: SA(GC1(X) + GC2(H)) with the modules that are on. H: the
  // state (undefined before the first step).
  Coefficients aggregate(const Tensor& input, const Tensor& pe_t, const Tensor& h);
  struct Means {
    Tensor x, h;  // [B, C] channel means of X and H
  };
  // GC1(X) + GC2(H) as coefficients on X; the GC contexts also give the channel means.
  Coefficients gc_terms(const Tensor& input, const Tensor& pe_t, const Tensor& h, Means& means);
  // The plain (LIF) aggregation M H + N X of dropped steps (pe_t undefined: none, or skipped).
  Coefficients plain(int64_t batch, const Tensor& pe_t) const;
  // I + PE as a map (only for the layer-table observers).
  Tensor with_pe(const Tensor& input, const Tensor& pe_t) const;
  Tensor rows(const Tensor& c, int64_t batch) const;     // [C] or [1] -> [B, C]
  Tensor channel_view(const Tensor& c, int ndim) const;  // [C] or [1] -> [1, C, 1, ...]

  // Host position -> buffer, and buffer -> host position when the buffer was changed elsewhere.
  void write_tsrd_offset(Device device);
  void sync_tsrd_offset();

  Tensor pos_, leak_, gain_, tsrd_offset_;
  std::shared_ptr<Storage> tsrd_written_storage_;  // the buffer's storage and version as last
  uint64_t tsrd_written_version_ = 0;              // written (held: its address is not reused)
  std::shared_ptr<GcBlock> gc1_, gc2_;
  std::shared_ptr<SaBlock> sa_;
  TsrdSampler tsrd_;
};

}  // namespace staa::snn
