// Backend lookup per device and the public device API (tensor/cuda_api.h) over the CUDA backend's
// hooks, for a build with or without CUDA and for the emulated device. Layer: tensor.
// A CUDA device is made the thread's current GPU here (cuda_set_device: a compare when it does
// not change), so every kernel, copy and allocation lands on the tensor's own GPU.
#include "tensor/backend.h"

#include <atomic>
#include <cstdlib>
#include <string>

#include "tensor/allocator.h"
#include "tensor/cpu/cpu_backend.h"
#include "tensor/cuda_api.h"
#ifdef STAA_WITH_CUDA
#include "tensor/cuda/memory.h"
#endif

namespace staa {

namespace {
std::atomic<bool> g_deterministic{false}, g_allow_tf32{false};
}  // namespace

void set_deterministic(bool on) {
  g_deterministic = on;
}
bool deterministic() {
  return g_deterministic;
}
void set_allow_tf32(bool on) {
  g_allow_tf32 = on;
}
bool allow_tf32() {
  return g_allow_tf32;
}

// ---- the device API (tensor/cuda_api.h) -------------------------------------------------------

namespace {
[[noreturn]] void no_cuda(const char* call) {
  STAA_FAIL(call, ": this build has no CUDA backend "
            "(configure with -DSTAA_CUDA=ON on a machine with the CUDA toolkit)");
}
int gpus_present() {
#ifdef STAA_WITH_CUDA
  return cuda::device_count();
#else
  return 0;
#endif
}
}  // namespace

bool cuda_emulated() {
  static const bool on = [] {
    const char* env = std::getenv("STAA_EMULATE_CUDA");
    return env != nullptr && std::string(env) == "1" && gpus_present() == 0;
  }();
  return on;
}

Backend* cuda_backend() {
  if (cuda_emulated()) return &cpu::cpu_backend();
#ifdef STAA_WITH_CUDA
  return cuda::backend();
#else
  return nullptr;
#endif
}

int cuda_device_count() {
  return cuda_emulated() ? 1 : gpus_present();
}

bool cuda_available() {
  return cuda_device_count() > 0;
}

Allocator* cuda_allocator(int index) {
  if (cuda_emulated()) return &cpu_allocator();
#ifdef STAA_WITH_CUDA
  return cuda::allocator(index);
#else
  (void)index;
  return nullptr;
#endif
}

void cuda_set_device(int index) {
  if (cuda_emulated()) {
    STAA_CHECK(index == 0, "device cuda:", index, ": no such GPU (the emulated CUDA device is cuda:0)");
    return;
  }
#ifdef STAA_WITH_CUDA
  cuda::set_device(index);
#else
  (void)index;
  no_cuda("cuda_set_device");
#endif
}

void cuda_synchronize(int index) {
  if (cuda_emulated()) return cuda_set_device(index);  // the CPU backend is synchronous
#ifdef STAA_WITH_CUDA
  cuda::synchronize(index);
#else
  (void)index;
  no_cuda("cuda_synchronize");
#endif
}

namespace {
Allocator& checked_allocator(const char* call, int index) {
  Allocator* a = cuda_allocator(index);
  if (a == nullptr) {
    if (cuda_backend() == nullptr) no_cuda(call);
    STAA_FAIL(call, ": no GPU is available (the CUDA backend is built)");
  }
  return *a;
}
}  // namespace

AllocatorStats cuda_memory_stats(int index) {
  return checked_allocator("cuda_memory_stats", index).stats();
}
void cuda_empty_cache(int index) {
  checked_allocator("cuda_empty_cache", index).empty_cache();
}
void cuda_reset_peak_memory(int index) {
  checked_allocator("cuda_reset_peak_memory", index).reset_peak();
}

// ---- lookup per device ------------------------------------------------------------------------

namespace {
// Throws naming the device when its backend cannot run.
void check_cuda_device(Device device) {
  STAA_CHECK(cuda_backend() != nullptr, "device ", device,
             ": this build has no CUDA backend "
             "(configure with -DSTAA_CUDA=ON on a machine with the CUDA toolkit)");
  STAA_CHECK(cuda_available(), "device ", device,
             ": the CUDA backend is built but no GPU is available");
}
}  // namespace

Backend& backend_for(Device device) {
  if (device.is_cpu()) return cpu::cpu_backend();
  Backend* cuda = cuda_backend();
  if (cuda == nullptr || !cuda_available()) check_cuda_device(device);
  cuda_set_device(device.index);  // a compare when it is already current
  return *cuda;
}

Allocator& allocator_for(Device device) {
  if (device.is_cpu()) return cpu_allocator();
  Allocator* cuda = cuda_allocator(device.index);
  if (cuda == nullptr) check_cuda_device(device);
  cuda_set_device(device.index);
  return *cuda;
}

}  // namespace staa
