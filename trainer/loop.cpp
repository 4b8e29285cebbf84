// The training loop (train/loop.h). Layer: train.
#include "trainer/loop.h"

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <fstream>
#include <map>

#include "autograd/ops.h"
#include "trainer/metrics.h"

namespace staa::train {

namespace {

std::atomic<bool> g_interrupted{false};

extern "C" void on_sigint(int) {
  g_interrupted = true;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

bool all_finite(const Tensor& t) {
  NoGradGuard no_grad;
  return std::isfinite(sum(t).item());
}

}  // namespace

bool interrupted() {
  return g_interrupted;
}

void install_sigint_handler() {
  std::signal(SIGINT, on_sigint);
}

Trainer::Trainer(nn::Module& model, Sgd& optimizer, CosineSchedule schedule,
                 data::DataLoader& train, data::DataLoader& test, ModelHooks hooks,
                 LoopConfig config)
    : model_(model),
      optimizer_(optimizer),
      schedule_(schedule),
      train_(train),
      test_(test),
      hooks_(std::move(hooks)),
      config_(std::move(config)),
      progress_(stdout, config_.log_interval) {}

void Trainer::resume(const std::string& checkpoint) {
  state_ = load_checkpoint(checkpoint, model_, optimizer_);
  const auto it = state_.extra.find("loader");
  STAA_CHECK(it != state_.extra.end(), "resume: checkpoint ", checkpoint,
             " has no loader position (metadata key 'loader')");
  train_.set_state(data::LoaderState::parse(it->second));
}

void Trainer::save(bool is_best) {
  if (config_.run_dir.empty()) return;
  state_.extra["loader"] = position_.value_or(train_.state()).to_string();
  for (const auto& [key, value] : config_.metadata) state_.extra[key] = value;
  save_checkpoint(config_.run_dir + "/last.safetensors", model_, optimizer_, state_);
  if (is_best) save_checkpoint(config_.run_dir + "/best.safetensors", model_, optimizer_, state_);
}

std::optional<data::Batch> Trainer::next_batch(data::DataLoader& loader) const {
  std::optional<data::Batch> batch = loader.next();
  if (!batch) return batch;
  if (config_.num_classes > 0) {
    for (const Tensor* labels : {&batch->labels, &batch->mix_labels}) {
      if (!labels->defined() || !labels->device().is_cpu()) continue;
      STAA_CHECK(labels->dtype() == kI64, "train: batch ", batch->index, ": labels must be i64");
      const int64_t* y = labels->data<int64_t>();
      for (int64_t i = 0; i < labels->numel(); ++i)
        STAA_CHECK(y[i] >= 0 && y[i] < config_.num_classes, "train: batch ", batch->index,
                   " of epoch ", batch->epoch + 1, ": label ", y[i], " of sample ", i,
                   " outside [0, ", config_.num_classes, ")");
    }
  }
  if (!config_.device.is_cpu()) {
    batch->inputs = batch->inputs.to(config_.device);
    batch->labels = batch->labels.to(config_.device);
    if (batch->mix_labels.defined()) batch->mix_labels = batch->mix_labels.to(config_.device);
  }
  return batch;
}

bool Trainer::report_nonfinite(const data::Batch& batch, double loss) {
  // The failure path: host reads here cost nothing that matters.
  std::string where;
  if (!std::isfinite(loss)) {
    // Replay the forward and name the first (innermost) module whose output is not finite.
    std::map<const nn::Module*, std::string> names;
    for (const auto& [n, m] : model_.named_modules()) names[m] = n.empty() ? "the model" : n;
    where = all_finite(batch.inputs) ? "" : "the input batch";
    nn::ForwardObserverGuard guard([&](const nn::Module& m, const Tensor&, const Tensor& y) {
      if (where.empty() && !all_finite(y)) where = "the output of " + names[&m];
    });
    NoGradGuard no_grad;
    hooks_.forward(batch);
    if (where.empty()) where = "the loss";
  } else {
    for (const auto& [name, p] : model_.named_parameters())
      if (p.grad().defined() && !all_finite(p.grad())) {
        where = "the gradient of " + name;
        break;
      }
    if (where.empty()) where = "a gradient";
  }
  STAA_CHECK(config_.skip_nonfinite, "train: a NaN or Inf at step ", state_.step + 1, " (epoch ",
             state_.epoch + 1, ", batch ", batch.index, "), first in ", where,
             "; lower the learning rate, or pass skip_nonfinite=1 to skip such steps");
  std::printf("train: skipping step %lld: a NaN or Inf in %s\n",
              static_cast<long long>(state_.step + 1), where.c_str());
  return false;
}

bool Trainer::train_step(const data::Batch& batch, RunningMean& loss, RunningMean& accuracy,
                         int64_t& images) {
  if (state_.step + 1 == config_.debug_nan_step) {  // tests of the NaN report
    NoGradGuard no_grad;
    Tensor first = model_.parameters().front();
    mul_(first, std::nan(""));
  }
  optimizer_.set_lr(schedule_.lr(state_.step));
  optimizer_.zero_grad();
  model_.reset_state();
  const StepOutput out = hooks_.forward(batch);
  backward(out.loss);
  // The one host read of a step: the finite check must decide before optimizer_.step(), and the
  // loss and top-1 hits of the progress line come in the same read, so they are read every step
  // rather than accumulated on the device. probe = [loss, top-1 hits, 0 or NaN], the last NaN
  // when the loss or any gradient is not finite: (loss + the sum of every gradient's sum) * 0, one
  // reduction per gradient and no gradient-sized temporary (added in f64; a gradient's own sum
  // overflows only past ~3e38, where the step is lost anyway).
  Tensor probe;
  {
    NoGradGuard no_grad;
    const Tensor loss_value = out.loss.detach();
    std::vector<Tensor> sums{reshape(loss_value.to(kF64), {1})};
    for (const Tensor& p : model_.parameters())
      if (p.grad().defined()) sums.push_back(reshape(sum(p.grad()).to(kF64), {1}));
    const Tensor nonfinite = sum(concat(sums, 0)) * 0.0;
    const Tensor hits = topk_hit_counts(out.logits.detach(), batch.labels);
    probe = concat({reshape(loss_value, {1}), slice(hits, 0, 1).to(loss_value.dtype()),
                    reshape(nonfinite.to(loss_value.dtype()), {1})},
                   0);
  }
  const std::vector<double> read = probe.to_vector();
  if (!std::isfinite(read[2]) && !report_nonfinite(batch, read[0])) return false;
  optimizer_.step();
  const int64_t B = batch.labels.shape()[0];
  images += B;
  loss.add(read[0], B);
  accuracy.add(read[1] / static_cast<double>(B), B);
  return true;
}

bool Trainer::train_epoch(double& loss_out, double& acc_out, int64_t& images) {
  model_.train();
  RunningMean loss, accuracy;
  const int64_t steps = train_.batches_per_epoch();
  const auto t0 = std::chrono::steady_clock::now();
  auto within_limit = [&](int64_t step) {
    return config_.max_steps <= 0 || step < config_.max_steps;
  };
  std::optional<data::Batch> batch;
  if (within_limit(state_.step)) batch = next_batch(train_);
  while (batch) {
    position_ = train_.state();
    // Prefetch: the next batch's copy to the device is queued before this step's kernels. It
    // goes through pinned staging, so the host does not wait for it and the GPU has the batch
    // when the next step starts (the copy and the kernels run in order on the default stream).
    std::optional<data::Batch> next;
    if (within_limit(state_.step + 1)) next = next_batch(train_);
    train_step(*batch, loss, accuracy, images);
    ++state_.step;
    const double elapsed = seconds_since(t0);
    const double rate = static_cast<double>(images) / std::max(elapsed, 1e-9);
    const int64_t left = steps - (batch->index + 1);
    progress_.update(
        {"train", state_.epoch + 1, config_.epochs, batch->index + 1, steps, loss.mean(),
         accuracy.mean(), optimizer_.lr(), rate,
         rate > 0 ? static_cast<double>(left * batch->labels.shape()[0]) / rate : 0.0});
    if (config_.save_every > 0 && state_.step % config_.save_every == 0) save(false);
    if (interrupted()) {
      progress_.finish();
      save(false);
      position_.reset();
      return false;
    }
    batch = std::move(next);
  }
  position_.reset();
  progress_.finish();
  loss_out = loss.mean();
  acc_out = accuracy.mean();
  return true;
}

EvalResult Trainer::evaluate(int64_t epoch) {
  model_.eval();
  NoGradGuard no_grad;
  if (hooks_.record_firing) hooks_.record_firing(true);
  RunningMean loss, top1, top5;
  const int64_t steps = test_.batches_per_epoch();
  test_.set_state({test_.state().epoch, 0});
  std::optional<data::Batch> batch = next_batch(test_);
  while (batch) {
    std::optional<data::Batch> next = next_batch(test_);  // prefetch, as in train_epoch
    model_.reset_state();
    const StepOutput out = hooks_.forward(*batch);
    const int64_t B = batch->labels.shape()[0];
    // One read per batch ([loss, top-1 hits, top-5 hits]): the progress line shows them.
    const Tensor hits = topk_hit_counts(out.logits, batch->labels);
    const std::vector<double> read = concat({reshape(out.loss, {1}), hits.to(out.loss.dtype())}, 0)
                                         .to_vector();
    loss.add(read[0], B);
    top1.add(read[1] / static_cast<double>(B), B);
    top5.add(read[2] / static_cast<double>(B), B);
    progress_.update({"test", epoch > 0 ? epoch : state_.epoch + 1, config_.epochs,
                      batch->index + 1, steps, loss.mean(), top1.mean(), optimizer_.lr(), 0, 0});
    batch = std::move(next);
  }
  progress_.finish();
  EvalResult r{loss.mean(), top1.mean(), top5.mean(), {}};
  if (hooks_.firing_rates) r.firing_rates = hooks_.firing_rates();
  if (hooks_.record_firing) hooks_.record_firing(false);
  return r;
}

void Trainer::write_epoch(int64_t epoch, const EvalResult& test, double train_loss,
                          double train_acc, double seconds, double images_per_s) {
  double mean_rate = 0;
  for (const auto& [layer, rate] : test.firing_rates) mean_rate += rate;
  if (!test.firing_rates.empty()) mean_rate /= static_cast<double>(test.firing_rates.size());
  std::printf(
      "epoch %lld/%lld: train loss %.4f acc %.2f%% | test loss %.4f top-1 %.2f%% top-5 %.2f%% | "
      "%.1f s, %.1f img/s, firing rate %.4f\n",
      static_cast<long long>(epoch), static_cast<long long>(config_.epochs), train_loss,
      100 * train_acc, test.loss, 100 * test.top1, 100 * test.top5, seconds, images_per_s,
      mean_rate);
  std::fflush(stdout);
  if (config_.run_dir.empty()) return;
  const std::string csv = config_.run_dir + "/summary.csv";
  const bool fresh = !std::ifstream(csv).good();
  std::ofstream summary(csv, std::ios::app);
  if (fresh)
    summary << "epoch,step,lr,train_loss,train_acc,test_loss,test_top1,test_top5,seconds,"
               "images_per_s,firing_rate\n";
  char row[512];
  std::snprintf(row, sizeof row, "%lld,%lld,%.6g,%.6f,%.6f,%.6f,%.6f,%.6f,%.3f,%.2f,%.6f\n",
                static_cast<long long>(epoch), static_cast<long long>(state_.step), optimizer_.lr(),
                train_loss, train_acc, test.loss, test.top1, test.top5, seconds, images_per_s,
                mean_rate);
  summary << row;
  std::ofstream jsonl(config_.run_dir + "/metrics.jsonl", std::ios::app);
  std::snprintf(row, sizeof row,
                "{\"epoch\": %lld, \"step\": %lld, \"lr\": %.6g, \"train_loss\": %.6f, "
                "\"train_acc\": %.6f, \"test_loss\": %.6f, \"test_top1\": %.6f, "
                "\"test_top5\": %.6f, \"seconds\": %.3f, \"images_per_s\": %.2f}\n",
                static_cast<long long>(epoch), static_cast<long long>(state_.step), optimizer_.lr(),
                train_loss, train_acc, test.loss, test.top1, test.top5, seconds, images_per_s);
  jsonl << row;
  std::ofstream rates(config_.run_dir + "/firing_rates.csv", std::ios::app);
  for (const auto& [layer, rate] : test.firing_rates)
    rates << epoch << "," << layer << "," << rate << "\n";
}

bool Trainer::run() {
  while (state_.epoch < config_.epochs &&
         (config_.max_steps <= 0 || state_.step < config_.max_steps)) {
    const auto t0 = std::chrono::steady_clock::now();
    double train_loss = 0, train_acc = 0;
    int64_t images = 0;
    if (!train_epoch(train_loss, train_acc, images)) return false;  // interrupted: saved
    const double seconds = seconds_since(t0);
    state_.epoch = train_.state().epoch;  // epochs completed (a max_steps stop stays mid-epoch)
    const int64_t shown = train_.state().batch == 0 ? state_.epoch : state_.epoch + 1;
    const EvalResult test = evaluate(shown);
    const bool best = test.top1 > state_.best_top1;
    if (best) state_.best_top1 = test.top1;
    write_epoch(shown, test, train_loss, train_acc, seconds, static_cast<double>(images) / seconds);
    save(best);
    if (interrupted()) return false;
  }
  return true;
}

}  // namespace staa::train
