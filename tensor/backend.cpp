// Backend lookup per device, and the CUDA hooks of a build without CUDA. Layer: tensor.
#include "tensor/backend.h"

#include <atomic>

#include "tensor/allocator.h"
#include "tensor/cpu/cpu_backend.h"

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
Backend* cuda_backend() {
  return nullptr;
}
bool cuda_available() {
  return false;
}
Allocator* cuda_allocator() {
  return nullptr;
}
#endif

Backend& backend_for(Device device) {
  if (device.is_cpu()) return cpu::cpu_backend();
  Backend* cuda = cuda_backend();
  STAA_CHECK(cuda != nullptr, "device ", device,
             ": this build has no CUDA backend "
             "(configure with -DSTAA_CUDA=ON on a machine with the CUDA toolkit)");
  STAA_CHECK(cuda_available(), "device ", device,
             ": the CUDA backend is built but no GPU is "
             "available");
  return *cuda;
}

Allocator& allocator_for(Device device) {
  if (device.is_cpu()) return cpu_allocator();
  Allocator* cuda = cuda_allocator();
  STAA_CHECK(cuda != nullptr, "device ", device, ": this build has no CUDA backend");
  return *cuda;
}

}  // namespace staa
