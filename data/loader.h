// DataLoader: shuffles, transforms and batches a Dataset, with worker threads that decode and
// augment ahead of the training step through a bounded queue. Layer: data. A batch depends only
// on (seed, epoch, its position): the permutation is keyed by (seed, epoch), each sample's
// transforms by (seed, epoch, position in the epoch), mixup by (seed, epoch, batch), so any
// worker count gives the same batches, and LoaderState {epoch, batch} resumes mid-epoch exactly.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "data/dataset.h"
#include "data/transforms.h"
#include "tensor/tensor.h"

namespace staa::data {

// Mixup (Zhang et al.): with probability prob, lambda ~ Beta(alpha, alpha) and the batch is
// mixed with its reverse: x = lambda x + (1 - lambda) x[B-1-i]; labels_b = labels[B-1-i].
struct MixupOptions {
  double alpha = 0.2;
  double prob = 1.0;
};

struct LoaderOptions {
  int64_t batch_size = 128;
  bool shuffle = true;
  bool drop_last = false;
  int num_workers = 0;       // 0: batches are made on the caller's thread
  int prefetch_batches = 4;  // the queue bound: batches made ahead of the one consumed
  uint64_t seed = 0;
  std::optional<MixupOptions> mixup;
};

// Where a loader stands: the next batch to hand out is `batch` of `epoch`. A checkpoint stores
// it; to_string() / parse() give a one-line text form ("epoch 3 batch 17").
struct LoaderState {
  int64_t epoch = 0;
  int64_t batch = 0;
  std::string to_string() const;
  static LoaderState parse(const std::string& text);
  bool operator==(const LoaderState&) const = default;
};

struct Batch {
  Tensor inputs;            // [B, ...sample shape]: [B, C, H, W] images, [B, T, 2, H, W] frames
  Tensor labels;            // [B] i64
  Tensor mix_labels;        // [B] i64, the partner labels (defined only when mixup applied)
  double mix_lambda = 1.0;  // weight of `labels`; loss = l * CE(labels) + (1 - l) * CE(mix_labels)
  int64_t epoch = 0;
  int64_t index = 0;  // batch index within the epoch
};

class DataLoader {
 public:
  DataLoader(std::shared_ptr<const Dataset> dataset, TransformPtr transform, LoaderOptions options);
  ~DataLoader();
  DataLoader(const DataLoader&) = delete;
  DataLoader& operator=(const DataLoader&) = delete;

  int64_t batches_per_epoch() const;
  // The next batch of the current epoch; nullopt once the epoch is done, after which the state
  // is {epoch + 1, 0} and the next call starts the next epoch.
  std::optional<Batch> next();
  LoaderState state() const { return {epoch_, next_batch_}; }
  void set_state(const LoaderState& state);
  // The dataset indices of epoch `epoch` in batch order (the permutation, or 0..N-1).
  std::vector<int64_t> epoch_order(int64_t epoch) const;

 private:
  Batch make_batch(int64_t epoch, int64_t batch, const std::vector<int64_t>& order) const;
  void start_workers();
  void stop_workers();
  void worker_loop();

  std::shared_ptr<const Dataset> dataset_;
  TransformPtr transform_;
  LoaderOptions options_;
  int64_t epoch_ = 0, next_batch_ = 0;
  std::vector<int64_t> order_;  // of epoch_
  int64_t order_epoch_ = -1;

  // Worker state (guarded by mutex_): batches [next_batch_, next_batch_ + prefetch) may be made.
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::thread> workers_;
  bool stop_ = false;
  int64_t claim_ = 0;               // next batch index a worker takes
  int64_t consumed_ = 0;            // mirror of next_batch_ for the workers
  std::map<int64_t, Batch> ready_;  // made, not yet handed out
  std::exception_ptr failure_;      // the first error of a worker, rethrown by next()
  int64_t failure_batch_ = -1;
};

}  // namespace staa::data
