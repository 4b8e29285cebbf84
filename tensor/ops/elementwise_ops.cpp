// Names and properties of the elementwise ops, read off the X-macro lists. Layer: tensor.
#include "tensor/ops/elementwise_ops.h"

namespace staa {

const char* unary_op_name(UnaryOp op) {
  switch (op) {
#define STAA_CASE(name, Functor) \
  case UnaryOp::name:            \
    return #name;
    STAA_UNARY_OPS(STAA_CASE)
#undef STAA_CASE
  }
  return "?";
}

const char* binary_op_name(BinaryOp op) {
  switch (op) {
#define STAA_CASE(name, Functor) \
  case BinaryOp::name:           \
    return #name;
    STAA_BINARY_OPS(STAA_CASE)
    STAA_COMPARE_OPS(STAA_CASE)
#undef STAA_CASE
  }
  return "?";
}

Saves unary_op_saves(UnaryOp op) {
  switch (op) {
#define STAA_CASE(name, Functor) \
  case UnaryOp::name:            \
    return Functor::kSaves;
    STAA_UNARY_OPS(STAA_CASE)
#undef STAA_CASE
  }
  return Saves::kNone;
}

bool is_compare_op(BinaryOp op) {
  switch (op) {
#define STAA_CASE(name, Functor) \
  case BinaryOp::name:           \
    return true;
    STAA_COMPARE_OPS(STAA_CASE)
#undef STAA_CASE
    default:
      return false;
  }
}

}  // namespace staa
