// The CUDA fused multi-step LIF (tensor/cuda/neuron.cu), called by CudaBackend. Layer:
// tensor/cuda (private). Arguments and semantics are Backend::lif_forward / lif_backward's.
#pragma once

#include "tensor/ops/neuron.h"
#include "tensor/tensor.h"

namespace staa::cuda {

void lif_forward(const Tensor& x, const Tensor& leak, const Tensor& gain, const LifLayout& l,
                 const LifParams& p, Tensor& spikes, Tensor& membrane);
void lif_backward(const Tensor& x, const Tensor& membrane, const Tensor& leak, const Tensor& gain,
                  const Tensor& grad_spikes, const LifLayout& l, const LifParams& p, Tensor& grad_x,
                  Tensor& grad_leak, Tensor& grad_gain);

// One step's reset from d = V - v_th and its backward (Backend::spike_reset*).
void spike_reset(const Tensor& d, const LifParams& p, Tensor& h);
void spike_reset_backward(const Tensor& d, const Tensor& grad_h, const LifParams& p,
                          Tensor& grad_d);

// STAA-LIF's membrane from per-row coefficients and its backward (Backend::membrane_update*).
void membrane_update(const Tensor& x, const Tensor& h, const Tensor& gain, const Tensor& leak,
                     const Tensor& bias, Tensor& out);
void membrane_update_backward(const Tensor& x, const Tensor& h, const Tensor& gain,
                              const Tensor& leak, const Tensor& grad_out, Tensor& grad_x,
                              Tensor& grad_h, Tensor& grad_gain, Tensor& grad_leak,
                              Tensor& grad_bias);

}  // namespace staa::cuda
