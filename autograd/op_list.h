// The list of differentiable ops. Layer: autograd. Every op that records a tape node uses an
// OpId from here, and the op test matrix must hold a case for every entry (tests/op_coverage):
// adding an op without a test case fails the suite. Composite ops (built from other ops, so they
// record their parts) are listed too, because users call them and they need cases of their own.
#pragma once

#include <cstdint>

#include "tensor/ops/elementwise_ops.h"

// name, unused (same arity as the elementwise lists)
#define STAA_STRUCTURAL_OPS(X) \
  X(where, _)                  \
  X(sum, _)                    \
  X(mean, _)                   \
  X(max, _)                    \
  X(var, _)                    \
  X(reshape, _)                \
  X(slice, _)                  \
  X(permute, _)                \
  X(transpose, _)              \
  X(concat, _)                 \
  X(stack, _)                  \
  X(expand, _)                 \
  X(sum_to, _)                 \
  X(index_select, _)           \
  X(gather, _)                 \
  X(matmul, _)                 \
  X(conv2d, _)                 \
  X(avg_pool2d, _)             \
  X(max_pool2d, _)             \
  X(adaptive_avg_pool2d, _)    \
  X(batch_norm, _)             \
  X(layer_norm, _)             \
  X(linear, _)                 \
  X(softmax, _)                \
  X(log_softmax, _)            \
  X(cross_entropy, _)          \
  X(mse_loss, _)               \
  X(dropout, _)                \
  X(lif, _)                    \
  X(spike_reset, _)            \
  X(membrane_update, _)        \
  X(gc_context, _)

#define STAA_AUTOGRAD_OPS(X) STAA_UNARY_OPS(X) STAA_BINARY_OPS(X) STAA_STRUCTURAL_OPS(X)

namespace staa {

#define STAA_ENUM_ENTRY(name, unused) name,
enum class OpId : uint16_t { STAA_AUTOGRAD_OPS(STAA_ENUM_ENTRY) kCount };
#undef STAA_ENUM_ENTRY

const char* op_name(OpId op);
OpId op_id(UnaryOp op);
OpId op_id(BinaryOp op);

}  // namespace staa
