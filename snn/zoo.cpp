// The model zoo (spec §3): ResNet-19, ResNet-20 (the wide CIFAR variant of the MPBN lineage),
// VGG-13, VGGSNN, ResNet-18, ResNet-34 and a tiny network, each with the neuron of
// ModelOptions::neuron after every conv + BN. Layer: snn. The parameter counts of the spec are
// regression tests (tests/test_snn_models.cpp).
#include <functional>
#include <map>

#include "nn/conv.h"
#include "nn/linear.h"
#include "nn/norm.h"
#include "nn/pool.h"
#include "nn/sequential.h"
#include "nn/stateless.h"
#include "snn/network.h"

namespace staa::snn {

namespace {

using ModulePtr = std::shared_ptr<nn::Module>;

// Builds layers with one seeded generator and numbers the spiking layers (each gets its own
// TSRD seed).
struct Builder {
  ModelOptions options;
  Generator gen;
  int64_t neurons = 0;

  explicit Builder(const ModelOptions& o) : options(o), gen(o.seed) {}

  ModulePtr conv(int64_t in, int64_t out, int64_t k, int64_t stride, int64_t pad, bool bias) {
    return std::make_shared<nn::Conv2d>(
        in, out, k, gen, Conv2dOptions{.stride = {stride, stride}, .padding = {pad, pad}}, bias);
  }
  ModulePtr bn(int64_t c) { return std::make_shared<nn::BatchNorm2d>(c); }
  ModulePtr neuron(int64_t c) {
    NeuronOptions n = options.neuron;
    n.seed = options.seed * 1000003ull + static_cast<uint64_t>(++neurons);
    return make_neuron(c, n);
  }
  // conv (k x k, same padding) + BN + neuron.
  void conv_bn_spike(nn::Sequential& s, int64_t in, int64_t out, int64_t k, int64_t stride,
                     bool bias) {
    s.push_back(conv(in, out, k, stride, k / 2, bias));
    s.push_back(bn(out));
    s.push_back(neuron(out));
  }
};

// conv3x3(s) -> BN -> spike -> conv3x3 -> BN -> (+ shortcut) -> spike.
class BasicBlock : public nn::Module {
 public:
  BasicBlock(Builder& b, int64_t in, int64_t out, int64_t stride, ModulePtr downsample) {
    conv1_ = register_module("conv1", b.conv(in, out, 3, stride, 1, false));
    bn1_ = register_module("bn1", b.bn(out));
    sn1_ = register_module("sn1", b.neuron(out));
    conv2_ = register_module("conv2", b.conv(out, out, 3, 1, 1, false));
    bn2_ = register_module("bn2", b.bn(out));
    if (downsample) downsample_ = register_module("downsample", downsample);
    sn2_ = register_module("sn2", b.neuron(out));
  }
  Tensor forward(const Tensor& x) override {
    const Tensor y = (*bn2_)((*conv2_)((*sn1_)((*bn1_)((*conv1_)(x)))));
    return (*sn2_)(y + (downsample_ ? (*downsample_)(x) : x));
  }
  std::string type_name() const override { return "BasicBlock"; }

 private:
  ModulePtr conv1_, bn1_, sn1_, conv2_, bn2_, downsample_, sn2_;
};

enum class Downsample { kConvStride, kAvgPoolConv };

// A stage of `blocks` BasicBlocks; the first changes stride / width with a downsample branch.
ModulePtr stage(Builder& b, int64_t in, int64_t out, int64_t blocks, int64_t stride,
                Downsample kind) {
  auto s = std::make_shared<nn::Sequential>();
  for (int64_t i = 0; i < blocks; ++i) {
    const int64_t block_in = i == 0 ? in : out, block_stride = i == 0 ? stride : 1;
    ModulePtr down;
    if (block_stride != 1 || block_in != out) {
      auto d = std::make_shared<nn::Sequential>();
      if (kind == Downsample::kAvgPoolConv && block_stride != 1) {
        d->push_back(
            std::make_shared<nn::AvgPool2d>(Pool2dOptions{.kernel = {block_stride, block_stride},
                                                          .ceil_mode = true,
                                                          .count_include_pad = false}));
        d->push_back(b.conv(block_in, out, 1, 1, 0, false));
      } else {
        d->push_back(b.conv(block_in, out, 1, block_stride, 0, false));
      }
      d->push_back(b.bn(out));
      down = d;
    }
    s->push_back(std::make_shared<BasicBlock>(b, block_in, out, block_stride, down));
  }
  return s;
}

// Global average pooling + flatten + Linear.
ModulePtr gap_head(Builder& b, int64_t features) {
  return std::make_shared<nn::Sequential>(std::initializer_list<ModulePtr>{
      std::make_shared<nn::AdaptiveAvgPool2d>(std::array<int64_t, 2>{1, 1}),
      std::make_shared<nn::Flatten>(),
      std::make_shared<nn::Linear>(features, b.options.num_classes, b.gen)});
}

// The stem's first conv + BN (run once on static input), then its neuron opens the body.
ModulePtr stem(Builder& b, int64_t out, int64_t k, int64_t stride, bool bias) {
  return std::make_shared<nn::Sequential>(std::initializer_list<ModulePtr>{
      b.conv(b.options.in_channels, out, k, stride, k / 2, bias), b.bn(out)});
}

std::shared_ptr<SpikingNetwork> network(const std::string& name, Builder& b, ModulePtr s,
                                        ModulePtr body, ModulePtr head) {
  auto net = std::make_shared<SpikingNetwork>(name, b.options, s, body, head);
  init_lineage(*net, b.gen);
  return net;
}

std::shared_ptr<SpikingNetwork> resnet20(Builder& b) {
  auto s = stem(b, 64, 3, 1, false);
  auto body = std::make_shared<nn::Sequential>();
  body->push_back(b.neuron(64));
  for (int i = 0; i < 2; ++i) b.conv_bn_spike(*body, 64, 64, 3, 1, false);
  body->push_back(std::make_shared<nn::AvgPool2d>(2));
  const int64_t widths[] = {64, 128, 256, 512};
  for (int i = 0; i < 4; ++i)
    body->push_back(stage(b, i == 0 ? 64 : widths[i - 1], widths[i], 2, i == 0 ? 1 : 2,
                          Downsample::kAvgPoolConv));
  return network("ResNet20", b, s, body, gap_head(b, 512));
}

std::shared_ptr<SpikingNetwork> resnet19(Builder& b) {
  auto s = stem(b, 128, 3, 1, false);
  auto body = std::make_shared<nn::Sequential>();
  body->push_back(b.neuron(128));
  body->push_back(stage(b, 128, 128, 3, 1, Downsample::kConvStride));
  body->push_back(stage(b, 128, 256, 3, 2, Downsample::kConvStride));
  body->push_back(stage(b, 256, 512, 2, 2, Downsample::kConvStride));
  return network("ResNet19", b, s, body, gap_head(b, 512));
}

std::shared_ptr<SpikingNetwork> imagenet_resnet(Builder& b, const std::string& name,
                                                const int64_t (&blocks)[4]) {
  auto s = stem(b, 64, 7, 2, false);
  auto body = std::make_shared<nn::Sequential>();
  body->push_back(b.neuron(64));
  body->push_back(std::make_shared<nn::AvgPool2d>(3, 2, 1));
  const int64_t widths[] = {64, 128, 256, 512};
  for (int i = 0; i < 4; ++i)
    body->push_back(stage(b, i == 0 ? 64 : widths[i - 1], widths[i], blocks[i], i == 0 ? 1 : 2,
                          Downsample::kConvStride));
  return network(name, b, s, body, gap_head(b, 512));
}

// cfg: channel counts, 0 = AvgPool2d(2). The first conv + BN form the stem.
std::shared_ptr<SpikingNetwork> vgg(Builder& b, const std::string& name,
                                    const std::vector<int64_t>& cfg, ModulePtr (*head)(Builder&)) {
  auto s = stem(b, cfg[0], 3, 1, true);
  auto body = std::make_shared<nn::Sequential>();
  body->push_back(b.neuron(cfg[0]));
  int64_t in = cfg[0];
  for (size_t i = 1; i < cfg.size(); ++i) {
    if (cfg[i] == 0) {
      body->push_back(std::make_shared<nn::AvgPool2d>(2));
    } else {
      b.conv_bn_spike(*body, in, cfg[i], 3, 1, true);
      in = cfg[i];
    }
  }
  return network(name, b, s, body, head(b));
}

ModulePtr vgg13_head(Builder& b) {
  return gap_head(b, 512);
}

// VGGSNN (TET): flatten the 512 x 3 x 3 map of a 48 x 48 input, one Linear per step.
ModulePtr vggsnn_head(Builder& b) {
  return std::make_shared<nn::Sequential>(std::initializer_list<ModulePtr>{
      std::make_shared<nn::Flatten>(),
      std::make_shared<nn::Linear>(512 * 3 * 3, b.options.num_classes, b.gen)});
}

std::shared_ptr<SpikingNetwork> tiny(Builder& b) {
  auto s = stem(b, 8, 3, 1, false);
  auto body = std::make_shared<nn::Sequential>();
  body->push_back(b.neuron(8));
  body->push_back(std::make_shared<nn::AvgPool2d>(2));
  b.conv_bn_spike(*body, 8, 16, 3, 1, false);
  return network("Tiny", b, s, body, gap_head(b, 16));
}

// A small network for quick runs (Fashion-MNIST in minutes): two conv + BN + neuron stages at
// 32 and 64 channels, each halving the map, then a Linear layer on the 64 x 7 x 7 averaged spikes
// (the adaptive pool makes other input sizes fit; at 28 x 28 it is the identity). A 2 x 2 pool
// before the Linear layer lost the layout: 74.8% instead of 87.8% after 300 steps.
std::shared_ptr<SpikingNetwork> small(Builder& b) {
  auto s = stem(b, 32, 3, 1, false);
  auto body = std::make_shared<nn::Sequential>();
  body->push_back(b.neuron(32));
  body->push_back(std::make_shared<nn::AvgPool2d>(2));
  b.conv_bn_spike(*body, 32, 64, 3, 1, false);
  body->push_back(std::make_shared<nn::AvgPool2d>(2));
  auto head = std::make_shared<nn::Sequential>(std::initializer_list<ModulePtr>{
      std::make_shared<nn::AdaptiveAvgPool2d>(std::array<int64_t, 2>{7, 7}),
      std::make_shared<nn::Flatten>(),
      std::make_shared<nn::Linear>(64 * 49, b.options.num_classes, b.gen)});
  return network("Small", b, s, body, head);
}

using Factory = std::function<std::shared_ptr<SpikingNetwork>(Builder&)>;

const std::map<std::string, Factory>& factories() {
  static const std::map<std::string, Factory> table = {
      {"resnet19", resnet19},
      {"resnet20", resnet20},
      {"resnet18",
       [](Builder& b) {
         return imagenet_resnet(b, "ResNet18", {2, 2, 2, 2});
       }},
      {"resnet34",
       [](Builder& b) {
         return imagenet_resnet(b, "ResNet34", {3, 4, 6, 3});
       }},
      {"vgg13",
       [](Builder& b) {
         return vgg(b, "VGG13", {64, 64, 0, 128, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0},
                    vgg13_head);
       }},
      {"vggsnn",
       [](Builder& b) {
         return vgg(b, "VGGSNN", {64, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0}, vggsnn_head);
       }},
      {"small", small},
      {"tiny", tiny},
  };
  return table;
}

}  // namespace

std::vector<std::string> model_names() {
  std::vector<std::string> names;
  for (const auto& [name, f] : factories()) names.push_back(name);
  return names;
}

std::shared_ptr<SpikingNetwork> make_model(const std::string& name, const ModelOptions& options) {
  const auto it = factories().find(name);
  if (it == factories().end()) {
    std::string known;
    for (const std::string& n : model_names()) known += (known.empty() ? "" : ", ") + n;
    STAA_FAIL("make_model: unknown model '", name, "'; known models: ", known);
  }
  STAA_CHECK(options.num_classes >= 1, "make_model: num_classes must be >= 1, got ",
             options.num_classes);
  STAA_CHECK(options.in_channels >= 1, "make_model: in_channels must be >= 1, got ",
             options.in_channels);
  Builder b(options);
  return it->second(b);
}

int64_t default_input_size(const std::string& name) {
  if (name == "vggsnn") return 48;
  if (name == "resnet18" || name == "resnet34") return 224;
  return 32;
}

}  // namespace staa::snn
