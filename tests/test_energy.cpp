// Operation counts and energy (snn/energy.h): every count of a tiny network against numbers worked
// out by hand (analytic and measured firing rates, the GC / SA block formulas), the paper's
// Table 7 for ResNet-20 with STAA-LIF (no SA), the precision tables and the output forms.
// Layer: tests.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>

#include "autograd/ops.h"
#include "expect_error.h"
#include "snn/energy.h"

namespace staa::snn {
namespace {

std::shared_ptr<SpikingNetwork> tiny(NeuronKind kind = NeuronKind::kLif, int64_t T = 2) {
  ModelOptions o;
  o.neuron.kind = kind;
  o.neuron.time_steps = T;
  o.neuron.staa.tsrd = false;
  return make_model("tiny", o);
}

// Table 7's configuration: STAA-LIF without SA, T = 4, 10 classes.
std::shared_ptr<SpikingNetwork> staa_without_sa(const std::string& name) {
  ModelOptions o;
  o.neuron.kind = NeuronKind::kStaa;
  o.neuron.staa.sa = false;
  o.neuron.time_steps = 4;
  return make_model(name, o);
}

const OpCountRow& row(const EnergyReport& r, const std::string& name) {
  for (const OpCountRow& x : r.rows)
    if (x.name == name) return x;
  ADD_FAILURE() << "no row " << name;
  return r.total;
}

// The tiny network on one 3 x 8 x 8 image at T = 2 (the stem's conv + BN run once):
//   stem.0  conv 3->8 3x3   8*8*8 outputs * 27            = 13,824 MACs (input: the image)
//   stem.1  BN 8            2 * 512                       =  1,024 MACs
//   body.0  LIF 8           2 steps * 512                 =  1,024 ACs
//   body.1  AvgPool 2       1 per input spike element     =  1,024 r ACs
//   body.2  conv 8->16 3x3  2 * 16*4*4 outputs * 72       = 36,864 MACs (input: pooled, dense)
//   body.3  BN 16           2 * 512                       =  1,024 MACs
//   body.4  LIF 16          2 * 256                       =    512 ACs
//   head.0  GAP             512 spike elements            =    512 r ACs
//   head.2  Linear 16->10   2 * 10 * 16                   =    320 MACs
TEST(Energy, TinyNetworkAnalyticCountsByHand) {
  auto model = tiny();
  const double r = 0.25;
  const EnergyReport e = analytic_energy(*model, "tiny", r, energy_costs("fp32"), 8, 8);
  ASSERT_EQ(e.rows.size(), 9u);
  EXPECT_DOUBLE_EQ(row(e, "stem.0").macs, 13824);
  EXPECT_DOUBLE_EQ(row(e, "stem.1").macs, 1024);
  EXPECT_DOUBLE_EQ(row(e, "body.0").acs, 1024);
  EXPECT_DOUBLE_EQ(row(e, "body.0").output_rate, r);
  EXPECT_TRUE(row(e, "body.1").spike_input);
  EXPECT_DOUBLE_EQ(row(e, "body.1").acs, 1024 * r);
  EXPECT_DOUBLE_EQ(row(e, "body.1").macs, 0);
  EXPECT_FALSE(row(e, "body.2").spike_input);
  EXPECT_DOUBLE_EQ(row(e, "body.2").macs, 36864);
  EXPECT_DOUBLE_EQ(row(e, "body.3").macs, 1024);
  EXPECT_DOUBLE_EQ(row(e, "body.4").acs, 512);
  EXPECT_DOUBLE_EQ(row(e, "head.0").acs, 512 * r);
  EXPECT_DOUBLE_EQ(row(e, "head.2").macs, 320);
  EXPECT_EQ(row(e, "stem.0").params, 216);
  EXPECT_EQ(row(e, "head.2").params, 170);
  EXPECT_EQ(e.total.params, 216 + 16 + 1152 + 32 + 170);
  const double macs = 13824 + 1024 + 36864 + 1024 + 320, acs = 1536 + 1536 * r;
  EXPECT_DOUBLE_EQ(e.total.macs, macs);
  EXPECT_DOUBLE_EQ(e.total.acs, acs);
  EXPECT_DOUBLE_EQ(e.total.flops, macs + 1536 + 1536);
  EXPECT_NEAR(e.total.energy_pj, 4.6 * macs + 0.9 * acs, 1e-6);
  EXPECT_NEAR(e.ann_energy_pj, 4.6 * e.total.flops, 1e-6);
  const EnergyReport half = analytic_energy(*model, "tiny", r, energy_costs("int8"), 8, 8);
  EXPECT_NEAR(half.total.energy_pj, 0.23 * macs + 0.03 * acs, 1e-6);
}

// Measured: each spike input's rate is the mean of the spikes it received, the same rates the
// neurons record themselves.
TEST(Energy, MeasuredRatesAreTheSpikesTheLayersSaw) {
  auto model = tiny();
  for (auto& [name, p] : model->named_parameters())  // BN gains of 3: both layers fire
    if (name == "stem.1.weight" || name == "body.3.weight") fill_(p, 3.0);
  Generator gen(3);
  const Tensor images = normal({5, 3, 8, 8}, 0, 3, gen);
  set_record_firing(*model, true);
  {
    NoGradGuard no_grad;
    model->eval();
    for (int64_t i = 0; i < 5; ++i) {
      model->reset_state();
      model->forward_steps(images.view_rows(i, i + 1));
    }
  }
  const double rate0 = spiking_layers(*model)[0].second->firing_rate();
  const double rate1 = spiking_layers(*model)[1].second->firing_rate();
  ASSERT_GT(rate0, 0.01);
  ASSERT_GT(rate1, 0.0);
  const EnergyReport e = measure_energy(*model, "tiny", images, energy_costs("fp32"), 2);
  EXPECT_EQ(e.images, 5);
  EXPECT_NEAR(row(e, "body.0").output_rate, rate0, 1e-9);
  EXPECT_NEAR(row(e, "body.1").input_rate, rate0, 1e-9);
  EXPECT_NEAR(row(e, "body.1").acs, 1024 * rate0, 1e-6);
  EXPECT_NEAR(row(e, "head.0").input_rate, rate1, 1e-9);
  EXPECT_NEAR(row(e, "head.0").acs, 512 * rate1, 1e-6);
  EXPECT_DOUBLE_EQ(e.total.macs, 13824 + 1024 + 36864 + 1024 + 320);
  test::expect_error(
      [&] {
        measure_energy(*model, "tiny", zeros({0, 3, 8, 8}), {}, 2);
      },
      {"energy: expected images [N, C, H, W]", "[0,3,8,8]"});
}

// STAA-LIF adds the PE add per element and its blocks, per call on [1, C, H, W] (h = C / r):
//   GC: 3 C HW + HW + 2 C h + 3 h;  SA: 2 C HW + 2 C + 2 C h + h.
TEST(Energy, StaaBlocksByHand) {
  auto model = tiny(NeuronKind::kStaa);
  const EnergyReport e = analytic_energy(*model, "tiny", 0.5, energy_costs("fp32"), 8, 8);
  EXPECT_DOUBLE_EQ(row(e, "body.0").acs, 2 * 1024);  // update + PE add
  // body.0: C = 8 at 8 x 8, GC h = 2, SA h = max(1, 8 / 16) = 1; two steps, one sample.
  const double gc = 3 * 8 * 64 + 64 + 2 * 8 * 2 + 3 * 2, sa = 2 * 8 * 64 + 2 * 8 + 2 * 8 * 1 + 1;
  EXPECT_DOUBLE_EQ(row(e, "body.0.gc1").macs, 2 * gc);
  EXPECT_DOUBLE_EQ(row(e, "body.0.gc2").macs, 2 * gc);
  EXPECT_DOUBLE_EQ(row(e, "body.0.sa").macs, 2 * sa);
  EXPECT_EQ(row(e, "body.0.gc1").params, 8 + 1 + 8 * 2 + 2 + 2 * 2 + 2 * 8 + 8);
}

// Table 7: ResNet-20 with STAA-LIF without SA at 32 x 32, T = 4, 10 classes: 12.69 M parameters,
// 0.87 G FLOPs; at the firing rate that gives its 0.10 G ACs, 0.366 mJ.
TEST(Energy, ResNet20MatchesTable7) {
  auto model = staa_without_sa("resnet20");
  const EnergyCosts fp32 = energy_costs("fp32");
  const EnergyReport at0 = analytic_energy(*model, "resnet20", 0, fp32);
  const EnergyReport at1 = analytic_energy(*model, "resnet20", 1, fp32);
  EXPECT_EQ(at0.total.params, 12691254);
  EXPECT_NEAR(at0.total.flops / 0.87e9, 1.0, 0.03) << at0.total.flops;
  EXPECT_NEAR(at0.total.macs / 0.06e9, 1.0, 0.15) << at0.total.macs;
  const double rate = (0.10e9 - at0.total.acs) / (at1.total.acs - at0.total.acs);
  EXPECT_GT(rate, 0.05);
  EXPECT_LT(rate, 0.3);
  const EnergyReport paper = analytic_energy(*model, "resnet20", rate, fp32);
  EXPECT_NEAR(paper.total.acs / 0.10e9, 1.0, 1e-9);
  EXPECT_NEAR(paper.total.energy_pj / 0.366e9, 1.0, 0.10) << paper.table();
  std::printf(
      "ResNet-20 STAA (no SA): params %lld, FLOPs %.4f G, MACs %.4f G, rate %.4f -> ACs "
      "%.3f G, energy %.4f mJ (paper 0.366)\n",
      static_cast<long long>(paper.total.params), paper.total.flops / 1e9, paper.total.macs / 1e9,
      rate, paper.total.acs / 1e9, paper.total.energy_pj / 1e9);
}

// Table 7's VGG-13 (STAA-LIF without SA): 10.67 M parameters, 0.92 G FLOPs, 0.28 G MACs; at the
// rate giving its 0.05 G ACs, 1.333 mJ.
TEST(Energy, Vgg13MatchesTable7) {
  auto model = staa_without_sa("vgg13");
  const EnergyCosts fp32 = energy_costs("fp32");
  const EnergyReport at0 = analytic_energy(*model, "vgg13", 0, fp32);
  const EnergyReport at1 = analytic_energy(*model, "vgg13", 1, fp32);
  EXPECT_NEAR(static_cast<double>(at0.total.params) / 10.67e6, 1.0, 0.005);
  EXPECT_NEAR(at0.total.flops / 0.92e9, 1.0, 0.03);
  EXPECT_NEAR(at0.total.macs / 0.28e9, 1.0, 0.03);
  const double rate = (0.05e9 - at0.total.acs) / (at1.total.acs - at0.total.acs);
  const EnergyReport paper = analytic_energy(*model, "vgg13", rate, fp32);
  EXPECT_NEAR(paper.total.energy_pj / 1.333e9, 1.0, 0.10) << paper.table();
}

TEST(Energy, OutputFormsAndErrors) {
  auto model = tiny();
  const EnergyReport e = analytic_energy(*model, "tiny", 0.1, energy_costs("fp16"), 8, 8);
  const std::string table = e.table(), csv = e.csv(), json = e.json();
  EXPECT_NE(table.find("MAC 1.5 pJ, AC 0.4 pJ"), std::string::npos) << table;
  EXPECT_NE(table.find("spikes 10.0%"), std::string::npos) << table;
  EXPECT_NE(csv.find("layer,type,input,firing_rate"), std::string::npos);
  EXPECT_NE(csv.find("body.1,AvgPool2d,spikes,0.100000,"), std::string::npos) << csv;
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 1 + 9 + 1);
  EXPECT_NE(json.find("\"mode\": \"analytic\""), std::string::npos);
  EXPECT_NE(json.find("\"precision\": \"fp16\""), std::string::npos);
  EXPECT_NE(json.find("\"total\": {\"params\": 1586"), std::string::npos) << json;
  test::expect_error([] { energy_costs("fp8"); }, {"fp32, fp16 or int8", "'fp8'"});
  test::expect_error([&] { analytic_energy(*model, "tiny", 1.5, {}); },
                     {"firing rate should be in [0, 1]", "1.5"});
}

}  // namespace
}  // namespace staa::snn
