// CIFAR10-DVS (spec §5): 10 class folders of cifar10_<class>_<i>.aedat (AEDAT 2.0, 1000 a class),
// framed through the frame cache, and the split policies: first90 (first 90 % of each class by
// file index; the paper's 9:1), random90(seed) (a seeded 90 % of each class), tebn (samples
// 0-99 of each class are the test set, i.e. the first tenth). Layer: data.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/frame_cache.h"

namespace staa::data {

enum class DvsSplit { kFirst90, kRandom90, kTebn };

inline constexpr const char* kCifar10Classes[10] = {
    "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"};

struct Cifar10DvsOptions {
  FrameOptions frames{16, SplitBy::kCount, 128, 128};
  int64_t per_class = 1000;  // files per class (tests use fewer)
  DvsSplit split = DvsSplit::kFirst90;
  uint64_t split_seed = 0;  // random90 only
  std::string cache_dir;    // empty: <root>/frames_T<T>_<split_by>
  int threads = 2;
};

// Indices into the class-major order (class c, file i -> c * per_class + i) of the train or test
// part of a split; sorted ascending.
std::vector<int64_t> cifar10_dvs_split(int64_t per_class, DvsSplit split, uint64_t seed,
                                       bool train);
DvsSplit parse_dvs_split(const std::string& name);  // "first90", "random90", "tebn"

// All 10 * per_class samples, framed and cached, in class-major order.
std::shared_ptr<FrameCache> cifar10_dvs_frames(const std::string& root,
                                               const Cifar10DvsOptions& options = {});
// The train or test part of options.split.
std::shared_ptr<Dataset> cifar10_dvs(const std::string& root, bool train,
                                     const Cifar10DvsOptions& options = {});

}  // namespace staa::data
