// CIFAR10-DVS (see cifar10_dvs.h). Layer: data. Every listed file must exist before the cache is
// built, so a partial download is reported at once, with the download hint.
#include "data/cifar10_dvs.h"

#include <algorithm>
#include <filesystem>
#include <numeric>

#include "data/download.h"
#include "data/io.h"
#include "data/random.h"
#include "tensor/error.h"

namespace staa::data {
namespace {

namespace fs = std::filesystem;

std::string sample_path(const std::string& root, int64_t cls, int64_t i) {
  const std::string name = kCifar10Classes[cls];
  return (fs::path(root) / name / ("cifar10_" + name + "_" + std::to_string(i) + ".aedat"))
      .string();
}

}  // namespace

DvsSplit parse_dvs_split(const std::string& name) {
  if (name == "first90") return DvsSplit::kFirst90;
  if (name == "random90") return DvsSplit::kRandom90;
  if (name == "tebn") return DvsSplit::kTebn;
  STAA_FAIL("cifar10_dvs: expected a split of first90, random90, tebn, found '", name, "'");
}

std::vector<int64_t> cifar10_dvs_split(int64_t per_class, DvsSplit split, uint64_t seed,
                                       bool train) {
  STAA_CHECK(per_class >= 10, "cifar10_dvs_split: expected at least 10 samples a class, found ",
             per_class);
  const int64_t n_train =
      split == DvsSplit::kTebn ? per_class - per_class / 10 : per_class * 9 / 10;
  std::vector<int64_t> out;
  for (int64_t c = 0; c < 10; ++c) {
    std::vector<int64_t> order(static_cast<size_t>(per_class));
    std::iota(order.begin(), order.end(), int64_t{0});
    if (split == DvsSplit::kRandom90) {
      SampleRng rng(seed, RngDomain::kSplit, 0, static_cast<uint64_t>(c));
      for (int64_t i = per_class - 1; i > 0; --i) std::swap(order[i], order[rng.below(i + 1)]);
    } else if (split == DvsSplit::kTebn) {
      std::rotate(order.begin(), order.begin() + per_class / 10, order.end());  // test first
    }
    const auto begin = order.begin() + (train ? 0 : n_train);
    const auto end = train ? order.begin() + n_train : order.end();
    for (auto it = begin; it != end; ++it) out.push_back(c * per_class + *it);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::shared_ptr<FrameCache> cifar10_dvs_frames(const std::string& root,
                                               const Cifar10DvsOptions& options) {
  const std::string hint = how_to_get("cifar10-dvs", root);
  require_directory(root, "CIFAR10-DVS folder", hint);
  for (int64_t c = 0; c < 10; ++c) {
    require_directory((fs::path(root) / kCifar10Classes[c]).string(),
                      std::string("CIFAR10-DVS class folder '") + kCifar10Classes[c] + "'", hint);
    for (int64_t i = 0; i < options.per_class; ++i) {
      const std::string p = sample_path(root, c, i);
      std::error_code ec;
      STAA_CHECK(fs::is_regular_file(p, ec), p, ": expected CIFAR10-DVS sample ", i, " of class '",
                 kCifar10Classes[c], "' (", options.per_class, " a class), found no such file",
                 hint_suffix(hint));
    }
  }
  const FrameOptions& f = options.frames;
  EventSource source;
  source.key = "cifar10-dvs " + fs::absolute(root).string() +
               " per_class=" + std::to_string(options.per_class) +
               " T=" + std::to_string(f.frames) + " split=" + split_by_name(f.split_by);
  source.num_classes = 10;
  source.frames = f;
  source.group_sizes.assign(static_cast<size_t>(10 * options.per_class), 1);
  const int64_t per_class = options.per_class;
  source.read_group = [root, per_class, hint](int64_t g) {
    const std::string path = sample_path(root, g / per_class, g % per_class);
    return std::vector<EventSource::Item>{{g / per_class, read_aedat2(path, hint), path}};
  };
  const std::string dir = !options.cache_dir.empty()
                              ? options.cache_dir
                              : (fs::path(root) / ("frames_T" + std::to_string(f.frames) + "_" +
                                                   split_by_name(f.split_by)))
                                    .string();
  return std::make_shared<FrameCache>(dir, source, options.threads);
}

std::shared_ptr<Dataset> cifar10_dvs(const std::string& root, bool train,
                                     const Cifar10DvsOptions& options) {
  std::shared_ptr<FrameCache> all = cifar10_dvs_frames(root, options);
  return std::make_shared<Subset>(
      all, cifar10_dvs_split(options.per_class, options.split, options.split_seed, train));
}

}  // namespace staa::data
