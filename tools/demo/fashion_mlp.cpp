// fashion_mlp: trains a 784-H-10 ReLU perceptron on Fashion-MNIST with SGD + momentum, on the CPU,
// as an end-to-end demo of staa's tensor and autograd layers. Tool: tools/demo. Reads the gzipped
// IDX files of Debian's dataset-fashion-mnist; every random choice (init, shuffles) comes from one
// Generator seeded by --seed, so a run repeats exactly for a given seed and thread count.
#include <omp.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <numeric>
#include <string>
#include <vector>

#include "autograd/ops.h"
#include "data/idx.h"

namespace staa::demo {
namespace {

constexpr int kNumClasses = 10;
constexpr float kPixelMean = 0.2860f;  // Fashion-MNIST training set, pixels scaled to [0, 1]
constexpr float kPixelStd = 0.3530f;
constexpr int64_t kEvalBatch = 1000;
constexpr int64_t kPrintEvery = 100;  // steps between progress lines

struct Options {
  std::string data_dir = "/usr/share/datasets/fashion-mnist";
  int64_t epochs = 10;
  int64_t batch = 128;
  int64_t hidden = 256;
  double lr = 0.05;
  double momentum = 0.9;
  uint64_t seed = 0;
  int64_t threads = 0;  // 0: OpenMP's default
};

void print_usage(std::FILE* out) {
  std::fprintf(out,
               "usage: fashion_mlp [--data DIR] [--epochs N] [--batch N] [--hidden N] [--lr X]\n"
               "                   [--momentum X] [--seed N] [--threads N]\n"
               "Trains a 784-hidden-10 ReLU MLP on Fashion-MNIST with SGD + momentum.\n"
               "  --data DIR     folder with the four *-ubyte.gz IDX files\n"
               "                 (default /usr/share/datasets/fashion-mnist)\n"
               "  --epochs N     passes over the 60000 training images (default 10)\n"
               "  --batch N      images per step (default 128)\n"
               "  --hidden N     hidden units (default 256)\n"
               "  --lr X         peak learning rate, cosine-decayed to 0 (default 0.05)\n"
               "  --momentum X   SGD momentum (default 0.9)\n"
               "  --seed N       seed of the init and the shuffles (default 0)\n"
               "  --threads N    OpenMP threads (default: all cores)\n");
}

// Parses the whole of text as a number; false when it is not one.
template <typename T>
bool parse_number(const std::string& text, T& value) {
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  return ec == std::errc() && ptr == end;
}

template <typename T>
T flag_value(const std::string& flag, const std::string& text, T low, T high) {
  T value{};
  STAA_CHECK(parse_number(text, value) && value >= low && value <= high, "fashion_mlp: ", flag,
             " expects a number in [", low, ", ", high, "], got '", text, "'");
  return value;
}

Options parse_options(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      print_usage(stdout);
      std::exit(0);
    }
    STAA_CHECK(flag.rfind("--", 0) == 0, "fashion_mlp: expected an option, got '", flag,
               "' (see --help)");
    STAA_CHECK(i + 1 < argc, "fashion_mlp: ", flag, " expects a value (see --help)");
    const std::string value = argv[++i];
    if (flag == "--data")
      o.data_dir = value;
    else if (flag == "--epochs")
      o.epochs = flag_value<int64_t>(flag, value, 1, 1000);
    else if (flag == "--batch")
      o.batch = flag_value<int64_t>(flag, value, 1, 60000);
    else if (flag == "--hidden")
      o.hidden = flag_value<int64_t>(flag, value, 1, 65536);
    else if (flag == "--lr")
      o.lr = flag_value<double>(flag, value, 1e-9, 10.0);
    else if (flag == "--momentum")
      o.momentum = flag_value<double>(flag, value, 0.0, 0.999);
    else if (flag == "--seed")
      o.seed = flag_value<uint64_t>(flag, value, 0, UINT64_MAX);
    else if (flag == "--threads")
      o.threads = flag_value<int64_t>(flag, value, 1, 1024);
    else
      STAA_FAIL("fashion_mlp: unknown option '", flag, "' (see --help)");
  }
  return o;
}

// ---- data -------------------------------------------------------------------------------------

struct Split {
  int64_t count = 0;
  int64_t features = 0;
  std::vector<float> images;    // [count, features], normalised pixels
  std::vector<int64_t> labels;  // [count]
};

// The train or test split of dir (gzipped or plain IDX files), pixels normalised.
Split load_split(const std::string& dir, bool train) {
  const data::IdxDataset ds = data::mnist_like(dir, train, "fashion-mnist");
  Split split;
  split.count = ds.size();
  split.features = ds.rows() * ds.cols();
  split.images.resize(static_cast<size_t>(split.count * split.features));
  split.labels.resize(static_cast<size_t>(split.count));
  for (int64_t i = 0; i < split.count; ++i) {
    const data::Sample s = ds.get(i);  // [1, 28, 28] in [0, 1]
    for (int64_t k = 0; k < split.features; ++k) {
      split.images[i * split.features + k] = (s.values[k] - kPixelMean) / kPixelStd;
    }
    split.labels[i] = s.label;
  }
  return split;
}

void check_data_dir(const std::string& dir) {
  STAA_CHECK(std::filesystem::is_directory(dir), "fashion_mlp: the Fashion-MNIST folder ", dir,
             " does not exist; install it with `apt-get install dataset-fashion-mnist` or pass "
             "--data DIR");
}

struct Batch {
  Tensor images;  // [B, features] f32
  Tensor labels;  // [B] i64
};

// Rows order[start, end) of split, copied into fresh tensors.
Batch make_batch(const Split& split, const std::vector<int64_t>& order, int64_t start,
                 int64_t end) {
  const int64_t rows = end - start;
  Batch batch{Tensor::empty({rows, split.features}, kF32), Tensor::empty({rows}, kI64)};
  float* images = batch.images.data<float>();
  int64_t* labels = batch.labels.data<int64_t>();
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t src = order[start + r];
    std::copy_n(split.images.data() + src * split.features, split.features,
                images + r * split.features);
    labels[r] = split.labels[src];
  }
  return batch;
}

// Fisher-Yates from the seeded generator (the 64-bit modulo bias is far below 2^-40).
void shuffle(std::vector<int64_t>& order, Generator& gen) {
  for (int64_t i = static_cast<int64_t>(order.size()) - 1; i > 0; --i) {
    const int64_t j = static_cast<int64_t>(gen.next_u64() % static_cast<uint64_t>(i + 1));
    std::swap(order[i], order[j]);
  }
}

// ---- model and optimizer ----------------------------------------------------------------------

struct Mlp {
  Tensor w1, b1, w2, b2;  // w1: [features, hidden], b1: [hidden], w2: [hidden, 10], b2: [10]

  std::vector<Tensor*> parameters() { return {&w1, &b1, &w2, &b2}; }

  // images: [B, features] -> logits: [B, 10]
  Tensor forward(const Tensor& images) const {
    return matmul(relu(matmul(images, w1) + b1), w2) + b2;
  }
};

Tensor parameter(Tensor t, const char* name) {
  t.set_name(name);
  t.set_requires_grad(true);
  return t;
}

// Kaiming-normal init, std sqrt(2 / fan_in), for the layer feeding the ReLU; std sqrt(1 / fan_in)
// for the output layer (no ReLU after it); zero biases.
Mlp make_mlp(int64_t features, int64_t hidden, Generator& gen) {
  Mlp m;
  m.w1 = parameter(normal({features, hidden}, 0.0, std::sqrt(2.0 / features), gen), "w1");
  m.b1 = parameter(zeros({hidden}), "b1");
  m.w2 = parameter(normal({hidden, kNumClasses}, 0.0, std::sqrt(1.0 / hidden), gen), "w2");
  m.b2 = parameter(zeros({kNumClasses}), "b2");
  return m;
}

// velocity <- momentum * velocity + grad; param <- param - lr * velocity (PyTorch's form).
class SgdMomentum {
 public:
  SgdMomentum(std::vector<Tensor*> params, double momentum)
      : params_(std::move(params)), momentum_(momentum) {
    for (Tensor* p : params_) velocity_.push_back(zeros(p->shape()));
  }

  void zero_grad() {
    for (Tensor* p : params_) p->set_grad(Tensor());
  }

  void step(double lr) {
    NoGradGuard no_grad;
    for (size_t i = 0; i < params_.size(); ++i) {
      const Tensor grad = params_[i]->grad();
      STAA_CHECK(grad.defined(), "fashion_mlp sgd: expected a gradient for parameter ",
                 params_[i]->name(), " after backward, found none");
      mul_(velocity_[i], momentum_);
      add_(velocity_[i], grad);
      add_(*params_[i], velocity_[i], -lr);
    }
  }

 private:
  std::vector<Tensor*> params_;
  std::vector<Tensor> velocity_;
  double momentum_;
};

// Rows whose arg-max logit is the label. logits: [B, 10], labels: [B] i64.
int64_t count_correct(const Tensor& logits, const Tensor& labels) {
  NoGradGuard no_grad;
  const Tensor predicted = max(logits.detach(), {1}).indices;
  const int64_t* p = predicted.data<int64_t>();
  const int64_t* y = labels.data<int64_t>();
  int64_t correct = 0;
  for (int64_t i = 0; i < labels.numel(); ++i) correct += p[i] == y[i];
  return correct;
}

// ---- training loop ----------------------------------------------------------------------------

struct Metrics {
  double loss = 0;      // mean cross-entropy
  double accuracy = 0;  // fraction correct
};

Metrics evaluate(const Mlp& model, const Split& split) {
  NoGradGuard no_grad;
  std::vector<int64_t> order(static_cast<size_t>(split.count));
  std::iota(order.begin(), order.end(), int64_t{0});
  double loss_sum = 0;
  int64_t correct = 0;
  for (int64_t start = 0; start < split.count; start += kEvalBatch) {
    const int64_t end = std::min(start + kEvalBatch, split.count);
    const Batch batch = make_batch(split, order, start, end);
    const Tensor logits = model.forward(batch.images);
    loss_sum += cross_entropy(logits, batch.labels).item() * static_cast<double>(end - start);
    correct += count_correct(logits, batch.labels);
  }
  const double n = static_cast<double>(split.count);
  return {loss_sum / n, static_cast<double>(correct) / n};
}

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// Cosine decay from the peak lr at step 0 to 0 after the last step.
double cosine_lr(double peak, int64_t step, int64_t total_steps) {
  const double progress = static_cast<double>(step) / static_cast<double>(total_steps);
  return 0.5 * peak * (1.0 + std::cos(3.14159265358979323846 * progress));
}

struct Run {
  const Options& options;
  const Split& train;
  Mlp& model;
  SgdMomentum& optimizer;
  Generator& gen;
  int64_t steps_per_epoch;
};

// One pass over the shuffled training set; progress lines carry the loss and accuracy averaged
// over the epoch so far and the throughput since the previous line.
void train_epoch(Run& run, int64_t epoch, std::vector<int64_t>& order) {
  shuffle(order, run.gen);
  const int64_t total_steps = run.options.epochs * run.steps_per_epoch;
  double loss_sum = 0;
  int64_t seen = 0, correct = 0, window_images = 0;
  Clock::time_point window_start = Clock::now();
  for (int64_t step = 0; step < run.steps_per_epoch; ++step) {
    const int64_t start = step * run.options.batch;
    const int64_t end = std::min(start + run.options.batch, run.train.count);
    const Batch batch = make_batch(run.train, order, start, end);
    const Tensor logits = run.model.forward(batch.images);
    const Tensor loss = cross_entropy(logits, batch.labels);
    run.optimizer.zero_grad();
    backward(loss);
    run.optimizer.step(cosine_lr(run.options.lr, epoch * run.steps_per_epoch + step, total_steps));
    loss_sum += loss.item() * static_cast<double>(end - start);
    correct += count_correct(logits, batch.labels);
    seen += end - start;
    window_images += end - start;
    if ((step + 1) % kPrintEvery == 0 || step + 1 == run.steps_per_epoch) {
      std::printf("epoch %lld/%lld  step %4lld/%lld  loss %.4f  train acc %6.2f%%  %.0f img/s\n",
                  static_cast<long long>(epoch + 1), static_cast<long long>(run.options.epochs),
                  static_cast<long long>(step + 1), static_cast<long long>(run.steps_per_epoch),
                  loss_sum / seen, 100.0 * correct / seen,
                  window_images / seconds_since(window_start));
      std::fflush(stdout);
      window_images = 0;
      window_start = Clock::now();
    }
  }
}

int run_main(int argc, char** argv) {
  const Options options = parse_options(argc, argv);
  if (options.threads > 0) omp_set_num_threads(static_cast<int>(options.threads));
  check_data_dir(options.data_dir);
  const Split train = load_split(options.data_dir, true);
  const Split test = load_split(options.data_dir, false);
  STAA_CHECK(train.features == test.features,
             "fashion_mlp: expected train and test images of "
             "one size, train has ",
             train.features, " pixels, test has ", test.features);
  std::printf(
      "fashion_mlp: %lld train / %lld test images of %lld pixels, MLP %lld-%lld-%d, "
      "batch %lld, lr %g (cosine), momentum %g, seed %llu, %d threads\n",
      static_cast<long long>(train.count), static_cast<long long>(test.count),
      static_cast<long long>(train.features), static_cast<long long>(train.features),
      static_cast<long long>(options.hidden), kNumClasses, static_cast<long long>(options.batch),
      options.lr, options.momentum, static_cast<unsigned long long>(options.seed),
      omp_get_max_threads());
  Generator gen(options.seed);
  Mlp model = make_mlp(train.features, options.hidden, gen);
  SgdMomentum optimizer(model.parameters(), options.momentum);
  Run run{options, train, model, optimizer, gen, (train.count + options.batch - 1) / options.batch};
  std::vector<int64_t> order(static_cast<size_t>(train.count));
  std::iota(order.begin(), order.end(), int64_t{0});
  const Clock::time_point begin = Clock::now();
  Metrics metrics;
  for (int64_t epoch = 0; epoch < options.epochs; ++epoch) {
    train_epoch(run, epoch, order);
    metrics = evaluate(model, test);
    std::printf("epoch %lld/%lld  test loss %.4f  test acc %.2f%%  (%.1f s elapsed)\n",
                static_cast<long long>(epoch + 1), static_cast<long long>(options.epochs),
                metrics.loss, 100.0 * metrics.accuracy, seconds_since(begin));
    std::fflush(stdout);
  }
  std::printf("trained %lld epochs in %.1f s\n", static_cast<long long>(options.epochs),
              seconds_since(begin));
  std::printf("final test accuracy: %.2f%%\n", 100.0 * metrics.accuracy);
  return 0;
}

}  // namespace
}  // namespace staa::demo

int main(int argc, char** argv) {
  try {
    return staa::demo::run_main(argc, argv);
  } catch (const std::exception& e) {  // staa::Error and std ones (bad_alloc, filesystem)
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
