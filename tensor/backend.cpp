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
std::atomic<bool> g_deterministic{false}, g_allow_tf32{false}, g_allow_winograd{true};
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
void set_allow_winograd(bool on) {
  g_allow_winograd = on;
}
bool allow_winograd() {
  return g_allow_winograd;
}

// ---- the device API (tensor/cuda_api.h) -------------------------------------------------------

namespace {
int gpus_present() {
#ifdef STAA_WITH_CUDA
  return cuda::device_count();
#else
  return 0;
#endif
}
// Throws naming the device and why it cannot run here (device_unavailable).
void check_device(Device device) {
  const std::string why = device_unavailable(device);
  STAA_CHECK(why.empty(), "device ", device, ": ", why);
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

std::string device_unavailable(Device device) {
  if (device.is_cpu()) return "";
  if (cuda_backend() == nullptr)
    return "this build has no CUDA backend (configure with -DSTAA_CUDA=ON on a machine with the "
           "CUDA toolkit)";
  const int count = cuda_device_count();
  if (count == 0) return "no GPU is available on this machine (the CUDA backend is built)";
  if (device.index < 0 || device.index >= count) {
    return "no such GPU: this machine has " + std::to_string(count) +
           (count == 1 ? " GPU (cuda:0)"
                       : " GPUs (cuda:0 to cuda:" + std::to_string(count - 1) + ")");
  }
  return "";
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
#ifdef STAA_WITH_CUDA
  if (!cuda_emulated()) return cuda::set_device(index);  // checks the index when it changes
#endif
  check_device(Device::cuda(index));  // the emulated device, or the build without CUDA: throws
}

void cuda_synchronize(int index) {
  check_device(Device::cuda(index));
#ifdef STAA_WITH_CUDA
  if (!cuda_emulated()) cuda::synchronize(index);  // (the emulated device is synchronous)
#endif
}

namespace {
Allocator& checked_allocator(int index) {
  check_device(Device::cuda(index));
  return *cuda_allocator(index);
}
}  // namespace

AllocatorStats cuda_memory_stats(int index) {
  return checked_allocator(index).stats();
}
void cuda_empty_cache(int index) {
  checked_allocator(index).empty_cache();
}
void cuda_reset_peak_memory(int index) {
  checked_allocator(index).reset_peak();
}

// ---- lookup per device ------------------------------------------------------------------------

Backend& backend_for(Device device) {
  if (device.is_cpu()) return cpu::cpu_backend();
  Backend* cuda = cuda_backend();
  if (cuda == nullptr || !cuda_available()) check_device(device);
  cuda_set_device(device.index);  // a compare when it is already current
  return *cuda;
}

Allocator& allocator_for(Device device) {
  if (device.is_cpu()) return cpu_allocator();
  Allocator* cuda = cuda_allocator(device.index);
  if (cuda == nullptr) check_device(device);
  cuda_set_device(device.index);
  return *cuda;
}

}  // namespace staa
