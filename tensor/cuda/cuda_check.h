// STAA_CUDA_CHECK: every CUDA runtime call of tensor/cuda/ goes through it and fails with
// staa::Error naming the call and CUDA's message; a failure's (non-sticky) error is cleared first,
// so that the next launch check does not report it again. Layer: tensor/cuda (private).
#pragma once

#include <cuda_runtime.h>

#include "tensor/error.h"

#define STAA_CUDA_CHECK(call)                                                                \
  do {                                                                                       \
    const cudaError_t err_ = (call);                                                         \
    if (err_ != cudaSuccess) (void)cudaGetLastError();                                       \
    STAA_CHECK(err_ == cudaSuccess, "cuda: ", #call, " failed: ", cudaGetErrorString(err_)); \
  } while (0)
