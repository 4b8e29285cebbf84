// Operation counts and energy (snn/energy.h). Layer: snn. Dense ops of one call, per layer kind:
//   Conv2d       out elements * (C_in / groups) * kh * kw        Linear   out elements * in
//   features BatchNorm2d  2 per element (scale, shift)                     pools    1 per input
//   element LIF          1 per element (the membrane update, spec §6); STAA-LIF + 1 for the PE add
//   GCBlock      conv_k C HW + sigmoid HW + weighted pool C HW + conv_q C h + LN 2h + ReLU h
//                + conv_v h C + broadcast add C HW   (h = C / r; on [C, H, W] per sample)
//   SABlock      mean C HW + alpha C + conv1 C h + ReLU h + conv2 h C + sigmoid C + gate C HW
// Neuron updates are ACs (unscaled); GC / SA ops are MACs (their inputs are membrane values);
// every other op is an AC scaled by its input's firing rate when that input is a spike tensor,
// a MAC otherwise. Not counted: ops outside modules (the residual additions, 1 per element).
#include "snn/energy.h"

#include <cmath>
#include <cstdio>
#include <functional>
#include <iomanip>
#include <map>
#include <sstream>

#include "autograd/ops.h"
#include "nn/conv.h"
#include "nn/linear.h"
#include "nn/norm.h"
#include "nn/pool.h"
#include "snn/staa_lif.h"
#include "snn/summary.h"

namespace staa::snn {

EnergyCosts energy_costs(const std::string& precision) {
  if (precision == "fp32") return {precision, 4.6, 0.9};
  if (precision == "fp16") return {precision, 1.5, 0.4};
  if (precision == "int8") return {precision, 0.23, 0.03};
  STAA_FAIL("energy: precision should be fp32, fp16 or int8, got '", precision, "'");
}

namespace {

enum class OpKind { kNone, kSynaptic, kNeuron, kBlock };

struct CallOps {
  OpKind kind = OpKind::kNone;
  double ops = 0;  // dense ops of the whole call (every sample, every step it holds)
};

double per_sample_plane(const Tensor& x) {
  return static_cast<double>(x.numel() / x.shape()[0]);
}

CallOps count_call(const nn::Module& m, const Tensor& x, const Tensor& y) {
  const auto n = static_cast<double>(x.shape()[0]);
  if (auto* conv = dynamic_cast<const nn::Conv2d*>(&m)) {
    const Shape& w = conv->weight().shape();
    return {OpKind::kSynaptic, static_cast<double>(y.numel()) * w[1] * w[2] * w[3]};
  }
  if (auto* fc = dynamic_cast<const nn::Linear*>(&m))
    return {OpKind::kSynaptic, static_cast<double>(y.numel()) * fc->weight().shape()[1]};
  if (dynamic_cast<const nn::BatchNorm2d*>(&m) || dynamic_cast<const nn::LayerNorm*>(&m))
    return {OpKind::kSynaptic, 2.0 * static_cast<double>(x.numel())};
  if (dynamic_cast<const nn::AvgPool2d*>(&m) || dynamic_cast<const nn::MaxPool2d*>(&m) ||
      dynamic_cast<const nn::AdaptiveAvgPool2d*>(&m))
    return {OpKind::kSynaptic, static_cast<double>(x.numel())};
  if (auto* neuron = dynamic_cast<const SpikingNeuron*>(&m)) {
    const NeuronOptions& o = neuron->options();
    const bool pe = o.kind == NeuronKind::kStaa && o.staa.pe;
    return {OpKind::kNeuron, (pe ? 2.0 : 1.0) * static_cast<double>(x.numel())};
  }
  const double C = static_cast<double>(x.ndim() == 4 ? x.shape()[1] : 0);
  const double hw = C > 0 ? per_sample_plane(x) / C : 0;
  if (auto* gc = dynamic_cast<const GcBlock*>(&m)) {
    const auto h = static_cast<double>(gc->hidden());
    return {OpKind::kBlock, n * (3 * C * hw + hw + 2 * C * h + 3 * h)};
  }
  if (auto* sa = dynamic_cast<const SaBlock*>(&m)) {
    const auto h = static_cast<double>(sa->hidden());
    return {OpKind::kBlock, n * (2 * C * hw + 2 * C + 2 * C * h + h)};
  }
  return {};
}

// Runs forwards under an observer that adds every call's counts to the report's rows. rate_of
// gives the firing rate of a spike tensor (measured, or the assumed one).
class Counter {
 public:
  Counter(SpikingNetwork& model, EnergyReport& report, std::function<double(const Tensor&)> rate_of)
      : report_(report), rate_of_(std::move(rate_of)), names_(model) {}

  nn::ForwardObserver observer() {
    return [this](const nn::Module& m, const Tensor& x, const Tensor& y) { observe(m, x, y); };
  }
  // Spike tensors are recognised by their data pointer: keep them alive until the forward ends so
  // no later tensor can reuse the address.
  void end_forward() { spikes_.clear(), kept_.clear(); }
  std::map<std::string, std::pair<double, double>>& output_spikes() { return output_spikes_; }
  std::map<std::string, std::pair<double, double>>& input_spikes() { return input_spikes_; }

 private:
  void observe(const nn::Module& m, const Tensor& x, const Tensor& y) {
    const CallOps c = count_call(m, x, y);
    if (c.kind == OpKind::kNone) return;
    const std::string& name = names_[m];
    if (names_.inside_block(name)) return;  // counted in the block's row
    OpCountRow& row = row_of(m, name);
    row.flops += c.ops;
    if (c.kind == OpKind::kNeuron) {
      row.acs += c.ops;
      const double rate = rate_of_(y);
      auto& [spikes, count] = output_spikes_[name];
      spikes += rate * static_cast<double>(y.numel()), count += static_cast<double>(y.numel());
      spikes_[y.raw_data()] = y.numel();
      kept_.push_back(y);
    } else if (c.kind == OpKind::kSynaptic && is_spikes(x)) {
      row.spike_input = true;
      const double rate = rate_of_(x);
      row.acs += c.ops * rate;
      auto& [spikes, count] = input_spikes_[name];
      spikes += rate * static_cast<double>(x.numel()), count += static_cast<double>(x.numel());
    } else {
      row.macs += c.ops;
    }
  }

  bool is_spikes(const Tensor& x) const {
    const auto it = spikes_.find(x.raw_data());
    return it != spikes_.end() && it->second == x.numel();
  }

  OpCountRow& row_of(const nn::Module& m, const std::string& name) {
    const auto it = index_.find(name);
    if (it != index_.end()) return report_.rows[it->second];
    index_[name] = report_.rows.size();
    OpCountRow row;
    row.name = name, row.type = m.type_name(), row.params = own_parameters(m);
    report_.rows.push_back(row);
    return report_.rows.back();
  }

  EnergyReport& report_;
  std::function<double(const Tensor&)> rate_of_;
  LayerNames names_;
  std::map<std::string, size_t> index_;
  std::map<const void*, int64_t> spikes_;
  std::vector<Tensor> kept_;
  // Per row: (spikes, elements) seen, for the mean rates.
  std::map<std::string, std::pair<double, double>> output_spikes_, input_spikes_;
};

// Runs `forward` for each chunk under the counter, then turns sums into per-image figures.
void count(SpikingNetwork& model, EnergyReport& r, std::function<double(const Tensor&)> rate_of,
           const std::vector<Tensor>& chunks, const std::function<void(const Tensor&)>& forward) {
  Counter counter(model, r, std::move(rate_of));
  const bool was_training = model.is_training();
  model.eval();
  {
    NoGradGuard no_grad;
    nn::ForwardObserverGuard guard(counter.observer());
    for (const Tensor& chunk : chunks) {
      model.reset_state();
      forward(chunk);
      counter.end_forward();
    }
  }
  model.train(was_training);
  model.reset_state();
  const auto images = static_cast<double>(r.images);
  for (OpCountRow& row : r.rows) {
    row.flops /= images, row.macs /= images, row.acs /= images;
    row.energy_pj = r.costs.pj_per_mac * row.macs + r.costs.pj_per_ac * row.acs;
    if (auto it = counter.input_spikes().find(row.name); it != counter.input_spikes().end())
      row.input_rate = it->second.first / it->second.second;
    if (auto it = counter.output_spikes().find(row.name); it != counter.output_spikes().end())
      row.output_rate = it->second.first / it->second.second;
    r.total.flops += row.flops, r.total.macs += row.macs, r.total.acs += row.acs;
    r.total.energy_pj += row.energy_pj;
  }
  r.total.name = r.total.type = "total";
  r.total.params = model.num_parameters();
  r.ann_energy_pj = r.costs.pj_per_mac * r.total.flops;
}

EnergyReport blank_report(SpikingNetwork& model, const std::string& name, const EnergyCosts& costs,
                          const Shape& input) {
  EnergyReport r;
  r.model = name;
  r.time_steps = model.time_steps();
  r.costs = costs;
  r.input = input;
  return r;
}

}  // namespace

EnergyReport measure_energy(SpikingNetwork& model, const std::string& name, const Tensor& x,
                            const EnergyCosts& costs, int64_t batch) {
  const bool events = x.ndim() == 5;
  STAA_CHECK((x.ndim() == 4 || events) && x.shape()[0] > 0 && batch > 0,
             "energy: expected images [N, C, H, W] or frames [N, T, 2, H, W] with N > 0 and a "
             "positive batch, got ",
             x.shape(), " and batch ", batch);
  std::vector<int64_t> one = x.shape().vec();
  one[0] = 1;
  if (events) std::swap(one[0], one[1]);
  EnergyReport r = blank_report(model, name, costs, Shape(one));
  r.mode = "measured";
  r.images = x.shape()[0];
  std::vector<Tensor> chunks;
  for (int64_t i = 0; i < r.images; i += batch)
    chunks.push_back(x.view_rows(i, std::min(r.images, i + batch)));
  auto measured_rate = [](const Tensor& s) {
    return sum(s).item() / static_cast<double>(s.numel());
  };
  count(model, r, measured_rate, chunks,
        [&](const Tensor& chunk) { model.forward_steps(events ? transpose(chunk, 0, 1) : chunk); });
  return r;
}

EnergyReport analytic_energy(SpikingNetwork& model, const std::string& name, double rate,
                             const EnergyCosts& costs, int64_t height, int64_t width) {
  STAA_CHECK(rate >= 0 && rate <= 1, "energy: the assumed firing rate should be in [0, 1], got ",
             rate);
  const int64_t h = height > 0 ? height : default_input_size(name);
  const int64_t w = width > 0 ? width : h;
  const int64_t c = model.options().in_channels;
  // Event models (2 input channels) see one frame per step; images are repeated over T.
  const Shape input = c == 2 ? Shape{model.time_steps(), 1, c, h, w} : Shape{1, c, h, w};
  EnergyReport r = blank_report(model, name, costs, input);
  r.mode = "analytic";
  r.assumed_rate = rate;
  r.images = 1;
  count(
      model, r, [rate](const Tensor&) { return rate; }, {zeros(input)},
      [&](const Tensor& x) { model.forward_steps(x); });
  return r;
}

}  // namespace staa::snn
