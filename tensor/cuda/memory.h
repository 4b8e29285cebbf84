// The memory side of the CUDA backend, private to tensor/cuda: host <-> device copies through
// pinned staging, and the calling thread's current GPU. Layer: tensor/cuda (private).
#pragma once

#include <cstddef>

namespace staa::cuda {

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
