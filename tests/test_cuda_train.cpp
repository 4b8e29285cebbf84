// The CUDA backend from the top (label cuda; every test skips with the reason on a machine
// without a GPU): the caching allocator's statistics and out-of-memory error, host <-> device
// copies through the pinned staging ring, Module::to, the fused SGD step, CPU == CUDA over 10 SGD
// steps of a small STAA network, the trainer with device=cuda, and checkpoints of a CUDA run
// loading on the CPU. Layer: tests.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "autograd/ops.h"
#include "autograd/tape.h"
#include "data/loader.h"
#include "expect_error.h"
#include "nn/linear.h"
#include "snn/network.h"
#include "tensor/backend.h"
#include "tensor/cuda_api.h"
#include "trainer/checkpoint.h"
#include "trainer/loop.h"

namespace staa {
namespace {

class CudaTrain : public ::testing::Test {
 protected:
  void SetUp() override {
    if (cuda_backend() == nullptr) GTEST_SKIP() << "built without the CUDA backend (STAA_CUDA=OFF)";
    if (!cuda_available()) GTEST_SKIP() << "no CUDA device on this machine";
  }
};

TEST_F(CudaTrain, AllocatorStatisticsMoveAndFreedBlocksAreReused) {
  if (cuda_emulated()) GTEST_SKIP() << "needs a GPU: the emulated device uses the CPU allocator";
  cuda_synchronize();
  cuda_empty_cache();
  const AllocatorStats s0 = cuda_memory_stats();
  EXPECT_EQ(s0.cached_bytes, 0u);
  const size_t bytes = allocator_size_class(size_t{1} << 20);  // 256 Ki floats: its own class
  const void* first = nullptr;
  {
    const Tensor t = empty({int64_t{1} << 18}, {kF32, Device::cuda()});
    first = t.raw_data();
    const AllocatorStats s1 = cuda_memory_stats();
    EXPECT_EQ(s1.current_bytes, s0.current_bytes + bytes);
    EXPECT_GE(s1.peak_bytes, s1.current_bytes);
    EXPECT_EQ(s1.reserved_bytes, s0.reserved_bytes + bytes);
  }
  const AllocatorStats s2 = cuda_memory_stats();
  EXPECT_EQ(s2.current_bytes, s0.current_bytes);
  EXPECT_EQ(s2.cached_bytes, bytes);
  {
    const Tensor again = empty({int64_t{1} << 18}, {kF32, Device::cuda()});
    EXPECT_EQ(again.raw_data(), first) << "the freed block is handed out again";
    EXPECT_EQ(cuda_memory_stats().cache_hits, s2.cache_hits + 1);
    EXPECT_EQ(cuda_memory_stats().cached_bytes, 0u);
  }
  cuda_empty_cache();
  const AllocatorStats s3 = cuda_memory_stats();
  EXPECT_EQ(s3.cached_bytes, 0u);
  EXPECT_EQ(s3.reserved_bytes, s0.reserved_bytes);
  cuda_reset_peak_memory();
  EXPECT_EQ(cuda_memory_stats().peak_bytes, s3.current_bytes);
}

TEST_F(CudaTrain, OutOfMemoryNamesTheDeviceTheRequestAndTheStatistics) {
  if (cuda_emulated()) GTEST_SKIP() << "needs a GPU: the emulated device uses the CPU allocator";
  // 4 TiB: more than any GPU has. The error comes after the cache was returned and the
  // allocation retried; later allocations still work (the error is not sticky).
  test::expect_error(
      [] {
        empty({int64_t{1} << 40}, {kF32, Device::cuda()});
      },
      {"cuda:0", "out of memory", "4398046511104 bytes", "bytes free", "allocator: current"});
  const Tensor ok = full({16}, 2.0, {kF32, Device::cuda()});
  EXPECT_EQ(ok.to_vector(), std::vector<double>(16, 2.0));
  test::expect_error([] { cuda_memory_stats(cuda_device_count()); }, {"no such GPU"});
}

TEST_F(CudaTrain, CopiesOfManySizesRoundTripThroughTheStagingRing) {
  // Sizes around the small-copy limit (64 KiB) and the chunk (32 MiB); the host vector is
  // overwritten right after each copy is queued, so a copy that read it late would show it.
  for (const int64_t n : {int64_t{0}, int64_t{1}, int64_t{7}, int64_t{16383}, int64_t{16384},
                          int64_t{16385}, int64_t{1} << 20, (int64_t{9} << 20) + 3}) {
    std::vector<float> host(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) host[i] = static_cast<float>(i % 1009) - 3.5f;
    const std::vector<float> want = host;
    const Tensor cpu = from_vector(host, {n});
    const Tensor gpu = cpu.to(Device::cuda());
    std::fill(cpu.data<float>(), cpu.data<float>() + n, -1.0f);
    const Tensor back = gpu.to(Device::cpu());
    ASSERT_EQ(back.numel(), n);
    EXPECT_TRUE(std::equal(want.begin(), want.end(), back.data<float>())) << n << " floats";
  }
}

TEST_F(CudaTrain, ManyCopiesInFlightKeepTheirBytes) {
  // 600 small copies and 20 large ones queued behind a long kernel queue without a read: more
  // than the ring's slots, so slots are reused only after their copies finished.
  std::vector<Tensor> small, large;
  Tensor busy = zeros({int64_t{1} << 22}, {kF32, Device::cuda()});
  for (int i = 0; i < 600; ++i) {
    if (i % 30 == 0) {
      for (int k = 0; k < 20; ++k) busy = busy * 1.0001 + 1.0;  // keep the GPU behind the host
      Tensor big = full({(int64_t{1} << 20) + i}, static_cast<double>(i));
      large.push_back(big.to(Device::cuda()));
      fill_(big, -1.0);  // the host copy changes at once
    }
    Tensor t = full({37 + i % 5}, static_cast<double>(i));
    small.push_back(t.to(Device::cuda()));
    fill_(t, -1.0);
  }
  for (size_t i = 0; i < small.size(); ++i) {
    const auto v = small[i].to_vector();
    EXPECT_TRUE(std::all_of(v.begin(), v.end(), [&](double x) { return x == double(i); })) << i;
  }
  for (size_t j = 0; j < large.size(); ++j) {
    const auto v = large[j].to_vector();
    EXPECT_TRUE(std::all_of(v.begin(), v.end(), [&](double x) { return x == double(30 * j); }))
        << j;
  }
}

TEST_F(CudaTrain, ModuleToMovesParametersBuffersAndGradsBothWays) {
  Generator gen(3);
  nn::Linear layer(5, 3, gen);
  const Tensor weight = layer.parameters()[0];  // a handle held across the moves
  const auto before = weight.to_vector();
  Tensor loss = sum(layer(uniform({2, 5}, -1, 1, gen)));
  backward(loss);
  const auto grad = weight.grad().to_vector();
  layer.to(Device::cuda());
  for (const Tensor& p : layer.parameters()) EXPECT_EQ(p.device(), Device::cuda()) << p.name();
  EXPECT_EQ(weight.device(), Device::cuda()) << "handles follow the move";
  EXPECT_EQ(weight.grad().device(), Device::cuda());
  layer.to(Device::cpu());
  EXPECT_EQ(weight.to_vector(), before);
  EXPECT_EQ(weight.grad().to_vector(), grad);
}

// A small STAA network (the zoo's "tiny": conv + BN + STAA-LIF, avg pool, conv + BN + STAA-LIF,
// pooled head), T = 2, f32, TSRD on (the draws come from the host, equal on both devices).
std::shared_ptr<snn::SpikingNetwork> tiny_staa() {
  snn::ModelOptions o;
  o.num_classes = 4;
  o.neuron.kind = snn::NeuronKind::kStaa;
  o.neuron.time_steps = 2;
  o.seed = 5;
  return snn::make_model("tiny", o);
}

// Losses of `steps` SGD steps (momentum, weight decay) on fixed batches.
std::vector<double> sgd_steps(snn::SpikingNetwork& model, Device device, int steps) {
  model.to(device);
  train::Sgd sgd({{model.parameters(), 5e-4}}, {.lr = 0.02, .momentum = 0.9});
  std::vector<double> losses;
  Generator gen(17);
  for (int s = 0; s < steps; ++s) {
    const Tensor x = uniform({4, 3, 8, 8}, 0, 1, gen).to(device);
    const Tensor y = from_vector(std::vector<int64_t>{s % 4, 1, 2, 3}, {4}).to(device);
    sgd.zero_grad();
    model.reset_state();
    const Tensor loss = cross_entropy(model(x), y);
    backward(loss);
    sgd.step();
    losses.push_back(loss.item());
  }
  for (const auto& [name, t] : sgd.state()) EXPECT_EQ(t.device(), device) << "momentum " << name;
  return losses;
}

TEST_F(CudaTrain, TenSgdStepsOfASmallStaaNetworkMatchTheCpu) {
  auto cpu = tiny_staa(), gpu = tiny_staa();
  const std::vector<double> cpu_loss = sgd_steps(*cpu, Device::cpu(), 10);
  const std::vector<double> gpu_loss = sgd_steps(*gpu, Device::cuda(), 10);
  // Tolerance 1e-3 relative. cuDNN / cuBLAS / our reductions sum in other orders than the CPU
  // (f32 relative differences ~1e-6 per op), so a membrane within ~1e-5 of v_th may spike on one
  // device and not the other. One flipped spike of the [T*B, 16, 4, 4] layer moves the mean it
  // feeds by 1/512 of its share and a parameter by lr * (its gradient share) ~1e-4 relative;
  // comparing norms of whole tensors (not single elements) keeps a rare flip under 1e-3, while a
  // wrong kernel (a wrong sum, a missing term) shows as O(1e-2) or more.
  for (size_t s = 0; s < cpu_loss.size(); ++s)
    EXPECT_NEAR(gpu_loss[s], cpu_loss[s], 1e-3 * std::abs(cpu_loss[s])) << "step " << s;
  const auto a = cpu->named_parameters(), b = gpu->named_parameters();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    const auto want = a[i].second.to_vector(), got = b[i].second.to_vector();
    double diff = 0, norm = 0;
    for (size_t k = 0; k < want.size(); ++k) {
      diff += (got[k] - want[k]) * (got[k] - want[k]);
      norm += want[k] * want[k];
    }
    EXPECT_LE(std::sqrt(diff), 1e-3 * std::sqrt(norm) + 1e-6) << a[i].first;
  }
  for (const auto& [name, t] : gpu->named_buffers())
    EXPECT_EQ(t.device(), Device::cuda()) << "buffer " << name;
}

// The fused SGD kernel for every combination of its flags (momentum, Nesterov, the buffer's
// first step, weight decay, dampening), f32 and f64: three steps on 1000 elements, CUDA == CPU.
TEST_F(CudaTrain, FusedSgdStepMatchesTheCpuForEveryFlag) {
  struct Case {
    double momentum, dampening, weight_decay;
    bool nesterov;
  };
  const Case cases[] = {{0, 0, 0, false},
                        {0, 0, 1e-2, false},
                        {0.9, 0, 0, false},
                        {0.9, 0.3, 1e-2, false},
                        {0.9, 0, 1e-2, true}};
  NoGradGuard no_grad;
  for (DType dtype : {kF32, kF64})
    for (const Case& c : cases) {
      SCOPED_TRACE(testing::Message() << dtype << " momentum " << c.momentum << " nesterov "
                                      << c.nesterov << " wd " << c.weight_decay);
      Generator gen(3);
      Tensor p_cpu = uniform({1000}, -1, 1, gen, {dtype}), p_gpu = p_cpu.to(Device::cuda());
      Tensor b_cpu, b_gpu;
      for (int step = 0; step < 3; ++step) {
        const Tensor g = uniform({1000}, -1, 1, gen, {dtype});
        const SgdStepParams s{.lr = 0.1,
                              .weight_decay = c.weight_decay,
                              .momentum = c.momentum,
                              .dampening = c.dampening,
                              .nesterov = c.nesterov};
        sgd_step_(p_cpu, g, c.momentum != 0 ? &b_cpu : nullptr, s);
        sgd_step_(p_gpu, g.to(Device::cuda()), c.momentum != 0 ? &b_gpu : nullptr, s);
      }
      const auto want = p_cpu.to_vector(), got = p_gpu.to_vector();
      for (size_t k = 0; k < want.size(); ++k)
        ASSERT_NEAR(got[k], want[k], dtype == kF32 ? 1e-6 : 1e-14) << "element " << k;
      if (c.momentum != 0) {
        EXPECT_EQ(b_gpu.device(), Device::cuda());
        const auto bw = b_cpu.to_vector(), bg = b_gpu.to_vector();
        for (size_t k = 0; k < bw.size(); ++k)
          ASSERT_NEAR(bg[k], bw[k], dtype == kF32 ? 1e-6 : 1e-14) << "buffer element " << k;
      }
    }
}

TEST_F(CudaTrain, ACheckpointOfACudaRunLoadsOnTheCpu) {
  const std::string path = ::testing::TempDir() + "/staa_cuda_ckpt.safetensors";
  auto gpu = tiny_staa();
  gpu->to(Device::cuda());
  train::Sgd sgd({{gpu->parameters(), 0.0}}, {.lr = 0.01, .momentum = 0.9});
  sgd_steps(*gpu, Device::cuda(), 2);
  train::TrainState state;
  state.step = 2;
  train::save_checkpoint(path, *gpu, sgd, state);
  auto cpu = tiny_staa();
  train::Sgd cpu_sgd({{cpu->parameters(), 0.0}}, {.lr = 0.01, .momentum = 0.9});
  train::load_checkpoint(path, *cpu, cpu_sgd);
  const auto a = gpu->state_dict(), b = cpu->state_dict();
  for (const auto& [name, t] : a) EXPECT_EQ(b.at(name).to_vector(), t.to_vector()) << name;
  std::filesystem::remove(path);
}

// 16 images [3, 8, 8] of 4 classes whose mean brightness is the class.
class Synthetic final : public data::Dataset {
 public:
  int64_t size() const override { return 16; }
  int64_t num_classes() const override { return 4; }
  data::Sample get(int64_t i) const override {
    data::Sample s{Shape{3, 8, 8}, std::vector<float>(192), label(i)};
    for (size_t k = 0; k < s.values.size(); ++k)
      s.values[k] = 0.2f * static_cast<float>(s.label) + 0.05f * static_cast<float>(k % 3);
    return s;
  }
  int64_t label(int64_t i) const override { return i % 4; }
};

TEST_F(CudaTrain, TheTrainerRunsOnCudaWithPrefetchedBatches) {
  auto model = tiny_staa();
  model->to(Device::cuda());
  train::Sgd sgd({{model->parameters(), 1e-4}}, {.lr = 0.05, .momentum = 0.9});
  auto data = std::make_shared<Synthetic>();
  data::LoaderOptions lo;
  lo.batch_size = 4;
  lo.num_workers = 1;
  lo.seed = 1;
  data::LoaderOptions test_lo;
  test_lo.batch_size = 8;
  test_lo.shuffle = false;
  data::DataLoader train_loader(data, nullptr, lo);
  data::DataLoader test_loader(data, nullptr, test_lo);
  train::ModelHooks hooks;
  hooks.forward = [&](const data::Batch& b) {
    EXPECT_EQ(b.inputs.device(), Device::cuda());
    EXPECT_EQ(b.labels.device(), Device::cuda());
    const Tensor logits = (*model)(b.inputs);
    return train::StepOutput{cross_entropy(logits, b.labels), logits};
  };
  train::LoopConfig config;
  config.epochs = 2;
  config.max_steps = 6;
  config.device = Device::cuda();
  config.num_classes = 4;
  train::CosineSchedule schedule;
  schedule.base_lr = 0.05;
  schedule.total_steps = 6;
  train::Trainer trainer(*model, sgd, schedule, train_loader, test_loader, hooks, config);
  EXPECT_TRUE(trainer.run());
  EXPECT_EQ(trainer.state().step, 6);
  EXPECT_EQ(train_loader.state(), (data::LoaderState{1, 2})) << "6 steps of 4 batches";
  const train::EvalResult r = trainer.evaluate();
  EXPECT_TRUE(std::isfinite(r.loss));
  EXPECT_GE(r.top1, 0.0);
  EXPECT_LE(r.top1, 1.0);
}

}  // namespace
}  // namespace staa
