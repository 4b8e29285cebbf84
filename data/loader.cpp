// DataLoader (see loader.h). Layer: data. Workers claim whole batches in index order, at most
// prefetch_batches ahead of the consumer; next() hands them out strictly in order. A worker's
// error is rethrown by next() on the caller's thread when the batch it failed on is due.
#include "data/loader.h"

#include <algorithm>
#include <cstring>
#include <numeric>
#include <sstream>

#include "tensor/error.h"

namespace staa::data {

std::string LoaderState::to_string() const {
  return "epoch " + std::to_string(epoch) + " batch " + std::to_string(batch);
}

LoaderState LoaderState::parse(const std::string& text) {
  std::istringstream in(text);
  std::string w1, w2, rest;
  LoaderState s;
  const bool ok = static_cast<bool>(in >> w1 >> s.epoch >> w2 >> s.batch) && !(in >> rest) &&
                  w1 == "epoch" && w2 == "batch" && s.epoch >= 0 && s.batch >= 0;
  STAA_CHECK(ok, "LoaderState: expected 'epoch <E> batch <B>' with E, B >= 0, found '", text, "'");
  return s;
}

DataLoader::DataLoader(std::shared_ptr<const Dataset> dataset, TransformPtr transform,
                       LoaderOptions options)
    : dataset_(std::move(dataset)), transform_(std::move(transform)), options_(options) {
  STAA_CHECK(dataset_ != nullptr, "DataLoader: expected a dataset, found null");
  STAA_CHECK(options_.batch_size > 0, "DataLoader: expected batch_size > 0, found ",
             options_.batch_size);
  STAA_CHECK(options_.num_workers >= 0 && options_.prefetch_batches >= 1,
             "DataLoader: expected num_workers >= 0 and prefetch_batches >= 1, found ",
             options_.num_workers, " and ", options_.prefetch_batches);
  STAA_CHECK(!options_.mixup || (options_.mixup->alpha > 0 && options_.mixup->prob >= 0 &&
                                 options_.mixup->prob <= 1),
             "DataLoader: expected mixup alpha > 0 and prob in [0, 1]");
}

DataLoader::~DataLoader() {
  stop_workers();
}

int64_t DataLoader::batches_per_epoch() const {
  const int64_t n = dataset_->size(), b = options_.batch_size;
  return options_.drop_last ? n / b : (n + b - 1) / b;
}

std::vector<int64_t> DataLoader::epoch_order(int64_t epoch) const {
  std::vector<int64_t> order(static_cast<size_t>(dataset_->size()));
  std::iota(order.begin(), order.end(), int64_t{0});
  if (!options_.shuffle) return order;
  SampleRng rng(options_.seed, RngDomain::kShuffle, static_cast<uint64_t>(epoch), 0);
  for (int64_t i = static_cast<int64_t>(order.size()) - 1; i > 0; --i) {
    std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(rng.below(i + 1))]);
  }
  return order;
}

void DataLoader::set_state(const LoaderState& state) {
  STAA_CHECK(state.epoch >= 0 && state.batch >= 0 && state.batch <= batches_per_epoch(),
             "DataLoader: expected a state with batch in [0, ", batches_per_epoch(), "], found ",
             state.to_string());
  stop_workers();
  epoch_ = state.epoch;
  next_batch_ = state.batch;
}

Batch DataLoader::make_batch(int64_t epoch, int64_t batch,
                             const std::vector<int64_t>& order) const {
  const int64_t first = batch * options_.batch_size;
  const int64_t count = std::min(options_.batch_size, dataset_->size() - first);
  Batch out;
  out.epoch = epoch;
  out.index = batch;
  out.labels = Tensor::empty(Shape{count}, kI64);
  Shape sample_shape;
  int64_t per_sample = 0;
  for (int64_t k = 0; k < count; ++k) {
    const int64_t position = first + k, index = order[static_cast<size_t>(position)];
    Sample s = dataset_->get(index);
    SampleRng rng(options_.seed, RngDomain::kSample, static_cast<uint64_t>(epoch),
                  static_cast<uint64_t>(position));
    if (transform_) transform_->apply(s, rng);
    if (k == 0) {
      sample_shape = s.shape;
      per_sample = s.shape.numel();
      std::vector<int64_t> dims = {count};
      for (const int64_t d : s.shape) dims.push_back(d);
      out.inputs = Tensor::empty(Shape(dims), kF32);
    }
    STAA_CHECK(s.shape == sample_shape, "DataLoader: sample ", index, " has shape ", s.shape,
               " after the transforms, the batch's first sample has ", sample_shape,
               " (add a crop or resize so every sample has one shape)");
    std::memcpy(out.inputs.data<float>() + k * per_sample, s.values.data(),
                static_cast<size_t>(per_sample) * sizeof(float));
    out.labels.data<int64_t>()[k] = s.label;
  }
  if (!options_.mixup) return out;
  SampleRng rng(options_.seed, RngDomain::kBatch, static_cast<uint64_t>(epoch),
                static_cast<uint64_t>(batch));
  if (!rng.bernoulli(options_.mixup->prob)) return out;
  const double lambda = rng.beta(options_.mixup->alpha, options_.mixup->alpha);
  const float l = static_cast<float>(lambda), r = 1.0f - l;
  Tensor mixed = Tensor::empty(out.inputs.shape(), kF32);
  out.mix_labels = Tensor::empty(Shape{count}, kI64);
  const float* x = out.inputs.data<float>();
  float* y = mixed.data<float>();
  for (int64_t k = 0; k < count; ++k) {
    const float* a = x + k * per_sample;
    const float* b = x + (count - 1 - k) * per_sample;
    for (int64_t i = 0; i < per_sample; ++i) y[k * per_sample + i] = l * a[i] + r * b[i];
    out.mix_labels.data<int64_t>()[k] = out.labels.data<int64_t>()[count - 1 - k];
  }
  out.inputs = mixed;
  out.mix_lambda = lambda;
  return out;
}

std::optional<Batch> DataLoader::next() {
  if (next_batch_ >= batches_per_epoch()) {
    stop_workers();
    ++epoch_;
    next_batch_ = 0;
    return std::nullopt;
  }
  if (order_epoch_ != epoch_) {
    stop_workers();
    order_ = epoch_order(epoch_);
    order_epoch_ = epoch_;
  }
  if (options_.num_workers == 0) {
    Batch b = make_batch(epoch_, next_batch_, order_);
    ++next_batch_;
    return b;
  }
  if (workers_.empty()) start_workers();
  std::unique_lock<std::mutex> lock(mutex_);
  cv_.wait(lock, [&] { return ready_.count(next_batch_) > 0 || failure_batch_ == next_batch_; });
  if (ready_.count(next_batch_) == 0) {
    std::exception_ptr failure = failure_;
    lock.unlock();
    stop_workers();
    std::rethrow_exception(failure);
  }
  Batch b = std::move(ready_[next_batch_]);
  ready_.erase(next_batch_);
  consumed_ = ++next_batch_;
  lock.unlock();
  cv_.notify_all();
  return b;
}

void DataLoader::start_workers() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = false;
    claim_ = consumed_ = next_batch_;
    ready_.clear();
    failure_ = nullptr;
    failure_batch_ = -1;
  }
  for (int i = 0; i < options_.num_workers; ++i) workers_.emplace_back([this] { worker_loop(); });
}

void DataLoader::stop_workers() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : workers_) t.join();
  workers_.clear();
  ready_.clear();
}

void DataLoader::worker_loop() {
  const int64_t total = batches_per_epoch();
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stop_) {
    if (failure_ || claim_ >= total || claim_ >= consumed_ + options_.prefetch_batches) {
      cv_.wait(lock);
      continue;
    }
    const int64_t b = claim_++;
    lock.unlock();
    try {
      Batch made = make_batch(epoch_, b, order_);
      lock.lock();
      ready_.emplace(b, std::move(made));
    } catch (...) {
      lock.lock();
      if (!failure_ || b < failure_batch_) {
        failure_ = std::current_exception();
        failure_batch_ = b;
      }
    }
    cv_.notify_all();
  }
}

}  // namespace staa::data
