// Launch helpers shared by the kernels of tensor/cuda: the block size, the grid for n elements,
// the launch check, and grid-stride loops. Layer: tensor/cuda (private).
#pragma once

#include <cstdint>

#include "tensor/cuda/cuda_check.h"

namespace staa::cuda {

constexpr int kThreads = 256;

// Blocks of kThreads covering n elements, capped so that grid-stride kernels stay in range.
inline int blocks_for(int64_t n) {
  const int64_t b = (n + kThreads - 1) / kThreads;
  return static_cast<int>(b < 1 ? 1 : (b > (1 << 30) ? (1 << 30) : b));
}

// Throws staa::Error with CUDA's message when the last launch failed.
inline void check_launch() {
  STAA_CUDA_CHECK(cudaGetLastError());
}

#ifdef __CUDACC__
// Grid-stride loops: for (k = thread_index(); k < n; k += thread_stride()).
__device__ inline int64_t thread_index() {
  return blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
}
__device__ inline int64_t thread_stride() {
  return static_cast<int64_t>(gridDim.x) * blockDim.x;
}
#endif

}  // namespace staa::cuda
