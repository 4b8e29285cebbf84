// STAA_CUDA_CHECK: every CUDA runtime call of tensor/cuda/ goes through it and fails with
// staa::Error naming the call and CUDA's message. Layer: tensor/cuda (private).
#pragma once

#include <cuda_runtime.h>

#include "tensor/error.h"

#define STAA_CUDA_CHECK(call)                                                                \
  do {                                                                                       \
    const cudaError_t err_ = (call);                                                         \
    STAA_CHECK(err_ == cudaSuccess, "cuda: ", #call, " failed: ", cudaGetErrorString(err_)); \
  } while (0)
