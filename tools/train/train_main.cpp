// The trainer CLI: ./train <dataset> [model] [key=value | --key value ...] (the root script builds
// and runs this). Wires the options to the data layer, the model zoo (snn/), SGD, the cosine
// schedule and the loop, and creates the run directory. Layer: tools (it uses snn/, which the
// train library never does).
#include <omp.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "autograd/ops.h"
#include "snn/energy.h"
#include "snn/network.h"
#include "tensor/backend.h"
#include "tools/common/run_model.h"
#include "trainer/datasets.h"
#include "trainer/loop.h"
#include "trainer/options.h"
#include "trainer/report.h"

namespace staa::train {
namespace {

namespace fs = std::filesystem;

// <output_dir>/<dataset>_<model>_<neuron>_T<T>_<time>, or the newest such folder with a `last`
// checkpoint for resume=latest.
std::string run_directory(const Options& o, const std::string& dataset, std::string& resume) {
  const std::string prefix =
      dataset + "_" + o.get("model") + "_" + o.get("neuron") + "_T" + o.get("T") + "_";
  const fs::path out = o.get("output_dir");
  if (resume == "latest") {
    fs::path newest;
    if (fs::exists(out))
      for (const auto& e : fs::directory_iterator(out))
        if (e.path().filename().string().rfind(prefix, 0) == 0 &&
            fs::exists(e.path() / "last.safetensors") &&
            (newest.empty() || e.path().filename() > newest.filename()))
          newest = e.path();
    STAA_CHECK(!newest.empty(), "train: resume=latest found no run ",
               (out / (prefix + "*")).string(), " with a last.safetensors");
    resume = (newest / "last.safetensors").string();
    return newest.string();
  }
  if (!resume.empty()) return fs::path(resume).parent_path().string();
  char stamp[32];
  const std::time_t now = std::time(nullptr);
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", std::localtime(&now));
  fs::path dir = out / (prefix + stamp);
  for (int i = 1; fs::exists(dir); ++i) dir = out / (prefix + stamp + "-" + std::to_string(i));
  fs::create_directories(dir);
  return dir.string();
}

// The energy table of the trained network on the first test images (run_dir/energy.{csv,json}),
// which the report shows. A failure here does not fail a finished run: it is reported.
void write_energy(snn::SpikingNetwork& model, const Options& o, const DataSplits& d,
                  const std::string& dir) {
  if (o.get_int("energy_images") <= 0) return;
  try {
    const snn::EnergyReport e = snn::measure_energy(
        model, o.get("model"), tools::first_test_samples(d, o.get_int("energy_images")).inputs,
        snn::energy_costs("fp32"));
    e.save(dir);
    std::printf("train: energy %.4f mJ per image (%s), %.3f G ACs, %.3f G MACs; %s/energy.csv\n",
                e.total.energy_pj / 1e9, e.costs.precision.c_str(), e.total.acs / 1e9,
                e.total.macs / 1e9, dir.c_str());
  } catch (const std::exception& err) {
    std::fprintf(stderr, "train: warning: no energy table: %s\n", err.what());
  }
}

ModelHooks make_hooks(snn::SpikingNetwork& model, const Options& o, bool events) {
  const bool tet = o.get("loss") == "tet";
  const double smoothing = o.get_float("label_smoothing");
  ModelHooks h;
  h.forward = [&model, tet, smoothing, events](const data::Batch& b) {
    const Tensor x = events ? transpose(b.inputs, 0, 1) : b.inputs;  // [T, B, 2, H, W]
    const Tensor steps = model.forward_steps(x);
    const Tensor logits = mean(steps, {0});
    auto loss_of = [&](const Tensor& labels) {
      return tet ? snn::tet_loss(steps, labels) : cross_entropy(logits, labels, smoothing);
    };
    Tensor loss = loss_of(b.labels);
    if (b.mix_labels.defined())
      loss = b.mix_lambda * loss + (1.0 - b.mix_lambda) * loss_of(b.mix_labels);
    return StepOutput{loss, logits};
  };
  h.firing_rates = [&model] {
    std::vector<std::pair<std::string, double>> rates;
    for (const auto& [name, neuron] : snn::spiking_layers(model))
      rates.emplace_back(name, neuron->firing_rate());
    return rates;
  };
  h.record_firing = [&model](bool on) { snn::set_record_firing(model, on); };
  return h;
}

// A finished run stays a success when its report cannot be written: the report is a warning.
void write_report_or_warn(const std::string& dir) {
  try {
    std::printf("train: report %s\n", write_report(dir).html.c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "train: warning: no report: %s\n", e.what());
  }
}

int run(const std::vector<std::string>& args, const std::string& command) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::cout << Options::help(snn::model_names());
    return args.empty() ? 2 : 0;
  }
  const std::string dataset = args[0];
  Options o(dataset);
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (!rest.empty() && rest[0].find('=') == std::string::npos && rest[0].rfind("--", 0) != 0) {
    o.set("model", rest[0], "command line");
    rest.erase(rest.begin());
  }
  o.parse(rest);
  const Device device = checked_device(o);  // before loading any data: fails fast
  set_deterministic(o.get_bool("deterministic"));
  set_allow_tf32(o.get_bool("allow_tf32"));
  set_allow_winograd(o.get_bool("winograd"));
  if (o.get_int("threads") > 0) omp_set_num_threads(static_cast<int>(o.get_int("threads")));

  const DataSplits d = make_datasets({dataset, o.get("data_dir") + "/" + dataset, o.get_int("T"),
                                      tools::frame_size_for(o.get("model")), o.get_bool("download"),
                                      o.get_int("train_subset"), o.get_int("test_subset")});
  auto model =
      snn::make_model(o.get("model"), tools::model_options(o, d.num_classes, d.in_channels));
  // Parameters, buffers and grads move in place (handles stay valid); the optimizer's momentum
  // buffers are made from the gradients, so on the same device.
  model->to(device);
  const snn::ParamGroups groups = snn::weight_decay_groups(*model);
  Sgd sgd({{groups.decay, o.get_float("weight_decay")}, {groups.no_decay, 0.0}},
          {.lr = o.get_float("lr"),
           .momentum = o.get_float("momentum"),
           .nesterov = o.get_bool("nesterov")});
  const uint64_t seed = static_cast<uint64_t>(o.get_int("seed"));
  const int workers = static_cast<int>(o.get_int("workers"));
  data::LoaderOptions lo;
  lo.batch_size = o.get_int("batch_size");
  lo.num_workers = workers;
  lo.seed = seed;
  data::LoaderOptions test_lo = lo;
  test_lo.shuffle = false;
  if (dataset == "dvs128-gesture") lo.mixup = data::MixupOptions{};  // spec §4
  data::DataLoader train_loader(d.train, d.train_transform, lo);
  data::DataLoader test_loader(d.test, d.test_transform, test_lo);
  const int64_t per_epoch = train_loader.batches_per_epoch();
  const CosineSchedule schedule{
      .base_lr = o.get_float("lr"),
      .floor_lr = o.get_float("lr_floor"),
      .total_steps = o.get_int("epochs") * per_epoch,
      .warmup_steps = static_cast<int64_t>(o.get_float("warmup_epochs") * per_epoch)};

  std::string resume = o.get("resume");
  const std::string dir = run_directory(o, dataset, resume);
  std::ofstream(dir + "/args.txt") << o.str();
  std::ofstream(dir + "/command.txt") << command << "\n";
  std::printf(
      "train: %s %s, %s, T = %lld, %lld parameters, %lld train / %lld test samples\n"
      "train: run directory %s\n",
      dataset.c_str(), o.get("model").c_str(), o.get("neuron").c_str(),
      static_cast<long long>(o.get_int("T")), static_cast<long long>(model->num_parameters()),
      static_cast<long long>(d.train->size()), static_cast<long long>(d.test->size()), dir.c_str());
  Trainer trainer(*model, sgd, schedule, train_loader, test_loader, make_hooks(*model, o, d.events),
                  {.epochs = o.get_int("epochs"),
                   .max_steps = o.get_int("max_steps"),
                   .log_interval = o.get_int("log_interval"),
                   .save_every = o.get_int("save_every"),
                   .skip_nonfinite = o.get_bool("skip_nonfinite"),
                   .run_dir = dir,
                   .debug_nan_step = o.get_int("debug_nan_step"),
                   .metadata = tools::run_metadata(dataset, o, d),
                   .device = device,
                   .num_classes = d.num_classes});
  if (!resume.empty()) {
    trainer.resume(resume);
    std::printf("train: resumed %s at epoch %lld, step %lld\n", resume.c_str(),
                static_cast<long long>(trainer.state().epoch),
                static_cast<long long>(trainer.state().step));
  }
  if (o.get_bool("test_only")) {
    const EvalResult r = trainer.evaluate();
    std::printf("test: loss %.4f top-1 %.2f%% top-5 %.2f%%\n", r.loss, 100 * r.top1, 100 * r.top5);
    return 0;
  }
  install_sigint_handler();
  if (!trainer.run()) {
    std::printf("train: interrupted; saved %s/last.safetensors (resume=latest continues)\n",
                dir.c_str());
    if (std::ifstream(dir + "/summary.csv")) write_report_or_warn(dir);  // an epoch finished
    return 130;
  }
  std::printf("train: done, best test top-1 %.2f%%; run directory %s\n",
              100 * trainer.state().best_top1, dir.c_str());
  model->to(Device::cpu());  // the energy table counts on the CPU
  write_energy(*model, o, d, dir);
  // The training report (report.html and report/*.png); tools/report redraws it.
  write_report_or_warn(dir);
  return 0;
}

}  // namespace
}  // namespace staa::train

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string command = "./train";
  for (const std::string& a : args) command += " " + a;
  try {
    return staa::train::run(args, command);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
}
