// CpuBackend: the Backend on the host, kernels templated on float and double, threaded with
// OpenMP. Layer: tensor/cpu. Definitions are split by op family: cpu_backend.cpp (memory, fill,
// random, where, gemm), elementwise.cpp, reduce.cpp, shape_ops.cpp, softmax.cpp.
#pragma once

#include "tensor/backend.h"
#include "tensor/dispatch.h"

namespace staa::cpu {

// Loops shorter than this stay on one thread: forking costs more than it saves.
inline constexpr int64_t kParallelGrain = 32768;

class CpuBackend final : public Backend {
 public:
  const char* name() const override { return "cpu"; }

  void copy(const Tensor& src, Tensor& dst) override;
  void copy_from_host(const void* src, Tensor& dst) override;
  void copy_to_host(const Tensor& src, void* dst) override;
  void copy_block(const Tensor& src, int64_t src_ld, int64_t src_col, Tensor& dst, int64_t dst_ld,
                  int64_t dst_col, int64_t rows, int64_t cols) override;

  void fill(Tensor& out, double value) override;
  void arange(Tensor& out, double start, double step) override;
  void uniform(Tensor& out, double low, double high, uint64_t seed, uint64_t offset) override;
  void normal(Tensor& out, double mean, double stddev, uint64_t seed, uint64_t offset) override;
  void dropout_mask(Tensor& mask, double keep, uint64_t seed, uint64_t offset) override;

  void unary(UnaryOp op, const Tensor& x, Tensor& y, double p0, double p1) override;
  void unary_backward(UnaryOp op, const Tensor& x, const Tensor& y, const Tensor& grad_y,
                      Tensor& grad_x, double p0, double p1) override;
  void binary(BinaryOp op, const Tensor& a, const Tensor& b, Tensor& out) override;
  void binary_backward(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& grad_out,
                       Tensor& grad_a, Tensor& grad_b) override;
  void where(const Tensor& cond, const Tensor& a, const Tensor& b, Tensor& out) override;

  void reduce(ReduceOp op, const Tensor& x, const ReduceLayout& layout, Tensor& out,
              Tensor& index) override;
  void reduce_max_backward(const Tensor& grad_out, const Tensor& index, const ReduceLayout& layout,
                           Tensor& grad_x) override;

  void permute(const Tensor& x, const std::vector<int>& perm, Tensor& out) override;
  void expand(const Tensor& x, Tensor& out) override;
  void index_select(const Tensor& x, const DimLayout& layout, const Tensor& index,
                    Tensor& out) override;
  void index_add(const Tensor& grad_out, const DimLayout& layout, const Tensor& index,
                 Tensor& grad_x) override;
  void gather(const Tensor& x, const DimLayout& layout, const Tensor& index, Tensor& out) override;
  void scatter_add(const Tensor& grad_out, const DimLayout& layout, const Tensor& index,
                   Tensor& grad_x) override;

  void conv2d(const Tensor& x, const Tensor& w, const Tensor& bias, const Conv2dGeometry& g,
              Tensor& y) override;
  void conv2d_backward_data(const Tensor& grad_y, const Tensor& w, const Conv2dGeometry& g,
                            Tensor& grad_x) override;
  void conv2d_backward_weight(const Tensor& grad_y, const Tensor& x, const Conv2dGeometry& g,
                              Tensor& grad_w, Tensor& grad_bias) override;

  void avg_pool2d(const Tensor& x, const Pool2dGeometry& g, Tensor& y) override;
  void avg_pool2d_backward(const Tensor& grad_y, const Pool2dGeometry& g, Tensor& grad_x) override;
  void max_pool2d(const Tensor& x, const Pool2dGeometry& g, Tensor& y, Tensor& index) override;
  void max_pool2d_backward(const Tensor& grad_y, const Tensor& index, const Pool2dGeometry& g,
                           Tensor& grad_x) override;
  void adaptive_avg_pool2d(const Tensor& x, const AdaptivePool2dGeometry& g, Tensor& y) override;
  void adaptive_avg_pool2d_backward(const Tensor& grad_y, const AdaptivePool2dGeometry& g,
                                    Tensor& grad_x) override;
  void batch_norm_stats(const Tensor& x, const BatchNormLayout& l, Tensor& mean,
                        Tensor& var) override;
  void batch_norm_forward(const Tensor& x, const Tensor& mean, const Tensor& var,
                          const Tensor& weight, const Tensor& bias, const BatchNormLayout& l,
                          double eps, Tensor& y) override;
  void batch_norm_backward(const Tensor& x, const Tensor& mean, const Tensor& var,
                           const Tensor& weight, const Tensor& grad_y, const BatchNormLayout& l,
                           double eps, bool training, Tensor& grad_x, Tensor& grad_weight,
                           Tensor& grad_bias) override;
  void layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias,
                  const LayerNormLayout& l, double eps, Tensor& y, Tensor& mean,
                  Tensor& inv_std) override;
  void layer_norm_backward(const Tensor& x, const Tensor& mean, const Tensor& inv_std,
                           const Tensor& weight, const Tensor& grad_y, const LayerNormLayout& l,
                           Tensor& grad_x, Tensor& grad_weight, Tensor& grad_bias) override;

  void lif_forward(const Tensor& x, const Tensor& leak, const Tensor& gain, const LifLayout& l,
                   const LifParams& p, Tensor& spikes, Tensor& membrane) override;
  void lif_backward(const Tensor& x, const Tensor& membrane, const Tensor& leak, const Tensor& gain,
                    const Tensor& grad_spikes, const LifLayout& l, const LifParams& p,
                    Tensor& grad_x, Tensor& grad_leak, Tensor& grad_gain) override;

  void spike_reset(const Tensor& d, const LifParams& p, Tensor& h) override;
  void spike_reset_backward(const Tensor& d, const Tensor& grad_h, const LifParams& p,
                            Tensor& grad_d) override;
  void membrane_update(const Tensor& x, const Tensor& h, const Tensor& gain, const Tensor& leak,
                       const Tensor& bias, Tensor& out) override;
  void membrane_update_backward(const Tensor& x, const Tensor& h, const Tensor& gain,
                                const Tensor& leak, const Tensor& grad_out, Tensor& grad_x,
                                Tensor& grad_h, Tensor& grad_gain, Tensor& grad_leak,
                                Tensor& grad_bias) override;

  void gemm(const GemmParams& p, const Tensor& a, const Tensor& b, Tensor& c) override;
  void sgd_step(Tensor& p, const Tensor& grad, Tensor& buf, const SgdStepParams& s) override;

  void softmax(const Tensor& x, const DimLayout& layout, bool log, Tensor& y) override;
  void softmax_backward(const Tensor& y, const Tensor& grad_y, const DimLayout& layout, bool log,
                        Tensor& grad_x) override;
};

CpuBackend& cpu_backend();

}  // namespace staa::cpu
