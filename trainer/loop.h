// The training loop: steps over a DataLoader with SGD and the cosine schedule, evaluates every
// epoch (loss, top-1, top-5, firing rates), writes the run directory (summary.csv, metrics.jsonl,
// firing_rates.csv, checkpoints `last` and `best`), stops on a NaN / Inf naming the step and the
// first layer, and saves on SIGINT. Layer: train. It knows nothing of spiking networks: the
// model side comes in as hooks (the CLI builds them from snn/).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "data/loader.h"
#include "trainer/checkpoint.h"
#include "trainer/metrics.h"
#include "trainer/optimizer.h"
#include "trainer/progress.h"
#include "trainer/scheduler.h"

namespace staa::train {

struct StepOutput {
  Tensor loss;    // scalar
  Tensor logits;  // [B, K] for the metrics
};

struct ModelHooks {
  // The loss and logits of a batch (training or eval mode is already set on the model).
  std::function<StepOutput(const data::Batch&)> forward;
  // Firing rate per spiking layer since recording was switched on; empty without spiking layers.
  std::function<std::vector<std::pair<std::string, double>>()> firing_rates;
  // Switches firing-rate recording on (resetting the counts) or off.
  std::function<void(bool)> record_firing;
};

struct LoopConfig {
  int64_t epochs = 1;
  int64_t max_steps = 0;  // 0: no limit
  int64_t log_interval = 50;
  int64_t save_every = 0;  // steps between extra saves of `last` (0: at epoch ends only)
  bool skip_nonfinite = false;
  std::string run_dir;         // where files go ("" writes nothing)
  int64_t debug_nan_step = 0;  // tests: the first parameter becomes NaN before this step (1-based)
  // Written into every checkpoint's metadata: what a tool needs to rebuild the model (the CLI
  // puts the dataset, the options and the input layout here; tools/common/run_model reads them).
  std::map<std::string, std::string> metadata;
  // Where the steps run: every batch (inputs, labels, mix_labels) is moved there, the next one's
  // copy queued before the current step. The model must already be there (Module::to).
  Device device = Device::cpu();
  // Labels are checked to lie in [0, num_classes) on the host as each batch enters (0: not
  // checked); cross_entropy cannot check CUDA targets without a host read.
  int64_t num_classes = 0;
};

struct EvalResult {
  double loss = 0, top1 = 0, top5 = 0;
  std::vector<std::pair<std::string, double>> firing_rates;
};

// Set by the SIGINT handler that install_sigint_handler() installs; the loop saves and returns.
bool interrupted();
void install_sigint_handler();

class Trainer {
 public:
  Trainer(nn::Module& model, Sgd& optimizer, CosineSchedule schedule, data::DataLoader& train,
          data::DataLoader& test, ModelHooks hooks, LoopConfig config);

  // Loads a checkpoint: model, optimizer, counters and the train loader's position.
  void resume(const std::string& checkpoint);
  // Trains until config.epochs (or max_steps, or SIGINT); returns false when interrupted.
  bool run();
  // One pass over the test loader; `epoch` only labels the progress line (0: the next epoch).
  EvalResult evaluate(int64_t epoch = 0);
  const TrainState& state() const { return state_; }
  // Saves `last` (and `best` when is_best) into the run directory.
  void save(bool is_best);

 private:
  bool train_epoch(double& loss, double& accuracy, int64_t& images);
  // One training step on a batch already on the device; false when it was skipped (not finite).
  bool train_step(const data::Batch& batch, RunningMean& loss, RunningMean& accuracy,
                  int64_t& images);
  // The loader's next batch, labels checked and moved to config_.device (the copy is queued:
  // the host does not wait for it).
  std::optional<data::Batch> next_batch(data::DataLoader& loader) const;
  // Throws (or returns false with skip_nonfinite) naming where the NaN or Inf first appears,
  // after the step's probe found one; loss: the step's loss as read.
  bool report_nonfinite(const data::Batch& batch, double loss);
  // epoch: the epoch shown (the one trained, even when max_steps stopped it midway).
  void write_epoch(int64_t epoch, const EvalResult& test, double train_loss, double train_acc,
                   double seconds, double images_per_s);

  nn::Module& model_;
  Sgd& optimizer_;
  CosineSchedule schedule_;
  data::DataLoader& train_;
  data::DataLoader& test_;
  ModelHooks hooks_;
  LoopConfig config_;
  TrainState state_;
  Progress progress_;
  // While a step runs with the next batch already taken from the loader: the loader position
  // after the current batch, which a checkpoint saved now must store.
  std::optional<data::LoaderState> position_;
};

}  // namespace staa::train
