// The memory side of the CUDA backend, private to tensor/cuda and tensor/backend.cpp: the hooks of
// the public device API, host <-> device copies through pinned staging, and the calling thread's
// current GPU. Layer: tensor/cuda (private). No CUDA header here.
#pragma once

#include <cstddef>

namespace staa {
class Allocator;
class Backend;
}

namespace staa::cuda {

// The hooks behind tensor/cuda_api.h (tensor/backend.cpp adds the emulated device and the build
// without CUDA): GPUs present, making one current, waiting for it, its caching allocator (null
// when no GPU is present; throws naming the index when there is no such GPU).
int device_count();
void set_device(int index);
void synchronize(int index);
Allocator* allocator(int index);
// The CUDA backend (tensor/cuda/cuda_backend.cu).
staa::Backend* backend();

// The calling thread's current GPU as staa last set it (cuda_set_device), else CUDA's.
int current_device();
// device bytes <- host bytes on the current GPU: the bytes are copied into a pinned staging
// buffer and a cudaMemcpyAsync on the default stream is queued, so the call returns before the
// GPU has them; src may be reused as soon as it returns. dst: device pointer of `bytes`.
void copy_from_host(const void* src, void* dst, size_t bytes);
// host bytes <- device bytes, after every kernel queued before (waits: the value must reach the
// host). src: device pointer of `bytes`.
void copy_to_host(const void* src, void* dst, size_t bytes);

}  // namespace staa::cuda
