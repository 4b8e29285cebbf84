// What the tools share about a training run: the trainer options -> snn::ModelOptions mapping,
// the metadata a checkpoint carries to describe its model, and rebuilding that model (weights
// loaded) from a checkpoint alone. Layer: tools (uses snn/ and trainer/). Invariant: a checkpoint
// written by tools/train holds the metadata keys of run_metadata(), so
// load_run_model(checkpoint) rebuilds exactly the trained network.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "data/loader.h"
#include "snn/network.h"
#include "trainer/datasets.h"
#include "trainer/options.h"

namespace staa::tools {

// The model of the trainer's options for a dataset with `num_classes` classes and `in_channels`.
snn::ModelOptions model_options(const train::Options& o, int64_t num_classes, int64_t in_channels);
// The side event frames are resized to for a model (48 for vggsnn, spec §3; 0: the sensor's).
int64_t frame_size_for(const std::string& model);

// Checkpoint metadata: "dataset", "options" (name=value lines), "num_classes", "in_channels".
std::map<std::string, std::string> run_metadata(const std::string& dataset, const train::Options& o,
                                                const train::DataSplits& data);

struct RunModel {
  std::string dataset;  // "fashion-mnist", "cifar10", ...
  train::Options options;
  int64_t num_classes = 0, in_channels = 0;
  std::shared_ptr<snn::SpikingNetwork> model;  // weights loaded, eval mode
};

// Rebuilds the model a tools/train checkpoint was written with and loads its weights; throws
// naming the file when the metadata is missing or does not match the tensors.
RunModel load_run_model(const std::string& checkpoint);

// The run's test split (the data_dir of its options unless `data_dir` is given; the first `subset`
// test samples, 0: all).
train::DataSplits load_run_data(const RunModel& run, const std::string& data_dir = "",
                                int64_t subset = 0);

// Test sample `index` with the test transform applied (deterministic: the loader's stream of
// epoch 0); an index out of range names it.
data::Sample test_sample(const train::DataSplits& data, int64_t index);
// The first `count` test samples (fewer when the split is smaller) with the test transform:
// inputs [N, ...sample shape] (images [N, C, H, W], frames [N, T, 2, H, W]) and labels [N].
data::Batch first_test_samples(const train::DataSplits& data, int64_t count);

}  // namespace staa::tools
