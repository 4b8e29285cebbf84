// Names of the differentiable ops, read off the list. Layer: autograd.
#include "autograd/op_list.h"

namespace staa {

const char* op_name(OpId op) {
  switch (op) {
#define STAA_CASE(name, unused) \
  case OpId::name:              \
    return #name;
    STAA_AUTOGRAD_OPS(STAA_CASE)
#undef STAA_CASE
    case OpId::kCount:
      break;
  }
  return "?";
}

OpId op_id(UnaryOp op) {
  switch (op) {
#define STAA_CASE(name, unused) \
  case UnaryOp::name:           \
    return OpId::name;
    STAA_UNARY_OPS(STAA_CASE)
#undef STAA_CASE
  }
  return OpId::kCount;
}

OpId op_id(BinaryOp op) {
  switch (op) {
#define STAA_CASE(name, unused) \
  case BinaryOp::name:          \
    return OpId::name;
    STAA_BINARY_OPS(STAA_CASE)
#undef STAA_CASE
    default:
      return OpId::kCount;  // comparisons have no gradient and no node
  }
}

}  // namespace staa
