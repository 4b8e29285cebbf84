// STAA-LIF: GC block, SA block, TSRD sampler and the STAA-LIF step loop (spec §2). Layer: snn.
// Everything is composed from recorded ops, so autograd gives BPTT through GC, SA and PE; the
// gradient tests compare it with finite differences and with an unrolled reference.
#include "snn/staa_lif.h"

#include <algorithm>
#include <sstream>

#include "nn/init.h"

namespace staa::snn {

namespace {

int64_t bottleneck(int64_t channels, int64_t ratio, const char* what) {
  STAA_CHECK(ratio >= 1, what, ": ratio must be >= 1, got ", ratio);
  return std::max<int64_t>(1, channels / ratio);
}

// A 1x1 conv's weight [out, in, 1, 1] as a matrix [out, in].
Tensor as_matrix(const nn::Conv2d& conv) {
  const Shape& w = conv.weight().shape();
  return reshape(conv.weight(), {w[0], w[1]});
}

}  // namespace

// ---- GC ---------------------------------------------------------------------------------------

GcBlock::GcBlock(int64_t channels, int64_t ratio, GcPool pool, Generator& gen)
    : channels_(channels), hidden_(bottleneck(channels, ratio, "GCBlock")), pool_(pool) {
  conv_k_ = register_module("conv_k", std::make_shared<nn::Conv2d>(channels, 1, 1, gen));
  conv_q_ = register_module("conv_q", std::make_shared<nn::Conv2d>(channels, hidden_, 1, gen));
  ln_ = register_module("ln", std::make_shared<nn::LayerNorm>(std::vector<int64_t>{hidden_}));
  conv_v_ = register_module("conv_v", std::make_shared<nn::Conv2d>(hidden_, channels, 1, gen));
  zero_output();
}

void GcBlock::zero_output() {
  Tensor w = conv_v_->weight(), b = conv_v_->bias();
  nn::init::zeros_(w);
  nn::init::zeros_(b);
}

// y: [B, C, H, W]
Tensor GcBlock::forward(const Tensor& y) {
  STAA_CHECK(y.ndim() == 4 && y.shape()[1] == channels_, "GCBlock: expected [B, ", channels_,
             ", H, W], got ", y.shape());
  const int64_t B = y.shape()[0], C = channels_, HW = y.shape()[2] * y.shape()[3];
  const Tensor y3 = reshape(y, {B, C, HW});
  // Context weights over the positions: [B, 1, HW].
  const Tensor logits = matmul(as_matrix(*conv_k_), y3) + conv_k_->bias();
  const Tensor weights = pool_ == GcPool::kSigmoid ? sigmoid(logits) : softmax(logits, 2);
  // W_k[b, c] = sum_hw Y[b, c, hw] weights[b, hw]: [B, C].
  const Tensor w_k = reshape(matmul(y3, weights, false, true), {B, C});
  const Tensor w_q = linear(w_k, as_matrix(*conv_q_), conv_q_->bias());
  const Tensor w_v = linear(relu((*ln_)(w_q)), as_matrix(*conv_v_), conv_v_->bias());
  return y + reshape(w_v, {B, C, 1, 1});
}

std::string GcBlock::extra_repr() const {
  std::ostringstream s;
  s << channels_ << ", hidden=" << hidden_
    << ", pool=" << (pool_ == GcPool::kSigmoid ? "sigmoid" : "softmax");
  return s.str();
}

// ---- SA ---------------------------------------------------------------------------------------

SaBlock::SaBlock(int64_t channels, int64_t ratio, double alpha, Generator& gen)
    : channels_(channels), hidden_(bottleneck(channels, ratio, "SABlock")), alpha_(alpha) {
  conv1_ = register_module("conv1", std::make_shared<nn::Conv2d>(channels, hidden_, 1, gen));
  conv2_ = register_module("conv2", std::make_shared<nn::Conv2d>(hidden_, channels, 1, gen));
}

// u: [B, C, H, W]
Tensor SaBlock::forward(const Tensor& u) {
  STAA_CHECK(u.ndim() == 4 && u.shape()[1] == channels_, "SABlock: expected [B, ", channels_,
             ", H, W], got ", u.shape());
  const Tensor pooled = mean(u, {2, 3}) * alpha_;  // [B, C]
  const Tensor hidden = relu(linear(pooled, as_matrix(*conv1_), conv1_->bias()));
  const Tensor gate = sigmoid(linear(hidden, as_matrix(*conv2_), conv2_->bias()));
  return u * reshape(gate, {u.shape()[0], channels_, 1, 1});
}

std::string SaBlock::extra_repr() const {
  std::ostringstream s;
  s << channels_ << ", hidden=" << hidden_ << ", alpha=" << alpha_;
  return s.str();
}

// ---- TSRD -------------------------------------------------------------------------------------

bool TsrdSampler::drop() {
  ++draws_;
  const bool d = gen_.next_double() < beta_;
  drops_ += d;
  return d;
}

Tensor TsrdSampler::drop_mask(int64_t batch, int ndim, TensorOptions options) {
  std::vector<double> mask(batch);
  for (double& m : mask) m = drop() ? 1.0 : 0.0;
  std::vector<int64_t> shape(ndim, 1);
  shape[0] = batch;
  return from_vector(mask, Shape(shape), options);
}

// ---- STAA-LIF ---------------------------------------------------------------------------------

StaaLif::StaaLif(int64_t channels, const NeuronOptions& options)
    : SpikingNeuron(channels, options),
      tsrd_(options.staa.beta, options.seed * 0x9E3779B97F4A7C15ull + 0x75a1) {
  const StaaOptions& o = options.staa;
  STAA_CHECK(o.beta >= 0 && o.beta <= 1, "STAA-LIF: beta must be in [0, 1], got ", o.beta);
  Generator gen(options.seed);
  if (o.pe) pos_ = register_parameter("pos", zeros(Shape{options.time_steps, channels}));
  if (o.tsrd) {
    tsrd_offset_ = register_buffer("tsrd_offset", zeros(Shape{1}, {kI64}));
    tsrd_written_storage_ = tsrd_offset_.impl().storage;  // 0: the sampler's start
    tsrd_written_version_ = tsrd_offset_.version();
  }
  const Shape mn{options.per_channel ? channels : 1};
  leak_ = register_parameter("M", full(mn, 1.0 - 1.0 / options.tau));
  gain_ = register_parameter("N", full(mn, 1.0 / options.tau));
  if (o.gc) {
    gc1_ = register_module("gc1", std::make_shared<GcBlock>(channels, o.gc_ratio, o.gc_pool, gen));
    gc2_ = register_module("gc2", std::make_shared<GcBlock>(channels, o.gc_ratio, o.gc_pool, gen));
  }
  if (o.sa)
    sa_ = register_module("sa", std::make_shared<SaBlock>(channels, o.sa_ratio, o.alpha, gen));
}

void StaaLif::zero_gc_outputs() {
  if (gc1_) gc1_->zero_output();
  if (gc2_) gc2_->zero_output();
}

Tensor StaaLif::channel_view(const Tensor& c, int ndim) const {
  std::vector<int64_t> shape(ndim, 1);
  shape[1] = c.numel();
  return reshape(c, shape);
}

Tensor StaaLif::plain(const Tensor& x, const Tensor& h) const {
  return channel_view(leak_, 4) * h + channel_view(gain_, 4) * x;
}

Tensor StaaLif::aggregate(const Tensor& x, const Tensor& h) {
  Tensor u;
  if (gc1_) {
    const Tensor from_input = (*gc1_)(x);  // GC1 first: its row comes first in tools/summary
    const Tensor from_state = (*gc2_)(h);
    u = options_.staa.mn_in_gc
            ? channel_view(gain_, 4) * from_input + channel_view(leak_, 4) * from_state
            : from_input + from_state;
  } else {
    u = plain(x, h);  // GC off: the LIF aggregation
  }
  return sa_ ? (*sa_)(u) : u;
}

// x: [T, B, C, H, W] -> spikes [T, B, C, H, W]
Tensor StaaLif::forward_time(const Tensor& x) {
  STAA_CHECK(x.ndim() == 5, "STAA-LIF: expected [T, B, C, H, W], got ", x.shape());
  const StaaOptions& o = options_.staa;
  const int64_t T = x.shape()[0], B = x.shape()[1];
  STAA_CHECK(!pos_.defined() || T == pos_.shape()[0], "STAA-LIF: the position encoding has ",
             pos_.shape()[0], " steps, the input ", T);
  const std::vector<int64_t> step_shape(x.shape().begin() + 1, x.shape().end());
  const bool tsrd_on = o.tsrd && is_training() && o.beta > 0;
  if (tsrd_on) sync_tsrd_offset();
  Tensor h = zeros(Shape(step_shape), {x.dtype(), x.device()});
  const LifParams reset = lif_params();
  std::vector<Tensor> spikes;
  for (int64_t t = 0; t < T; ++t) {
    const Tensor input = reshape(slice(x, t, t + 1), step_shape);
    const Tensor with_pe =
        pos_.defined() ? input + channel_view(reshape(slice(pos_, t, t + 1), {channels_}), 4)
                       : input;
    const bool batch_drop =
        tsrd_on && t > 0 && o.tsrd_granularity == TsrdGranularity::kBatch && tsrd_.drop();
    const Tensor& dropped_x = o.tsrd_skips_pe ? input : with_pe;
    Tensor v;
    if (batch_drop) {
      v = plain(dropped_x, h);
    } else {
      v = aggregate(with_pe, h);
      if (tsrd_on && t > 0 && o.tsrd_granularity == TsrdGranularity::kSample) {
        const Tensor mask = tsrd_.drop_mask(B, 4, {x.dtype(), x.device()});
        v = mask * plain(dropped_x, h) + (1.0 - mask) * v;
      }
    }
    // S and the reset from d = V - v_th: both nodes save d alone (the composite V (1 - S) would
    // keep V, 1 - S and d per step).
    const Tensor d = v - options_.threshold;
    spikes.push_back(spike(d, options_.surrogate));
    h = spike_reset(d, reset);
  }
  if (tsrd_on) write_tsrd_offset(x.device());
  return stack(spikes, 0);
}

void StaaLif::sync_tsrd_offset() {
  if (tsrd_offset_.impl().storage == tsrd_written_storage_ &&
      tsrd_offset_.version() == tsrd_written_version_) {
    return;  // the host position is current: no read
  }
  tsrd_.set_offset(static_cast<uint64_t>(tsrd_offset_.item()));  // loaded or moved: read once
  tsrd_written_storage_ = tsrd_offset_.impl().storage;
  tsrd_written_version_ = tsrd_offset_.version();
}

void StaaLif::write_tsrd_offset(Device device) {
  const int64_t offset = static_cast<int64_t>(tsrd_.offset());
  tsrd_offset_.set_data(from_vector(std::vector<int64_t>{offset}, Shape{1}).to(device));
  tsrd_written_storage_ = tsrd_offset_.impl().storage;
  tsrd_written_version_ = tsrd_offset_.version();
}

std::string StaaLif::extra_repr() const {
  const StaaOptions& o = options_.staa;
  std::ostringstream s;
  s << neuron_repr() << ", gc=" << o.gc << ", pe=" << o.pe << ", sa=" << o.sa << ", tsrd=" << o.tsrd
    << ", beta=" << o.beta;
  return s.str();
}

}  // namespace staa::snn
