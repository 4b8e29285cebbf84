// tools/energy: parameters, FLOPs, MACs, ACs and energy per layer and in total (snn/energy.h) as a
// terminal table, CSV and JSON. Two sources of firing rates: a checkpoint of ./train measured on
// its dataset's test images, or an assumed rate (analytic mode, no data). Layer: tools.
#include <iostream>

#include "snn/energy.h"
#include "tools/common/model_args.h"
#include "tools/common/run_model.h"

namespace staa::tools {
namespace {

const char* const kUsage =
    "usage:\n"
    "  energy checkpoint=RUN/best.safetensors [images=32] [data_dir=DIR] [batch=16] [common keys]\n"
    "      measured: the firing rates of the checkpoint's network on its first test images\n"
    "  energy checkpoint=RUN/best.safetensors rate=R [common keys]\n"
    "  energy <model> rate=R [model keys] [common keys]\n"
    "      analytic: every spike tensor at firing rate R (no data needed)\n"
    "  energy <model> dataset=NAME [images=32] [data_dir=datasets] [model keys] [common keys]\n"
    "      measured on a dataset's test images with the model's initial weights (classes and\n"
    "      input channels come from the dataset)\n"
    "common keys: precision=fp32|fp16|int8 (pJ per MAC / AC at 45 nm: 4.6/0.9, 1.5/0.4, "
    "0.23/0.03)\n"
    "             out=DIR (writes DIR/energy.csv and DIR/energy.json)\n";

int run(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::cout << kUsage << model_args_help() << "\nmodels:";
    for (const std::string& n : snn::model_names()) std::cout << " " << n;
    std::cout << "\n";
    return args.empty() ? 2 : 0;
  }
  const bool named = args[0].find('=') == std::string::npos;
  std::vector<std::string> keys = {"checkpoint", "rate",  "out",       "data_dir",
                                   "images",     "batch", "precision", "dataset"};
  if (named) keys.insert(keys.end(), model_keys().begin(), model_keys().end());
  const Args a("energy", {args.begin() + (named ? 1 : 0), args.end()}, {}, keys);
  STAA_CHECK(named != a.has("checkpoint"),
             "energy: give a model name or checkpoint=PATH (one of them), see energy --help");
  const snn::EnergyCosts costs = snn::energy_costs(a.text("precision", "fp32"));
  const std::string checkpoint = a.text("checkpoint"), out = a.text("out");
  const bool analytic = a.has("rate");
  const double rate = a.real("rate", 0, 0, 1);
  const int64_t images = a.integer("images", 32, 1, int64_t{1} << 24);
  const int64_t batch = a.integer("batch", 16, 1, 4096);

  auto test_inputs = [&](const train::DataSplits& data) {
    return first_test_samples(data, images).inputs;
  };
  snn::EnergyReport report;
  if (named) {
    STAA_CHECK(analytic != a.has("dataset"),
               "energy: a model without a checkpoint needs rate=R (analytic) or dataset=NAME "
               "(measured), one of them");
    ModelArgs m = model_args(a);
    if (analytic) {
      auto model = snn::make_model(args[0], m.options);
      report = snn::analytic_energy(*model, args[0], rate, costs, m.size, m.size);
    } else {
      const std::string dataset = a.text("dataset");
      const train::DataSplits data = train::make_datasets(
          {dataset, a.text("data_dir", "datasets") + "/" + dataset, m.options.neuron.time_steps,
           frame_size_for(args[0]), false, 1, images});
      m.options.num_classes = data.num_classes;
      m.options.in_channels = data.in_channels;
      auto model = snn::make_model(args[0], m.options);
      report = snn::measure_energy(*model, args[0], test_inputs(data), costs, batch);
    }
  } else {
    const RunModel run = load_run_model(checkpoint);
    const std::string name = run.options.get("model");
    if (analytic)
      report = snn::analytic_energy(*run.model, name, rate, costs);
    else
      report = snn::measure_energy(*run.model, name,
                                   test_inputs(load_run_data(run, a.text("data_dir"), images)),
                                   costs, batch);
  }
  std::cout << report.table();
  if (!out.empty()) {
    report.save(out);
    std::cout << "energy: wrote " << out << "/energy.csv and " << out << "/energy.json\n";
  }
  return 0;
}

}  // namespace
}  // namespace staa::tools

int main(int argc, char** argv) {
  return staa::tools::run_tool(argc, argv, staa::tools::run);
}
