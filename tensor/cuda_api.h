// The CUDA backend's device API for users, tools and tests: device count, selection,
// synchronisation and the memory statistics of each GPU's caching allocator. Layer: tensor.
// No CUDA header here (design §1): in a build without CUDA every call answers "no GPU"
// (count 0) or throws saying the backend is not built.
#pragma once

#include "tensor/allocator.h"

namespace staa {

// GPUs visible to this process; 0 without the CUDA backend or without a GPU (1 when emulated).
int cuda_device_count();
// The emulated CUDA device, a test aid for machines without a GPU: with STAA_EMULATE_CUDA=1 in
// the environment and no GPU present, Device::cuda(0) tensors live in host memory and run the
// CPU kernels. Everything above the backend (front-ends, autograd, modules, the trainer) then
// takes its CUDA path, so a test shows that code keeps each tensor on the device it asked for and
// moves what it must; it says nothing about the CUDA kernels. Ignored when a GPU is present.
bool cuda_emulated();
// Makes GPU `index` the calling thread's current device. A thread-local cache remembers the
// last one, so the call costs a compare when nothing changes; backend_for() and allocator_for()
// call it for every CUDA tensor. staa owns the current device of its threads: code that calls
// cudaSetDevice itself must call cuda_set_device afterwards. Throws naming the index and the
// count when there is no such GPU.
void cuda_set_device(int index);
// Waits until every kernel and copy queued on GPU `index` has finished (and reports an
// asynchronous error of theirs).
void cuda_synchronize(int index = 0);
// The statistics of GPU `index`'s caching allocator (bytes handed out, peak, cached, reserved).
AllocatorStats cuda_memory_stats(int index = 0);
// Returns GPU `index`'s cached blocks to the driver (cudaFree, which synchronises).
void cuda_empty_cache(int index = 0);
// Starts a new peak: peak_bytes = current_bytes.
void cuda_reset_peak_memory(int index = 0);

}  // namespace staa
