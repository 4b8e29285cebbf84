// Model keys of the tools (tools/common/model_args.h). Layer: tools.
#include "tools/common/model_args.h"

#include "tensor/error.h"

namespace staa::tools {

const std::vector<std::string>& model_keys() {
  static const std::vector<std::string> keys = {"classes", "T",        "neuron",   "in_channels",
                                                "size",    "gc",       "pe",       "sa",
                                                "tsrd",    "gc_ratio", "sa_ratio", "per_channel"};
  return keys;
}

ModelArgs model_args(const Args& args) {
  constexpr int64_t kMax = int64_t{1} << 20;
  ModelArgs m;
  snn::ModelOptions& o = m.options;
  snn::StaaOptions& s = o.neuron.staa;
  o.num_classes = args.integer("classes", o.num_classes, 1, kMax);
  o.neuron.time_steps = args.integer("T", o.neuron.time_steps, 1, 1024);
  o.in_channels = args.integer("in_channels", o.in_channels, 1, 4096);
  m.size = args.integer("size", 0, 0, 1 << 14);
  const std::string kind = args.text("neuron", "lif");
  STAA_CHECK(kind == "lif" || kind == "adaptive" || kind == "staa", args.tool(),
             ": neuron expects lif, adaptive or staa, got '", kind, "'");
  o.neuron.kind = kind == "lif"        ? snn::NeuronKind::kLif
                  : kind == "adaptive" ? snn::NeuronKind::kAdaptive
                                       : snn::NeuronKind::kStaa;
  s.gc = args.flag("gc", s.gc);
  s.pe = args.flag("pe", s.pe);
  s.sa = args.flag("sa", s.sa);
  s.tsrd = args.flag("tsrd", s.tsrd);
  s.gc_ratio = args.integer("gc_ratio", s.gc_ratio, 1, kMax);
  s.sa_ratio = args.integer("sa_ratio", s.sa_ratio, 1, kMax);
  o.neuron.per_channel = args.flag("per_channel", o.neuron.per_channel);
  return m;
}

std::string model_args_help() {
  return "model keys: classes=10 T=4 neuron=lif|adaptive|staa in_channels=3 size=<input side> "
         "gc=1 pe=1 sa=1 tsrd=1 gc_ratio=4 sa_ratio=16 per_channel=0";
}

}  // namespace staa::tools
