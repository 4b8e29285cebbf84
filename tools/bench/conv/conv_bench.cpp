// conv_bench: staa's conv2d (f32, CPU) on the ResNet-20 layer shapes of shapes.txt at batch 128,
// forward alone (no grad) and forward + backward (x and weight require grad, no bias, a fixed
// random cotangent). Prints one line per shape, `ours <name> <fwd_seconds> <fwdbwd_seconds>`
// (medians after warm-up), which run.sh merges with PyTorch's lines; see NOTES.md here.
// Usage: conv_bench <shapes.txt> [reps] [batch]   (threads: OMP_NUM_THREADS)
// CONV_PASSES=1: instead, each backend pass alone (forward, backward-data, backward-weight) as
// `pass <name> <fwd_s> <bwd_data_s> <bwd_weight_s>` and GFLOP/s, to see where the time goes;
// CONV_PASSES=fwd, data or weight times that pass alone (the others print 0), for profiling.
// CONV_WINOGRAD=0: 3x3 stride-1 shapes on implicit GEMM instead of Winograd (set_allow_winograd).
#include <omp.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "autograd/ops.h"
#include "tensor/backend.h"
#include "tensor/ops/conv.h"

namespace {

using Clock = std::chrono::steady_clock;

struct ConvShape {
  std::string name;
  int64_t c_in, c_out, size, kernel, stride, pad;
};

std::vector<ConvShape> read_shapes(const char* path) {
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "conv_bench: cannot open shapes file %s\n", path);
    std::exit(2);
  }
  std::vector<ConvShape> shapes;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    ConvShape s;
    fields >> s.name >> s.c_in >> s.c_out >> s.size >> s.kernel >> s.stride >> s.pad;
    if (!fields) {
      std::fprintf(stderr, "conv_bench: bad line in %s: %s\n", path, line.c_str());
      std::exit(2);
    }
    shapes.push_back(s);
  }
  return shapes;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Median seconds of `reps` runs after two warm-up runs: wall clock, or the process's CPU time
// when BENCH_CPUTIME is set (for comparing variants on one thread while the machine is loaded).
template <typename Fn>
double time_median(int reps, Fn&& run) {
  run();
  run();
  std::vector<double> times;
  static const bool cpu = std::getenv("BENCH_CPUTIME") != nullptr;
  for (int r = 0; r < reps; ++r) {
    timespec a, b;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
    const Clock::time_point start = Clock::now();
    run();
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
    times.push_back(cpu ? (b.tv_sec - a.tv_sec) + 1e-9 * (b.tv_nsec - a.tv_nsec)
                        : std::chrono::duration<double>(Clock::now() - start).count());
  }
  return median(times);
}

// Times the three backend passes of one shape separately and prints them with GFLOP/s.
void time_passes(const ConvShape& s, const staa::Tensor& x, const staa::Tensor& w,
                 const staa::Tensor& cot, int reps, const std::string& only) {
  const staa::Conv2dGeometry g = staa::make_conv2d_geometry(
      x.shape(), w.shape(), {s.stride, s.stride}, {s.pad, s.pad}, {1, 1}, 1);
  staa::Backend& be = staa::backend_of(x);
  staa::Tensor y = staa::Tensor::empty(g.out_shape(), x.dtype());
  staa::Tensor gx = staa::Tensor::empty(x.shape(), x.dtype());
  staa::Tensor gw = staa::Tensor::empty(w.shape(), x.dtype());
  staa::Tensor none;
  const auto timed = [&](const char* pass, auto&& f) {
    return only == "1" || only == pass ? time_median(reps, f) : 0.0;
  };
  const double fwd = timed("fwd", [&] { be.conv2d(x, w, none, g, y); });
  const double data = timed("data", [&] { be.conv2d_backward_data(cot, w, g, gx); });
  const double weight = timed("weight", [&] { be.conv2d_backward_weight(cot, x, g, gw, none); });
  const double gflop =
      2e-9 * double(g.n) * double(g.out_plane()) * double(g.c_out) * double(g.c_in * g.kh * g.kw);
  const auto rate = [&](double t) { return t > 0 ? gflop / t : 0.0; };
  std::printf("pass %s %.6f %.6f %.6f  GFLOP/s fwd %.1f data %.1f weight %.1f\n", s.name.c_str(),
              fwd, data, weight, rate(fwd), rate(data), rate(weight));
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: conv_bench <shapes.txt> [reps] [batch]\n");
    return 2;
  }
  const std::vector<ConvShape> shapes = read_shapes(argv[1]);
  const int reps = argc > 2 ? std::atoi(argv[2]) : 7;
  const int64_t batch = argc > 3 ? std::atoll(argv[3]) : 128;
  const char* winograd = std::getenv("CONV_WINOGRAD");
  if (winograd != nullptr && std::string(winograd) == "0") staa::set_allow_winograd(false);
  std::printf("# staa conv2d f32, %d OpenMP threads, batch %lld, median of %d\n",
              omp_get_max_threads(), static_cast<long long>(batch), reps);
  staa::Generator gen(7);
  for (const ConvShape& s : shapes) {
    staa::Tensor x = staa::uniform({batch, s.c_in, s.size, s.size}, -1, 1, gen);
    staa::Tensor w = staa::uniform({s.c_out, s.c_in, s.kernel, s.kernel}, -0.1, 0.1, gen);
    x.set_requires_grad(true);
    w.set_requires_grad(true);
    staa::Conv2dOptions o;
    o.stride = {s.stride, s.stride};
    o.padding = {s.pad, s.pad};
    staa::Tensor cot;
    {
      staa::NoGradGuard no_grad;
      cot = staa::normal(staa::conv2d(x, w, staa::Tensor(), o).shape(), 0, 1, gen);
    }
    if (const char* passes = std::getenv("CONV_PASSES")) {
      time_passes(s, x, w, cot, reps, passes);
      continue;
    }
    const double fwd = time_median(reps, [&] {
      staa::NoGradGuard no_grad;
      staa::conv2d(x, w, staa::Tensor(), o);
    });
    const double fwdbwd = time_median(reps, [&] {
      x.set_grad(staa::Tensor());
      w.set_grad(staa::Tensor());
      staa::backward(staa::conv2d(x, w, staa::Tensor(), o), cot);
    });
    std::printf("ours %s %.6f %.6f\n", s.name.c_str(), fwd, fwdbwd);
    std::fflush(stdout);
  }
  return 0;
}
