// The layer table of tools/summary (snn/summary.h). Layer: snn.
#include "snn/summary.h"

#include <iomanip>
#include <map>
#include <sstream>

#include "nn/conv.h"
#include "nn/linear.h"
#include "snn/staa_lif.h"

namespace staa::snn {

namespace {

// Multiply-accumulates of one image of one call. x: [N, ...], y: [N, ...].
int64_t macs_of(const nn::Module& m, const Tensor& x, const Tensor& y) {
  const int64_t per_image = y.shape()[0] > 0 ? y.numel() / y.shape()[0] : 0;
  if (auto* conv = dynamic_cast<const nn::Conv2d*>(&m)) {
    const Shape& w = conv->weight().shape();
    return per_image * w[1] * w[2] * w[3];
  }
  if (auto* fc = dynamic_cast<const nn::Linear*>(&m)) return per_image * fc->weight().shape()[1];
  if (is_attention_block(m)) {
    const int64_t C = x.shape()[1], plane = x.numel() / (x.shape()[0] * C);
    int64_t mlp = 0;  // the two 1x1 convs of the bottleneck: C h + h C
    for (const Tensor& p : m.parameters())
      if (p.ndim() == 4 && p.shape()[0] * p.shape()[1] > C) mlp += p.shape()[0] * p.shape()[1];
    // GC also weighs every position (conv_k) and pools with the weights: 2 C HW.
    return mlp + (dynamic_cast<const GcBlock*>(&m) ? 2 * C * plane : 0);
  }
  return 0;
}

}  // namespace

bool is_attention_block(const nn::Module& m) {
  return dynamic_cast<const GcBlock*>(&m) || dynamic_cast<const SaBlock*>(&m);
}

int64_t own_parameters(const nn::Module& m) {
  if (is_attention_block(m)) return m.num_parameters();
  int64_t n = m.num_parameters();
  for (const auto& [name, child] : m.named_children()) n -= child->num_parameters();
  return n;
}

LayerNames::LayerNames(nn::Module& model) {
  for (const auto& [n, m] : model.named_modules()) {
    names_[m] = n;
    if (is_attention_block(*m)) blocks_.push_back(n);
  }
}

bool LayerNames::inside_block(const std::string& name) const {
  for (const std::string& block : blocks_)
    if (name.rfind(block + ".", 0) == 0) return true;
  return false;
}

Summary summarize(SpikingNetwork& model, const std::string& name, int64_t height, int64_t width) {
  Summary s;
  s.model = name;
  s.time_steps = model.time_steps();
  const int64_t h = height > 0 ? height : default_input_size(name);
  const int64_t w = width > 0 ? width : h;
  s.input = Shape{1, model.options().in_channels, h, w};
  const LayerNames names(model);
  std::map<std::string, size_t> row_of;
  {
    nn::ForwardObserverGuard guard([&](const nn::Module& m, const Tensor& x, const Tensor& y) {
      const std::string& n = names[m];
      const bool spiking = dynamic_cast<const SpikingNeuron*>(&m) != nullptr;
      if (!spiking && !is_attention_block(m) && !m.named_children().empty()) return;
      if (names.inside_block(n)) return;  // counted in the block's row
      if (row_of.count(n)) return;        // GC / SA run once per step: one row
      std::vector<int64_t> out = y.shape().vec();
      if (!out.empty()) out[0] = 1;
      row_of[n] = s.rows.size();
      s.rows.push_back(
          {n, m.type_name(), Shape(out), own_parameters(m), macs_of(m, x, y), spiking});
    });
    const bool was_training = model.is_training();
    model.eval();
    NoGradGuard no_grad;
    model(zeros(s.input));
    model.train(was_training);
  }
  s.params = model.num_parameters();
  for (const SummaryRow& r : s.rows) s.macs += r.macs, s.spiking_layers += r.spiking;
  return s;
}

std::string with_commas(int64_t value) {
  std::string digits = std::to_string(value < 0 ? -value : value), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return value < 0 ? "-" + out : out;
}

std::string Summary::str() const {
  std::ostringstream o;
  o << model << ": input " << input << ", T = " << time_steps << " (shapes and MACs per image per "
    << "time step)\n";
  o << std::left << std::setw(34) << "layer" << std::setw(14) << "type" << std::setw(20) << "output"
    << std::right << std::setw(14) << "params" << std::setw(16) << "MACs"
    << "  spiking\n";
  o << std::string(34 + 14 + 20 + 14 + 16 + 9, '-') << "\n";
  for (const SummaryRow& r : rows) {
    std::ostringstream shape;
    shape << r.output;
    o << std::left << std::setw(34) << r.name << std::setw(14) << r.type << std::setw(20)
      << shape.str() << std::right << std::setw(14) << with_commas(r.params) << std::setw(16)
      << with_commas(r.macs) << (r.spiking ? "  yes" : "") << "\n";
  }
  o << std::string(34 + 14 + 20 + 14 + 16 + 9, '-') << "\n";
  o << "parameters:          " << with_commas(params) << "\n";
  o << "MACs per time step:  " << with_commas(macs) << " (" << std::fixed << std::setprecision(1)
    << static_cast<double>(macs) / 1e6 << " M)\n";
  o << "spiking layers:      " << spiking_layers << "\n";
  return o.str();
}

}  // namespace staa::snn
