// DataLoader: batches depend only on (seed, epoch) whatever the worker count, a loader resumed
// mid-epoch yields exactly the remaining batches, drop_last, mixup, and worker errors reaching
// the caller at the batch that failed. Layer: tests.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "data/loader.h"
#include "expect_error.h"

namespace staa::test {
namespace {

using namespace staa::data;

// Sample i: [3, 32, 32] with value (i * 31 + k) % 97 / 97, label i % 10; index `bad` throws.
class Synthetic : public Dataset {
 public:
  explicit Synthetic(int64_t n, int64_t bad = -1) : n_(n), bad_(bad) {}
  int64_t size() const override { return n_; }
  int64_t num_classes() const override { return 10; }
  int64_t label(int64_t i) const override { return i % 10; }
  Sample get(int64_t i) const override {
    STAA_CHECK(i != bad_, "synthetic: sample ", i, " is unreadable");
    Sample s{Shape{3, 32, 32}, std::vector<float>(3072), i % 10};
    for (int k = 0; k < 3072; ++k) s.values[k] = static_cast<float>((i * 31 + k) % 97) / 97.0f;
    return s;
  }

 private:
  int64_t n_, bad_;
};

struct Flat {
  std::vector<double> inputs;
  std::vector<double> labels;
  int64_t index;
  bool operator==(const Flat&) const = default;
};

std::vector<Flat> run_epoch(DataLoader& loader) {
  std::vector<Flat> out;
  while (auto b = loader.next())
    out.push_back({b->inputs.to_vector(), b->labels.to_vector(), b->index});
  return out;
}

LoaderOptions options(int workers, uint64_t seed = 5) {
  LoaderOptions o;
  o.batch_size = 16;
  o.num_workers = workers;
  o.seed = seed;
  o.prefetch_batches = 2;
  return o;
}

std::shared_ptr<const Dataset> synthetic(int64_t n) {
  return std::make_shared<Synthetic>(n);
}
TransformPtr augment() {
  return cifar_train_transform(kCifar10Mean, kCifar10Std);
}

TEST(Loader, SameSeedSameBatchesWithOneAndFourWorkers) {
  DataLoader one(synthetic(100), augment(), options(1));
  DataLoader four(synthetic(100), augment(), options(4));
  DataLoader inline_(synthetic(100), augment(), options(0));
  for (int epoch = 0; epoch < 2; ++epoch) {
    const auto a = run_epoch(one), b = run_epoch(four), c = run_epoch(inline_);
    ASSERT_EQ(a.size(), 7u);  // 100 / 16 rounded up
    EXPECT_TRUE(a == b) << "epoch " << epoch;
    EXPECT_TRUE(a == c) << "epoch " << epoch;
  }
  EXPECT_EQ(one.state(), (LoaderState{2, 0}));
}

TEST(Loader, EpochsAndSeedsShuffleDifferently) {
  DataLoader a(synthetic(50), nullptr, options(0, 1));
  DataLoader b(synthetic(50), nullptr, options(0, 2));
  const auto order0 = a.epoch_order(0), order1 = a.epoch_order(1), other = b.epoch_order(0);
  EXPECT_NE(order0, order1);
  EXPECT_NE(order0, other);
  std::vector<int64_t> sorted = order0;
  std::sort(sorted.begin(), sorted.end());
  for (int64_t i = 0; i < 50; ++i) EXPECT_EQ(sorted[i], i);
  // The batches follow the order: batch 0's labels are order0[0..16) % 10.
  const auto batch = a.next();
  for (int k = 0; k < 16; ++k) EXPECT_EQ(batch->labels.to_vector()[k], order0[k] % 10);
}

TEST(Loader, ResumedMidEpochYieldsExactlyTheRemainingBatches) {
  DataLoader full(synthetic(100), augment(), options(2));
  run_epoch(full);  // epoch 0
  const auto epoch1 = run_epoch(full);
  for (int workers : {0, 3}) {
    DataLoader first(synthetic(100), augment(), options(workers));
    run_epoch(first);
    for (int k = 0; k < 3; ++k) first.next();
    const LoaderState saved = LoaderState::parse(first.state().to_string());
    EXPECT_EQ(saved, (LoaderState{1, 3}));
    DataLoader resumed(synthetic(100), augment(), options(workers));
    resumed.set_state(saved);
    const auto rest = run_epoch(resumed);
    ASSERT_EQ(rest.size(), epoch1.size() - 3);
    for (size_t i = 0; i < rest.size(); ++i) EXPECT_TRUE(rest[i] == epoch1[i + 3]) << i;
    EXPECT_EQ(resumed.state(), (LoaderState{2, 0}));
  }
}

TEST(Loader, DropLast) {
  LoaderOptions o = options(0);
  o.batch_size = 4;
  DataLoader keep(synthetic(10), nullptr, o);
  o.drop_last = true;
  DataLoader drop(synthetic(10), nullptr, o);
  const auto k = run_epoch(keep), d = run_epoch(drop);
  ASSERT_EQ(k.size(), 3u);
  EXPECT_EQ(k.back().labels.size(), 2u);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(drop.batches_per_epoch(), 2);
}

TEST(Loader, BatchShapesAndDtypes) {
  DataLoader loader(synthetic(20), nullptr, options(0));
  const auto b = loader.next();
  EXPECT_EQ(b->inputs.shape(), (Shape{16, 3, 32, 32}));
  EXPECT_EQ(b->inputs.dtype(), kF32);
  EXPECT_EQ(b->labels.shape(), (Shape{16}));
  EXPECT_EQ(b->labels.dtype(), kI64);
}

TEST(Loader, MixupBlendsEachSampleWithItsMirror) {
  LoaderOptions o = options(0);
  DataLoader plain(synthetic(32), nullptr, o);
  o.mixup = MixupOptions{0.4, 1.0};
  DataLoader mixed(synthetic(32), nullptr, o);
  const auto p = plain.next();
  const auto m = mixed.next();
  const double l = m->mix_lambda;
  EXPECT_GT(l, 0.0);
  EXPECT_LT(l, 1.0);
  const auto x = p->inputs.to_vector(), y = m->inputs.to_vector();
  const auto labels = p->labels.to_vector(), partner = m->mix_labels.to_vector();
  for (int k = 0; k < 16; ++k) {
    EXPECT_EQ(partner[k], labels[15 - k]);
    for (int i = 0; i < 3072; i += 101) {
      EXPECT_NEAR(y[k * 3072 + i], l * x[k * 3072 + i] + (1 - l) * x[(15 - k) * 3072 + i], 1e-6);
    }
  }
}

TEST(Loader, WorkerErrorReachesTheCallerAtItsBatch) {
  LoaderOptions o = options(2);
  o.shuffle = false;
  DataLoader loader(std::make_shared<Synthetic>(64, /*bad=*/35), nullptr, o);
  EXPECT_TRUE(loader.next().has_value());  // batches 0 and 1 are fine
  EXPECT_TRUE(loader.next().has_value());
  expect_error([&] { loader.next(); }, {"synthetic: sample 35 is unreadable"});
  EXPECT_EQ(loader.state(), (LoaderState{0, 2}));
}

TEST(Loader, SamplesOfDifferentShapesAreAnError) {
  DataLoader loader(synthetic(4), std::make_shared<RandomResizedCrop>(8), options(0));
  EXPECT_TRUE(loader.next().has_value());  // all resized to 8x8: fine
  class Ragged : public Synthetic {
   public:
    Ragged() : Synthetic(4) {}
    Sample get(int64_t i) const override {
      Sample s = Synthetic::get(i);
      if (i == 2) s.shape = Shape{3, 16, 64};
      return s;
    }
  };
  DataLoader ragged(std::make_shared<Ragged>(), nullptr, [] {
    LoaderOptions o = options(0);
    o.shuffle = false;
    return o;
  }());
  expect_error([&] { ragged.next(); },
               {"sample 2 has shape [3,16,64]", "first sample has [3,32,32]"});
}

TEST(Loader, StateTextRoundTripAndErrors) {
  EXPECT_EQ(LoaderState::parse("epoch 12 batch 7"), (LoaderState{12, 7}));
  expect_error([] { LoaderState::parse("epoch 1 batch"); }, {"expected 'epoch <E> batch <B>'"});
  DataLoader loader(synthetic(20), nullptr, options(0));
  expect_error([&] { loader.set_state({0, 5}); }, {"batch in [0, 2]", "epoch 0 batch 5"});
}

}  // namespace
}  // namespace staa::test
