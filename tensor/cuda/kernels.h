// The CUDA kernels behind CudaBackend, one family per file. Layer: tensor/cuda (private).
// Arguments, shapes and semantics are those of the Backend entry of the same name
// (tensor/backend.h); every tensor is dense on the current CUDA device, every launch goes on the
// default stream and is checked.
#pragma once

#include <vector>

#include "tensor/backend.h"

namespace staa::cuda {

// ---- reduce.cu: reductions, softmax, layer norm ----------------------------------------------
void reduce(ReduceOp op, const Tensor& x, const ReduceLayout& layout, Tensor& out, Tensor& index);
void reduce_max_backward(const Tensor& grad_out, const Tensor& index, const ReduceLayout& layout,
                         Tensor& grad_x);
void softmax(const Tensor& x, const DimLayout& layout, bool log, Tensor& y);
void softmax_backward(const Tensor& y, const Tensor& grad_y, const DimLayout& layout, bool log,
                      Tensor& grad_x);
void layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, const LayerNormLayout& l,
                double eps, Tensor& y, Tensor& mean, Tensor& inv_std);
void layer_norm_backward(const Tensor& x, const Tensor& mean, const Tensor& inv_std,
                         const Tensor& weight, const Tensor& grad_y, const LayerNormLayout& l,
                         Tensor& grad_x, Tensor& grad_weight, Tensor& grad_bias);

// ---- shape.cu: permute, expand, index ops ----------------------------------------------------
void permute(const Tensor& x, const std::vector<int>& perm, Tensor& out);
void expand(const Tensor& x, Tensor& out);
void index_select(const Tensor& x, const DimLayout& layout, const Tensor& index, Tensor& out);
void index_add(const Tensor& grad_out, const DimLayout& layout, const Tensor& index,
               Tensor& grad_x);
void gather(const Tensor& x, const DimLayout& layout, const Tensor& index, Tensor& out);
void scatter_add(const Tensor& grad_out, const DimLayout& layout, const Tensor& index,
                 Tensor& grad_x);

// ---- pool.cu: pooling ------------------------------------------------------------------------
void avg_pool2d(const Tensor& x, const Pool2dGeometry& g, Tensor& y);
void avg_pool2d_backward(const Tensor& grad_y, const Pool2dGeometry& g, Tensor& grad_x);
void max_pool2d(const Tensor& x, const Pool2dGeometry& g, Tensor& y, Tensor& index);
void max_pool2d_backward(const Tensor& grad_y, const Tensor& index, const Pool2dGeometry& g,
                         Tensor& grad_x);
void adaptive_avg_pool2d(const Tensor& x, const AdaptivePool2dGeometry& g, Tensor& y);
void adaptive_avg_pool2d_backward(const Tensor& grad_y, const AdaptivePool2dGeometry& g,
                                  Tensor& grad_x);

// ---- norm.cu: batch norm ---------------------------------------------------------------------
void batch_norm_stats(const Tensor& x, const BatchNormLayout& l, Tensor& mean, Tensor& var);
void batch_norm_forward(const Tensor& x, const Tensor& mean, const Tensor& var,
                        const Tensor& weight, const Tensor& bias, const BatchNormLayout& l,
                        double eps, Tensor& y);
void batch_norm_backward(const Tensor& x, const Tensor& mean, const Tensor& var,
                         const Tensor& weight, const Tensor& grad_y, const BatchNormLayout& l,
                         double eps, bool training, Tensor& grad_x, Tensor& grad_weight,
                         Tensor& grad_bias);

// ---- conv.cu: convolution through cuDNN ------------------------------------------------------
void conv2d(const Tensor& x, const Tensor& w, const Tensor& bias, const Conv2dGeometry& g,
            Tensor& y);
void conv2d_backward_data(const Tensor& grad_y, const Tensor& w, const Conv2dGeometry& g,
                          Tensor& grad_x);
void conv2d_backward_weight(const Tensor& grad_y, const Tensor& x, const Conv2dGeometry& g,
                            Tensor& grad_w, Tensor& grad_bias);

}  // namespace staa::cuda
