// The trainer's datasets: a dataset name of the CLI -> train and test sets with the transforms of
// the spec §4 recipes, the number of classes and the input layout. Layer: train. Missing data
// raises the data layer's message (what is missing, how to get it) plus the --download hint.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "data/dataset.h"
#include "data/transforms.h"

namespace staa::train {

struct DataSplits {
  std::shared_ptr<const data::Dataset> train, test;
  data::TransformPtr train_transform, test_transform;
  int64_t num_classes = 0;
  int64_t in_channels = 0;  // 1 (MNIST), 3 (images), 2 (event frames)
  bool events = false;      // samples are [T, 2, H, W] frames
};

struct DataRequest {
  std::string name;  // one of train::Options::datasets()
  std::string root;  // the folder of this dataset (data_dir/<name>)
  int64_t time_steps = 4;
  int64_t frame_size = 0;    // event frames are resized to this side (0: sensor size, 128)
  bool download = false;     // fetch it first when a URL serves it
  int64_t train_subset = 0;  // first N training samples (0: all)
  int64_t test_subset = 0;   // first N test samples (0: all)
};

DataSplits make_datasets(const DataRequest& request);

}  // namespace staa::train
