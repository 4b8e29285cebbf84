// STAA-LIF: GC block, SA block, TSRD sampler and the STAA-LIF step loop (spec §2). Layer: snn.
// Everything is composed from recorded ops, so autograd gives BPTT through GC, SA and PE; the
// gradient tests compare it with finite differences and with an unrolled reference that builds
// every map. The step loop never builds the GC and SA output maps: their terms are per (sample,
// channel), so each step is one membrane_update from the input and the state.
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
  const Tensor w_k = reshape(slice(context(y), 0, 1), {y.shape()[0], channels_});
  return y + reshape(offset_from_context(w_k), {y.shape()[0], channels_, 1, 1});
}

// Y = y + shift: [B, C, H, W] -> [2, B, C]: W_k[b, c] = sum_hw Y[b, c, hw] weights[b, hw] with the
// context weights pool(conv_k(Y)) over the positions, and the channel means.
Tensor GcBlock::context(const Tensor& y, const Tensor& shift) {
  STAA_CHECK(y.ndim() == 4 && y.shape()[1] == channels_, "GCBlock: expected [B, ", channels_,
             ", H, W], got ", y.shape());
  return gc_context(y, shift, reshape(conv_k_->weight(), {channels_}), conv_k_->bias(),
                    pool_ == GcPool::kSoftmax);
}

Tensor GcBlock::offset_of_zeros(int64_t batch, TensorOptions options) {
  return offset_from_context(zeros(Shape{batch, channels_}, options));
}

Tensor GcBlock::offset_from_context(const Tensor& w_k) {
  const Tensor w_q = linear(w_k, as_matrix(*conv_q_), conv_q_->bias());
  return linear(relu((*ln_)(w_q)), as_matrix(*conv_v_), conv_v_->bias());
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
  return u * reshape(gate(mean(u, {2, 3})), {u.shape()[0], channels_, 1, 1});
}

// pooled: [B, C] -> [B, C]
Tensor SaBlock::gate(const Tensor& pooled) {
  const Tensor hidden = relu(linear(pooled * alpha_, as_matrix(*conv1_), conv1_->bias()));
  return sigmoid(linear(hidden, as_matrix(*conv2_), conv2_->bias()));
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

Tensor StaaLif::rows(const Tensor& c, int64_t batch) const {
  return expand(reshape(c, {1, c.numel()}), Shape{batch, channels_});
}

// All coefficients act on the step's input I (membrane_update's x); X = I + PE is never built,
// so a term gain X becomes gain I + gain PE.
StaaLif::Coefficients StaaLif::plain(int64_t batch, const Tensor& pe_t) const {
  const Tensor gain = rows(gain_, batch);
  const TensorOptions options{gain.dtype(), gain.device()};
  return {gain, rows(leak_, batch),
          pe_t.defined() ? gain * rows(pe_t, batch) : zeros(Shape{batch, channels_}, options)};
}

// With GC: U = X + W_v1 + H + W_v2 (mn_in_gc: N (X + W_v1) + M (H + W_v2)); without: M H + N X.
// SA scales all three coefficients by its gate, which it computes from
// avgpool(U) = gain avgpool(X) + leak avgpool(H) + bias.
StaaLif::Coefficients StaaLif::aggregate(const Tensor& input, const Tensor& pe_t, const Tensor& h) {
  const int64_t B = input.shape()[0];
  Means means;
  Coefficients c = gc1_ ? gc_terms(input, pe_t, h, means) : plain(B, Tensor());
  if (sa_) {
    if (!means.x.defined()) {
      means.x = mean(input, {2, 3});
      if (pe_t.defined()) means.x = means.x + reshape(pe_t, {1, channels_});
    }
    if (h.defined() && !means.h.defined()) means.h = mean(h, {2, 3});
    Tensor pooled = c.gain * means.x + c.bias;
    if (h.defined()) pooled = pooled + c.leak * means.h;
    const Tensor gate = sa_->gate(pooled);
    if (nn::forward_observed()) {
      const Tensor u = membrane_update(with_pe(input, pe_t), h, c.gain, c.leak, c.bias);
      sa_->report_call(u, u * reshape(gate, {B, channels_, 1, 1}));
    }
    c = {gate * c.gain, gate * c.leak, gate * c.bias};
  }
  if (pe_t.defined()) c.bias = c.bias + c.gain * rows(pe_t, B);
  return c;
}

// GC1(X) + GC2(H) (times N, M with mn_in_gc) as coefficients on X; `means` receives the channel
// means of X and H from the GC contexts (SA's pooling).
StaaLif::Coefficients StaaLif::gc_terms(const Tensor& input, const Tensor& pe_t, const Tensor& h,
                                        Means& means) {
  const int64_t B = input.shape()[0];
  const TensorOptions options{input.dtype(), input.device()};
  auto row = [&](const Tensor& context, int64_t i) {  // [2, B, C] -> W_k or the means
    return reshape(slice(context, i, i + 1), {B, channels_});
  };
  // GC1 first: its row comes first in tools/summary.
  const Tensor context_x = gc1_->context(input, pe_t);
  const Tensor context_h = h.defined() ? gc2_->context(h) : Tensor();
  means.x = row(context_x, 1);
  if (h.defined()) means.h = row(context_h, 1);
  const Tensor from_input = gc1_->offset_from_context(row(context_x, 0));
  const Tensor from_state = h.defined() ? gc2_->offset_from_context(row(context_h, 0))
                                        : gc2_->offset_of_zeros(B, options);
  if (nn::forward_observed()) {
    const Tensor x = with_pe(input, pe_t);
    gc1_->report_call(x, x + reshape(from_input, {B, channels_, 1, 1}));
    const Tensor state = h.defined() ? h : zeros(input.shape(), options);
    gc2_->report_call(state, state + reshape(from_state, {B, channels_, 1, 1}));
  }
  if (options_.staa.mn_in_gc) {
    const Tensor gain = rows(gain_, B), leak = rows(leak_, B);
    return {gain, leak, gain * from_input + leak * from_state};
  }
  return {ones(Shape{B, channels_}, options), ones(Shape{B, channels_}, options),
          from_input + from_state};
}

Tensor StaaLif::with_pe(const Tensor& input, const Tensor& pe_t) const {
  return pe_t.defined() ? input + channel_view(pe_t, 4) : input;
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
  const LifParams reset = lif_params();
  if (!gc1_ && !sa_ && !tsrd_on && options_.v_reset == 0) {
    // M H + N X at every step: the fused multi-step LIF on X (its rest potential term is 0).
    const Tensor with_pe = pos_.defined() ? x + reshape(pos_, {T, 1, channels_, 1, 1}) : x;
    return lif(with_pe, leak_, gain_, reset);
  }
  if (tsrd_on) sync_tsrd_offset();
  Tensor h;  // the state H[t - 1]; undefined (0) before the first step
  std::vector<Tensor> spikes;
  for (int64_t t = 0; t < T; ++t) {
    const Tensor input = reshape(slice(x, t, t + 1), step_shape);
    const Tensor pe_t = pos_.defined() ? reshape(slice(pos_, t, t + 1), {channels_}) : Tensor();
    const Tensor dropped_pe = o.tsrd_skips_pe ? Tensor() : pe_t;  // PE of a dropped step
    const bool batch_drop =
        tsrd_on && t > 0 && o.tsrd_granularity == TsrdGranularity::kBatch && tsrd_.drop();
    Coefficients c = batch_drop ? plain(B, dropped_pe) : aggregate(input, pe_t, h);
    if (!batch_drop && tsrd_on && t > 0 && o.tsrd_granularity == TsrdGranularity::kSample) {
      const Tensor mask = tsrd_.drop_mask(B, 2, {x.dtype(), x.device()});  // [B, 1]
      const Tensor keep = 1.0 - mask;
      const Coefficients p = plain(B, dropped_pe);
      const auto mix = [&](const Tensor& dropped, const Tensor& kept) {
        return mask * dropped + keep * kept;
      };
      c = {mix(p.gain, c.gain), mix(p.leak, c.leak), mix(p.bias, c.bias)};
    }
    // S and the reset from d = V - v_th: both nodes save d alone.
    const Tensor d = membrane_update(input, h, c.gain, c.leak, c.bias - options_.threshold);
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
