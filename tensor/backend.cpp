// Backend lookup per device, and the CUDA hooks of a build without CUDA. Layer: tensor.
// A CUDA device is made the thread's current GPU here (cuda_set_device: a compare when it does
// not change), so every kernel, copy and allocation lands on the tensor's own GPU.
#include "tensor/backend.h"

#include <atomic>

#include "tensor/allocator.h"
#include "tensor/cpu/cpu_backend.h"
#include "tensor/cuda_api.h"

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

#ifndef STAA_WITH_CUDA
namespace {
[[noreturn]] void no_cuda(const char* call) {
  STAA_FAIL(call, ": this build has no CUDA backend "
            "(configure with -DSTAA_CUDA=ON on a machine with the CUDA toolkit)");
}
}  // namespace

Backend* cuda_backend() {
  return nullptr;
}
bool cuda_available() {
  return false;
}
Allocator* cuda_allocator(int) {
  return nullptr;
}
int cuda_device_count() {
  return 0;
}
void cuda_set_device(int) {
  no_cuda("cuda_set_device");
}
void cuda_synchronize(int) {
  no_cuda("cuda_synchronize");
}
AllocatorStats cuda_memory_stats(int) {
  no_cuda("cuda_memory_stats");
}
void cuda_empty_cache(int) {
  no_cuda("cuda_empty_cache");
}
void cuda_reset_peak_memory(int) {
  no_cuda("cuda_reset_peak_memory");
}
#endif

namespace {
// The CUDA backend with `device` made current; throws naming the device when it cannot be.
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
