// train/: SGD (momentum, Nesterov, weight decay) against the update formulas written out, the
// cosine schedule with warmup, and checkpoints that resume bit-identically. Layer: tests.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "autograd/ops.h"
#include "expect_error.h"
#include "nn/linear.h"
#include "nn/sequential.h"
#include "nn/stateless.h"
#include "trainer/checkpoint.h"
#include "trainer/metrics.h"
#include "trainer/progress.h"
#include "trainer/scheduler.h"

namespace staa::train {
namespace {

// Three steps of SGD on p with fixed gradients, against the formulas in doubles (the fused
// sgd_step kernel: one pass over p, its gradient and its buffer).
void check_sgd(bool nesterov, double wd, double momentum = 0.9, double dampening = 0.0,
               DType dtype = kF64) {
  SCOPED_TRACE(testing::Message() << "nesterov " << nesterov << " wd " << wd << " momentum "
                                  << momentum << " dampening " << dampening << " " << dtype);
  const std::vector<double> start = {1.0, -2.0, 0.5, 3.0, -0.25, 0.0, 7.0, -1.5, 2.5};
  const int64_t n = static_cast<int64_t>(start.size());  // past a vector width: tail included
  Tensor p = from_vector(start, {n}, {dtype});
  p.set_requires_grad(true);
  Sgd sgd({{{p}, wd}},
          {.lr = 0.1, .momentum = momentum, .nesterov = nesterov, .dampening = dampening});
  std::vector<double> ref = start, buf(n, 0.0);
  for (int step = 0; step < 3; ++step) {
    std::vector<double> grad(n);
    for (int64_t i = 0; i < n; ++i) grad[i] = 0.1 * (step + 1) * (i % 3) - 0.2 * (i % 2);
    p.set_grad(from_vector(grad, {n}, {dtype}));
    sgd.step();
    for (int64_t i = 0; i < n; ++i) {
      double d = grad[i] + wd * ref[i];
      if (momentum != 0) {
        buf[i] = step == 0 ? d : momentum * buf[i] + (1 - dampening) * d;
        d = nesterov ? d + momentum * buf[i] : buf[i];
      }
      ref[i] -= 0.1 * d;
    }
  }
  const auto got = p.to_vector();
  const double tol = dtype == kF64 ? 1e-15 : 1e-6;
  for (int64_t i = 0; i < n; ++i) EXPECT_NEAR(got[i], ref[i], tol) << "element " << i;
  EXPECT_EQ(sgd.state().size(), momentum != 0 ? 1u : 0u);
}

TEST(Sgd, MomentumNesterovAndWeightDecayFollowTheFormulas) {
  check_sgd(false, 0.0);
  check_sgd(false, 1e-2);
  check_sgd(true, 1e-2);
  check_sgd(false, 1e-2, 0.9, 0.3);  // dampening (not on the buffer's first step)
  check_sgd(false, 1e-2, 0.0);       // no momentum: no buffer
  check_sgd(true, 1e-2, 0.9, 0.0, kF32);
  check_sgd(false, 0.0, 0.5, 0.1, kF32);
}

TEST(Sgd, FusedStepChecksItsOperands) {
  NoGradGuard no_grad;
  Tensor p = ones({4}), buf;
  test::expect_error([&] { sgd_step_(p, ones({3}), &buf, {.momentum = 0.9}); },
                     {"sgd_step_", "[3]", "[4]"});
  test::expect_error([&] { sgd_step_(p, ones({4}), nullptr, {.momentum = 0.9}); },
                     {"sgd_step_", "momentum buffer", "missing"});
  test::expect_error([&] { sgd_step_(p, ones({4}, {kF64}), &buf, {.momentum = 0.9}); },
                     {"sgd_step_"});
  buf = zeros({5});
  test::expect_error([&] { sgd_step_(p, ones({4}), &buf, {.momentum = 0.9}); },
                     {"sgd_step_", "momentum buffer", "[5]"});
}

TEST(Sgd, SkipsParametersWithoutGradientAndChecksOptions) {
  Tensor p = ones({2});
  p.set_requires_grad(true);
  Sgd sgd({{{p}, 0.0}}, {});
  sgd.step();
  EXPECT_EQ(p.to_vector(), (std::vector<double>{1, 1}));
  EXPECT_TRUE(sgd.state().empty()) << "no buffer before the first gradient";
  test::expect_error([&] { Sgd bad({{{p}, 0.0}}, {.lr = -1}); }, {"sgd", "lr", "-1"});
  test::expect_error(
      [&] {
        Sgd bad({{{p}, 0.0}}, {.momentum = 0, .nesterov = true});
      },
      {"nesterov", "momentum > 0"});
}

TEST(CosineSchedule, WarmupThenCosineToTheFloor) {
  const CosineSchedule s{.base_lr = 0.1, .floor_lr = 0.001, .total_steps = 110, .warmup_steps = 10};
  EXPECT_DOUBLE_EQ(s.lr(0), 0.01);
  EXPECT_DOUBLE_EQ(s.lr(9), 0.1);
  EXPECT_DOUBLE_EQ(s.lr(10), 0.1);
  EXPECT_NEAR(s.lr(60), 0.001 + 0.099 * 0.5, 1e-15);
  EXPECT_NEAR(s.lr(110), 0.001, 1e-15);
  EXPECT_NEAR(s.lr(500), 0.001, 1e-15) << "stays at the floor past the end";
  const CosineSchedule plain{.base_lr = 0.1, .total_steps = 4};
  EXPECT_NEAR(plain.lr(2), 0.05, 1e-15);
}

std::shared_ptr<nn::Sequential> mlp(uint64_t seed) {
  Generator gen(seed);
  auto m = std::make_shared<nn::Sequential>();
  m->add<nn::Linear>(4, 8, gen);
  m->add<nn::ReLU>();
  m->add<nn::Linear>(8, 3, gen);
  return m;
}

void train_steps(nn::Module& m, Sgd& sgd, int steps, int first) {
  for (int s = first; s < first + steps; ++s) {
    Generator gen(100 + s);  // the data of step s, the same in every run
    const Tensor x = uniform({6, 4}, -1, 1, gen);
    const Tensor y = from_vector(std::vector<int64_t>{0, 1, 2, 0, 1, 2}, {6});
    sgd.zero_grad();
    backward(cross_entropy(m(x), y));
    sgd.step();
  }
}

TEST(Checkpoint, ResumeIsBitIdenticalToAStraightRun) {
  const std::string path = ::testing::TempDir() + "/staa_ckpt_test.safetensors";
  auto straight = mlp(1);
  Sgd s_opt({{straight->parameters(), 1e-4}}, {.lr = 0.05, .nesterov = true});
  train_steps(*straight, s_opt, 6, 0);

  auto first = mlp(1);
  Sgd f_opt({{first->parameters(), 1e-4}}, {.lr = 0.05, .nesterov = true});
  train_steps(*first, f_opt, 3, 0);
  save_checkpoint(path, *first, f_opt,
                  {.epoch = 1, .step = 3, .best_top1 = 0.25, .extra = {{"seed", "7"}}});

  auto resumed = mlp(99);  // other initial weights: all must come from the file
  Sgd r_opt({{resumed->parameters(), 1e-4}}, {.lr = 0.05, .nesterov = true});
  const TrainState st = load_checkpoint(path, *resumed, r_opt);
  EXPECT_EQ(st.step, 3);
  EXPECT_EQ(st.epoch, 1);
  EXPECT_EQ(st.best_top1, 0.25);
  EXPECT_EQ(st.extra.at("seed"), "7");
  train_steps(*resumed, r_opt, 3, 3);
  const auto a = straight->parameters(), b = resumed->parameters();
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].to_vector(), b[i].to_vector()) << i;
  std::filesystem::remove(path);
}

TEST(Checkpoint, CorruptOrMismatchedFilesAreRefusedNamingTheFile) {
  const std::string path = ::testing::TempDir() + "/staa_ckpt_bad.safetensors";
  auto m = mlp(1);
  Sgd opt({{m->parameters(), 0.0}}, {});
  save_checkpoint(path, *m, opt, {});
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-3, std::ios::end);
    f.put('\x7f');
  }
  test::expect_error([&] { load_checkpoint(path, *m, opt); }, {path.c_str()});
  Generator gen(2);
  nn::Sequential other;
  other.add<nn::Linear>(4, 5, gen);
  Sgd other_opt({{other.parameters(), 0.0}}, {});
  save_checkpoint(path, other, other_opt, {});
  test::expect_error([&] { load_checkpoint(path, *m, opt); }, {"0.weight", "[8,4]", "[5,4]"});
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace staa::train

namespace staa::train {
namespace {

TEST(Metrics, TopKHitsCountTiesAgainstTheLabel) {
  const Tensor logits = from_vector(std::vector<double>{0.1, 0.9, 0.0, 0.0, 0.0, 0.0,  //
                                                        0.5, 0.5, 0.1, 0.2, 0.3, 0.4,  //
                                                        0.0, 0.1, 0.2, 0.3, 0.4, 0.5},
                                    {3, 6});
  const Tensor labels = from_vector(std::vector<int64_t>{1, 0, 0}, {3});
  const TopK hits = topk_hits(logits, labels);
  EXPECT_EQ(hits.top1, 1);  // row 0; row 1 ties with class 1
  EXPECT_EQ(hits.top5, 2);  // rows 0, 1; row 2's label is the smallest of 6
  test::expect_error(
      [&] {
        topk_hits(logits, from_vector(std::vector<int64_t>{6, 0, 0}, {3}));
      },
      {"label 6", "[0, 6)"});
}

TEST(Metrics, TopKHitCountsOnTheDeviceEqualTopKHits) {
  Generator gen(8);
  const Tensor logits = uniform({9, 7}, -1, 1, gen);
  // Row 0: a tie with the label (a miss, as in topk_hits); the rest random.
  Tensor tied = logits.clone();
  tied.data<float>()[1] = tied.data<float>()[3];
  const Tensor labels = from_vector(std::vector<int64_t>{3, 0, 1, 2, 3, 4, 5, 6, 0}, {9});
  for (const Tensor& l : {logits, tied}) {
    const TopK want = topk_hits(l, labels);
    EXPECT_EQ(
        topk_hit_counts(l, labels).to_vector(),
        (std::vector<double>{static_cast<double>(want.top1), static_cast<double>(want.top5)}));
  }
}

TEST(Progress, PlainLinesEveryIntervalRedrawOnATerminal) {
  char* buf = nullptr;
  size_t size = 0;
  std::FILE* f = open_memstream(&buf, &size);
  Progress plain(f, 2, 0);
  for (int64_t s = 1; s <= 5; ++s) plain.update({.phase = "train", .step = s, .steps = 5});
  std::fclose(f);
  const std::string out(buf, size);
  std::free(buf);
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 3) << out;  // steps 2, 4 and the last
  EXPECT_EQ(out.find('\r'), std::string::npos);
  f = open_memstream(&buf, &size);
  Progress tty(f, 2, 1);
  for (int64_t s = 1; s <= 5; ++s) tty.update({.phase = "train", .step = s, .steps = 5});
  tty.finish();
  std::fclose(f);
  const std::string redrawn(buf, size);
  std::free(buf);
  EXPECT_EQ(std::count(redrawn.begin(), redrawn.end(), '\r'), 5);
  EXPECT_EQ(std::count(redrawn.begin(), redrawn.end(), '\n'), 1);
}

}  // namespace
}  // namespace staa::train
