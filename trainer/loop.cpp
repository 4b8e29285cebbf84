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
  state_.extra["loader"] = train_.state().to_string();
  for (const auto& [key, value] : config_.metadata) state_.extra[key] = value;
  save_checkpoint(config_.run_dir + "/last.safetensors", model_, optimizer_, state_);
  if (is_best) save_checkpoint(config_.run_dir + "/best.safetensors", model_, optimizer_, state_);
}

bool Trainer::check_finite(const data::Batch& batch, const Tensor& loss) {
  std::string where;
  if (!std::isfinite(loss.item())) {
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
  }
  if (where.empty()) return true;
  STAA_CHECK(config_.skip_nonfinite, "train: a NaN or Inf at step ", state_.step + 1, " (epoch ",
             state_.epoch + 1, ", batch ", batch.index, "), first in ", where,
             "; lower the learning rate, or pass skip_nonfinite=1 to skip such steps");
  std::printf("train: skipping step %lld: a NaN or Inf in %s\n",
              static_cast<long long>(state_.step + 1), where.c_str());
  return false;
}

bool Trainer::train_epoch(double& loss_out, double& acc_out, int64_t& images) {
  model_.train();
  RunningMean loss, accuracy;
  const int64_t steps = train_.batches_per_epoch();
  const auto t0 = std::chrono::steady_clock::now();
  while (config_.max_steps <= 0 || state_.step < config_.max_steps) {
    std::optional<data::Batch> batch = train_.next();
    if (!batch) break;
    if (state_.step + 1 == config_.debug_nan_step) {  // tests of the NaN report
      NoGradGuard no_grad;
      Tensor first = model_.parameters().front();
      mul_(first, std::nan(""));
    }
    optimizer_.set_lr(schedule_.lr(state_.step));
    optimizer_.zero_grad();
    model_.reset_state();
    const StepOutput out = hooks_.forward(*batch);
    bool ok = check_finite(*batch, out.loss);
    if (ok) {
      backward(out.loss);
      ok = check_finite(*batch, out.loss);
    }
    if (ok) {
      optimizer_.step();
      const int64_t B = batch->labels.shape()[0];
      images += B;
      loss.add(out.loss.item(), B);
      accuracy.add(static_cast<double>(topk_hits(out.logits.detach(), batch->labels).top1) / B, B);
    }
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
      return false;
    }
  }
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
  while (std::optional<data::Batch> batch = test_.next()) {
    model_.reset_state();
    const StepOutput out = hooks_.forward(*batch);
    const int64_t B = batch->labels.shape()[0];
    const TopK hits = topk_hits(out.logits, batch->labels);
    loss.add(out.loss.item(), B);
    top1.add(static_cast<double>(hits.top1) / B, B);
    top5.add(static_cast<double>(hits.top5) / B, B);
    progress_.update({"test", epoch > 0 ? epoch : state_.epoch + 1, config_.epochs,
                      batch->index + 1, steps, loss.mean(), top1.mean(), optimizer_.lr(), 0, 0});
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
