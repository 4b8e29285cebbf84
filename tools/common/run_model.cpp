// Rebuilding a run's model from a checkpoint (tools/common/run_model.h). Layer: tools.
#include "tools/common/run_model.h"

#include <algorithm>
#include <cstdlib>
#include <sstream>

#include "data/random.h"
#include "trainer/checkpoint.h"

namespace staa::tools {

snn::ModelOptions model_options(const train::Options& o, int64_t num_classes, int64_t in_channels) {
  snn::ModelOptions m;
  m.num_classes = num_classes;
  m.in_channels = in_channels;
  m.seed = static_cast<uint64_t>(o.get_int("seed"));
  snn::NeuronOptions& n = m.neuron;
  const std::string& kind = o.get("neuron");
  n.kind = kind == "lif"        ? snn::NeuronKind::kLif
           : kind == "adaptive" ? snn::NeuronKind::kAdaptive
                                : snn::NeuronKind::kStaa;
  n.time_steps = o.get_int("T");
  n.staa.gc = o.get_bool("gc");
  n.staa.pe = o.get_bool("pe");
  n.staa.sa = o.get_bool("sa");
  n.staa.tsrd = o.get_bool("tsrd");
  n.staa.alpha = o.get_float("alpha");
  n.staa.beta = o.get_float("beta");
  return m;
}

int64_t frame_size_for(const std::string& model) {
  return model == "vggsnn" ? 48 : 0;
}

std::map<std::string, std::string> run_metadata(const std::string& dataset, const train::Options& o,
                                                const train::DataSplits& data) {
  std::string options;
  for (const train::Option& option : o.all()) options += option.name + "=" + option.value + "\n";
  return {{"dataset", dataset},
          {"options", options},
          {"num_classes", std::to_string(data.num_classes)},
          {"in_channels", std::to_string(data.in_channels)}};
}

namespace {

const std::string& require(const std::map<std::string, std::string>& meta, const std::string& key,
                           const std::string& path) {
  const auto it = meta.find(key);
  STAA_CHECK(it != meta.end(), "checkpoint ", path, ": metadata key '", key,
             "' is missing; only checkpoints written by ./train describe their model");
  return it->second;
}

int64_t positive(const std::string& value, const std::string& key, const std::string& path) {
  char* end = nullptr;
  const long long v = std::strtoll(value.c_str(), &end, 10);
  STAA_CHECK(end && *end == '\0' && v > 0, "checkpoint ", path, ": metadata '", key,
             "' should be a positive integer, got '", value, "'");
  return v;
}

}  // namespace

RunModel load_run_model(const std::string& checkpoint) {
  train::Checkpoint c = train::read_checkpoint(checkpoint);
  const auto& meta = c.state.extra;
  const std::string& dataset = require(meta, "dataset", checkpoint);
  RunModel run{dataset, train::Options(dataset), 0, 0, nullptr};
  std::istringstream lines(require(meta, "options", checkpoint));
  for (std::string line; std::getline(lines, line);) {
    const size_t eq = line.find('=');
    STAA_CHECK(eq != std::string::npos, "checkpoint ", checkpoint,
               ": metadata 'options' line should be name=value, got '", line, "'");
    // An option this build does not know (a newer run's) cannot shape a model it can build; the
    // strict load below still catches any mismatch in the tensors.
    const std::string name = line.substr(0, eq);
    bool known = false;
    for (const train::Option& o : run.options.all()) known = known || o.name == name;
    if (known) run.options.set(name, line.substr(eq + 1), "checkpoint");
  }
  run.num_classes = positive(require(meta, "num_classes", checkpoint), "num_classes", checkpoint);
  run.in_channels = positive(require(meta, "in_channels", checkpoint), "in_channels", checkpoint);
  run.model = snn::make_model(run.options.get("model"),
                              model_options(run.options, run.num_classes, run.in_channels));
  run.model->load_state_dict(c.model, true);
  run.model->eval();
  return run;
}

train::DataSplits load_run_data(const RunModel& run, const std::string& data_dir, int64_t subset) {
  const std::string root = (data_dir.empty() ? run.options.get("data_dir") : data_dir);
  return train::make_datasets({run.dataset, root + "/" + run.dataset, run.options.get_int("T"),
                               frame_size_for(run.options.get("model")), false, 1, subset});
}

data::Sample test_sample(const train::DataSplits& data, int64_t index) {
  STAA_CHECK(index >= 0 && index < data.test->size(), "sample ", index,
             " is outside the test split [0, ", data.test->size(), ")");
  data::Sample s = data.test->get(index);
  data::SampleRng rng(0, data::RngDomain::kSample, 0, static_cast<uint64_t>(index));
  if (data.test_transform) data.test_transform->apply(s, rng);
  return s;
}

data::Batch first_test_samples(const train::DataSplits& data, int64_t count) {
  const int64_t n = std::min(count, data.test->size());
  STAA_CHECK(n > 0, "first_test_samples: asked for ", count, " samples of a test split of ",
             data.test->size());
  std::vector<float> values;
  std::vector<int64_t> labels;
  Shape shape;
  for (int64_t i = 0; i < n; ++i) {
    const data::Sample s = test_sample(data, i);
    shape = s.shape;
    values.insert(values.end(), s.values.begin(), s.values.end());
    labels.push_back(s.label);
  }
  std::vector<int64_t> dims = shape.vec();
  dims.insert(dims.begin(), n);
  data::Batch b;
  b.inputs = from_vector(values, Shape(dims));
  b.labels = from_vector(labels, Shape{static_cast<int64_t>(labels.size())});
  return b;
}

}  // namespace staa::tools
