// Dataset names of the CLI to data-layer datasets and transforms (train/datasets.h). Layer: train.
#include "trainer/datasets.h"

#include <filesystem>
#include <numeric>

#include "data/cifar.h"
#include "data/cifar10_dvs.h"
#include "data/download.h"
#include "data/gesture.h"
#include "data/idx.h"
#include "data/image_folder.h"

namespace staa::train {

namespace {

namespace fs = std::filesystem;

bool downloadable(const std::string& name) {
  return name == "cifar10" || name == "cifar100" || name == "fashion-mnist" || name == "mnist" ||
         name == "cifar10-dvs";
}

// Debian's dataset-fashion-mnist is the fallback when data_dir holds no Fashion-MNIST.
std::string idx_root(const DataRequest& r) {
  const std::string debian = "/usr/share/datasets/fashion-mnist";
  if (r.name == "fashion-mnist" && !fs::exists(r.root) && fs::exists(debian)) return debian;
  return r.root;
}

data::TransformPtr resize_events(int64_t size, data::TransformPtr then) {
  std::vector<data::TransformPtr> ops;
  if (then) ops.push_back(then);
  if (size > 0) ops.push_back(std::make_shared<data::Resize>(size));
  return std::make_shared<data::Compose>(ops);
}

DataSplits load(const DataRequest& r) {
  DataSplits s;
  if (r.name == "fashion-mnist" || r.name == "mnist") {
    const std::string root = idx_root(r);
    s.train = std::make_shared<data::IdxDataset>(data::mnist_like(root, true, r.name));
    s.test = std::make_shared<data::IdxDataset>(data::mnist_like(root, false, r.name));
    s.in_channels = 1;
    const std::vector<float> mean{r.name == "mnist" ? 0.1307f : 0.2860f},
        std{r.name == "mnist" ? 0.3081f : 0.3530f};
    s.train_transform = s.test_transform = std::make_shared<data::Normalize>(mean, std);
  } else if (r.name == "cifar10" || r.name == "cifar100") {
    const auto kind = r.name == "cifar10" ? data::CifarKind::kCifar10 : data::CifarKind::kCifar100;
    s.train = std::make_shared<data::CifarDataset>(r.root, kind, true);
    s.test = std::make_shared<data::CifarDataset>(r.root, kind, false);
    const auto& mean = r.name == "cifar10" ? data::kCifar10Mean : data::kCifar100Mean;
    const auto& std = r.name == "cifar10" ? data::kCifar10Std : data::kCifar100Std;
    s.train_transform = data::cifar_train_transform(mean, std);
    s.test_transform = data::cifar_test_transform(mean, std);
    s.in_channels = 3;
  } else if (r.name == "imagenet") {
    s.train = std::make_shared<data::ImageFolder>(data::imagenet(r.root, true));
    s.test = std::make_shared<data::ImageFolder>(data::imagenet(r.root, false));
    s.train_transform = data::imagenet_train_transform();
    s.test_transform = data::imagenet_test_transform();
    s.in_channels = 3;
  } else if (r.name == "cifar10-dvs") {
    data::Cifar10DvsOptions o;
    o.frames.frames = r.time_steps;
    s.train = data::cifar10_dvs(r.root, true, o);
    s.test = data::cifar10_dvs(r.root, false, o);
    s.train_transform = resize_events(r.frame_size, data::cifar10_dvs_train_transform());
    s.test_transform = resize_events(r.frame_size, nullptr);
    s.in_channels = 2;
    s.events = true;
  } else {  // dvs128-gesture
    data::GestureOptions o;
    o.frames.frames = r.time_steps;
    s.train = data::dvs128_gesture(r.root, true, o);
    s.test = data::dvs128_gesture(r.root, false, o);
    s.train_transform = resize_events(r.frame_size, data::gesture_train_transform());
    s.test_transform = resize_events(r.frame_size, nullptr);
    s.in_channels = 2;
    s.events = true;
  }
  s.num_classes = s.train->num_classes();
  return s;
}

std::shared_ptr<const data::Dataset> first_samples(std::shared_ptr<const data::Dataset> d,
                                                   int64_t count) {
  if (count <= 0 || count >= d->size()) return d;
  std::vector<int64_t> first(static_cast<size_t>(count));
  std::iota(first.begin(), first.end(), 0);
  return std::make_shared<data::Subset>(d, first);
}

}  // namespace

DataSplits make_datasets(const DataRequest& r) {
  if (r.download && downloadable(r.name) && !(r.name == "fashion-mnist" && idx_root(r) != r.root))
    data::download(r.name, r.root);
  DataSplits s;
  try {
    s = load(r);
  } catch (const Error& e) {
    if (!downloadable(r.name)) throw;
    STAA_FAIL(e.what(), "\n(or run again with --download to fetch ", r.name, " into ", r.root, ")");
  }
  s.train = first_samples(s.train, r.train_subset);
  s.test = first_samples(s.test, r.test_subset);
  return s;
}

}  // namespace staa::train
