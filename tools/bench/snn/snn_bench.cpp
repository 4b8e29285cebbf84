// snn_bench <lif|staa> <train|infer> [reps=5] [batch=32] [T=4] [device=cpu]: one ResNet-20
// training step (zero_grad, forward, cross-entropy on the mean over T, backward, SGD with momentum
// 0.9) or one inference forward, at 32x32 and 10 classes, on random data. Prints one line:
//   staa <neuron> <mode> median_s=<s> images_per_s=<x> peak_rss_mb=<m> [peak_device_mb=<m>]
// On CUDA each timed step ends by reading its loss (or a sum of the logits) on the host, which
// waits for the GPU; peak_device_mb is the caching allocator's peak of bytes in use.
// run.sh (CPU) and tools/gpu_check.sh (CUDA) run it beside snn_bench_torch.py. Layer: tools.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "autograd/ops.h"
#include "snn/network.h"
#include "tensor/allocator.h"
#include "trainer/optimizer.h"

using namespace staa;

namespace {

double peak_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr,
                 "usage: snn_bench <lif|staa> <train|infer> [reps] [batch] [T] [cpu|cuda]\n");
    return 2;
  }
  const std::string neuron = argv[1], mode = argv[2];
  const int reps = argc > 3 ? std::stoi(argv[3]) : 5;
  const int64_t batch = argc > 4 ? std::stoll(argv[4]) : 32;
  const int64_t T = argc > 5 ? std::stoll(argv[5]) : 4;
  const bool cuda = argc > 6 && std::string(argv[6]) == "cuda";
  const Device device = cuda ? Device::cuda() : Device::cpu();
  snn::ModelOptions o;
  o.neuron.time_steps = T;
  o.neuron.kind = neuron == "staa" ? snn::NeuronKind::kStaa : snn::NeuronKind::kLif;
  auto model = snn::make_model("resnet20", o);
  model->to(device);
  const snn::ParamGroups groups = snn::weight_decay_groups(*model);  // the paper's recipe
  train::Sgd sgd({{groups.decay, 1e-4}, {groups.no_decay, 0.0}}, {.lr = 0.1, .momentum = 0.9});
  Generator gen(1);
  const Tensor x = uniform({batch, 3, 32, 32}, -1, 1, gen).to(device);
  std::vector<int64_t> labels(batch);
  for (int64_t i = 0; i < batch; ++i) labels[i] = i % 10;
  const Tensor y = from_vector(labels, {batch}).to(device);
  if (mode == "infer") model->eval();
  std::vector<double> times;
  // The first runs warm the allocator up (and on CUDA choose the cuDNN algorithms).
  const int warmup = cuda ? 3 : 1;
  for (int r = 0; r < reps + warmup; ++r) {
    const auto start = std::chrono::steady_clock::now();
    if (mode == "train") {
      sgd.zero_grad();
      const Tensor loss = snn::mean_over_time_loss(model->forward_steps(x), y);
      backward(loss);
      sgd.step();
      if (cuda) loss.item();  // waits for the step's kernels
    } else {
      NoGradGuard no_grad;
      const Tensor logits = model->forward(x);
      if (cuda) sum(logits).item();
    }
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (r >= warmup) times.push_back(s);
  }
  std::sort(times.begin(), times.end());
  const double median = times[times.size() / 2];
  std::printf("staa %s %s median_s=%.4f images_per_s=%.2f peak_rss_mb=%.0f", neuron.c_str(),
              mode.c_str(), median, static_cast<double>(batch) / median, peak_rss_mb());
  if (cuda) {
    const AllocatorStats st = allocator_for(device).stats();
    std::printf(" peak_device_mb=%.0f reserved_device_mb=%.0f", st.peak_bytes / 1048576.0,
                st.reserved_bytes / 1048576.0);
  }
  std::printf("\n");
  return 0;
}
