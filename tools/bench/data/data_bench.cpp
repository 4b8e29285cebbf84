// data_bench: throughput of the CIFAR training pipeline (RandomCrop 32 pad 4, HFlip, 2 random ops
// of {contrast, rotation, translation}, Normalize, Cutout 16; batch 128) through the DataLoader
// with 1 and 2 worker threads, on synthetic CIFAR-10 binary files it writes (the real set is not
// reachable here). Tool: tools/bench. Prints images/s, and last `ratio target: <2 workers / 5000>`.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "data/cifar.h"
#include "data/loader.h"

namespace {

namespace fs = std::filesystem;
constexpr double kTarget = 5000.0;  // images/s, the bar

// Five data_batch files of `records` pseudo-random records (label byte + 3072 pixels).
void write_synthetic_cifar(const std::string& dir, int64_t records) {
  fs::create_directories(dir);
  uint32_t state = 12345;
  std::vector<char> bytes(static_cast<size_t>(records * 3073));
  for (int f = 1; f <= 5; ++f) {
    for (int64_t r = 0; r < records; ++r) {
      char* rec = bytes.data() + r * 3073;
      rec[0] = static_cast<char>((r + f) % 10);
      for (int k = 1; k < 3073; ++k) {
        state = state * 1664525u + 1013904223u;
        rec[k] = static_cast<char>(state >> 24);
      }
    }
    std::ofstream(dir + "/data_batch_" + std::to_string(f) + ".bin", std::ios::binary)
        .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
}

double images_per_second(const std::shared_ptr<const staa::data::Dataset>& dataset, int workers,
                         int64_t batches) {
  staa::data::LoaderOptions options;
  options.batch_size = 128;
  options.num_workers = workers;
  options.prefetch_batches = 4;
  options.seed = 1;
  staa::data::DataLoader loader(
      dataset, staa::data::cifar_train_transform(staa::data::kCifar10Mean, staa::data::kCifar10Std),
      options);
  loader.next();  // warm-up: starts the workers
  const auto start = std::chrono::steady_clock::now();
  int64_t images = 0;
  for (int64_t b = 0; b < batches; ++b) {
    auto batch = loader.next();
    if (!batch) batch = loader.next();  // epoch boundary
    images += batch->labels.numel();
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return static_cast<double>(images) / seconds;
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t batches = argc > 1 ? std::atoll(argv[1]) : 200;
  const std::string dir = (fs::temp_directory_path() / "staa_data_bench").string();
  write_synthetic_cifar(dir, 10000);
  auto dataset =
      std::make_shared<staa::data::CifarDataset>(dir, staa::data::CifarKind::kCifar10, true);
  std::printf(
      "data_bench: CIFAR-10 pipeline (crop+flip+2 random ops+normalize+cutout), batch 128, "
      "%lld batches\n",
      static_cast<long long>(batches));
  double two = 0;
  for (const int workers : {1, 2}) {
    const double rate = images_per_second(dataset, workers, batches);
    std::printf("workers %d: %.0f images/s\n", workers, rate);
    if (workers == 2) two = rate;
  }
  fs::remove_all(dir);
  std::printf("ratio target: %.2f\n", two / kTarget);
  return 0;
}
