// Scalar math of every elementwise op: one functor per op with its forward and its derivative
// side by side, shared by the CPU loop and the CUDA kernel (STAA_HOST_DEVICE). Layer: tensor.
// Adding an elementwise op = a functor here + one line in its X-macro list + a test case; the
// backends and autograd pick it up from the list.
//
// Unary functors: forward(x, p) and backward(x, y, g, p) = g * dy/dx, where y = forward(x, p) and
// p holds the op's scalar parameters (exponent, clamp bounds, scalar operand). kSaves says which of
// x and y the backward reads, so autograd saves only that one.
// Binary functors: forward(a, b), grad_a(a, b, g) = g * df/da, grad_b(a, b, g) = g * df/db.
#pragma once

#include <cmath>
#include <cstdint>

#include "tensor/generator.h"  // STAA_HOST_DEVICE
#include "tensor/ops/surrogate.h"

namespace staa {

enum class Saves : uint8_t { kNone, kInput, kOutput };

template <typename T>
struct ScalarParams {
  T p0 = 0;
  T p1 = 0;
};

// name, Functor
#define STAA_UNARY_OPS(X)                  \
  X(neg, NegOp)                            \
  X(abs, AbsOp)                            \
  X(exp, ExpOp)                            \
  X(log, LogOp)                            \
  X(sqrt, SqrtOp)                          \
  X(square, SquareOp)                      \
  X(relu, ReluOp)                          \
  X(sigmoid, SigmoidOp)                    \
  X(tanh, TanhOp)                          \
  X(pow_scalar, PowScalarOp)               \
  X(clamp, ClampOp)                        \
  X(add_scalar, AddScalarOp)               \
  X(mul_scalar, MulScalarOp)               \
  X(rsub_scalar, RsubScalarOp)             \
  X(rdiv_scalar, RdivScalarOp)             \
  X(maximum_scalar, MaximumScalarOp)       \
  X(minimum_scalar, MinimumScalarOp)       \
  X(spike_rectangular, SpikeRectangularOp) \
  X(spike_sigmoid, SpikeSigmoidOp)         \
  X(spike_atan, SpikeAtanOp)

#define STAA_BINARY_OPS(X) \
  X(add, AddOp)            \
  X(sub, SubOp)            \
  X(mul, MulOp)            \
  X(div, DivOp)            \
  X(maximum, MaximumOp)    \
  X(minimum, MinimumOp)

// Comparisons give masks of 0 and 1 in the inputs' dtype; they have no gradient.
#define STAA_COMPARE_OPS(X) \
  X(eq, EqOp)               \
  X(ne, NeOp)               \
  X(lt, LtOp)               \
  X(le, LeOp)               \
  X(gt, GtOp)               \
  X(ge, GeOp)

#define STAA_ENUM_ENTRY(name, Functor) name,
enum class UnaryOp : uint8_t { STAA_UNARY_OPS(STAA_ENUM_ENTRY) };
enum class BinaryOp : uint8_t {
  STAA_BINARY_OPS(STAA_ENUM_ENTRY) STAA_COMPARE_OPS(STAA_ENUM_ENTRY)
};
#undef STAA_ENUM_ENTRY

const char* unary_op_name(UnaryOp op);
const char* binary_op_name(BinaryOp op);
Saves unary_op_saves(UnaryOp op);
bool is_compare_op(BinaryOp op);

// ---- unary ------------------------------------------------------------------------------------

struct NegOp {
  static constexpr Saves kSaves = Saves::kNone;
  template <typename T>
  STAA_HOST_DEVICE static T forward(T x, ScalarParams<T>) {
    return -x;
  }
  template <typename T>
  STAA_HOST_DEVICE static T backward(T, T, T g, ScalarParams<T>) {
    return -g;
  }
};

struct AbsOp {  // d|x|/dx = sign(x), 0 at 0
  static constexpr Saves kSaves = Saves::kInput;
  template <typename T>
  STAA_HOST_DEVICE static T forward(T x, ScalarParams<T>) {
    return x < T(0) ? -x : x;
  }
  template <typename T>
  STAA_HOST_DEVICE static T backward(T x, T, T g, ScalarParams<T>) {
    return x > T(0) ? g : (x < T(0) ? -g : T(0));
  }
};

struct ExpOp {  // d e^x = e^x = y
  static constexpr Saves kSaves = Saves::kOutput;
  template <typename T>
  STAA_HOST_DEVICE static T forward(T x, ScalarParams<T>) {
    return std::exp(x);
  }
  template <typename T>
  STAA_HOST_DEVICE static T backward(T, T y, T g, ScalarParams<T>) {
    return g * y;
  }
};

struct LogOp {  // d log x = 1 / x
  static constexpr Saves kSaves = Saves::kInput;
  template <typename T>
  STAA_HOST_DEVICE static T forward(T x, ScalarParams<T>) {
    return std::log(x);
  }
  template <typename T>
  STAA_HOST_DEVICE static T backward(T x, T, T g, ScalarParams<T>) {
    return g / x;
  }
};

struct SqrtOp {  // d sqrt(x) = 1 / (2 sqrt(x)) = 1 / (2y)
  static constexpr Saves kSaves = Saves::kOutput;
  template <typename T>
  STAA_HOST_DEVICE static T forward(T x, ScalarParams<T>) {
    return std::sqrt(x);
  }
  template <typename T>
  STAA_HOST_DEVICE static T backward(T, T y, T g, ScalarParams<T>) {
    return g / (T(2) * y);
  }
};

struct SquareOp {  // d x^2 = 2x
  static constexpr Saves kSaves = Saves::kInput;
  template <typename T>
  STAA_HOST_DEVICE static T forward(T x, ScalarParams<T>) {
    return x * x;
  }
  template <typename T>
  STAA_HOST_DEVICE static T backward(T x, T, T g, ScalarParams<T>) {
    return T(2) * x * g;
  }
};

struct ReluOp {  // d relu = 1 where y > 0 (0 at the kink, as PyTorch)
  static constexpr Saves kSaves = Saves::kOutput;
  template <typename T>
  STAA_HOST_DEVICE static T forward(T x, ScalarParams<T>) {
    return x > T(0) ? x : T(0);
  }
  template <typename T>
  STAA_HOST_DEVICE static T backward(T, T y, T g, ScalarParams<T>) {
    return y > T(0) ? g : T(0);
  }
};

struct SigmoidOp {  // d sigma = y (1 - y); the two-branch form never overflows exp
  static constexpr Saves kSaves = Saves::kOutput;
  template <typename T>
  STAA_HOST_DEVICE static T forward(T x, ScalarParams<T>) {
    if (x >= T(0)) return T(1) / (T(1) + std::exp(-x));
    const T e = std::exp(x);
    return e / (T(1) + e);
  }
  template <typename T>
  STAA_HOST_DEVICE static T backward(T, T y, T g, ScalarParams<T>) {
    return g * y * (T(1) - y);
  }
};

struct TanhOp {  // d tanh = 1 - y^2
  static constexpr Saves kSaves = Saves::kOutput;
  template <typename T>
  STAA_HOST_DEVICE static T forward(T x, ScalarParams<T>) {
    return std::tanh(x);
  }
  template <typename T>
  STAA_HOST_DEVICE static T backward(T, T y, T g, ScalarParams<T>) {
    return g * (T(1) - y * y);
  }
};

struct PowScalarOp {  // y = x^p0, dy/dx = p0 x^(p0-1)
  static constexpr Saves kSaves = Saves::kInput;
  template <typename T>
  STAA_HOST_DEVICE static T forward(T x, ScalarParams<T> p) {
    return std::pow(x, p.p0);
  }
  template <typename T>
  STAA_HOST_DEVICE static T backward(T x, T, T g, ScalarParams<T> p) {
    return p.p0 == T(0) ? T(0) : g * p.p0 * std::pow(x, p.p0 - T(1));
  }
};

struct ClampOp {  // y = min(max(x, p0), p1); gradient passes where p0 <= x <= p1
  static constexpr Saves kSaves = Saves::kInput;
  template <typename T>
  STAA_HOST_DEVICE static T forward(T x, ScalarParams<T> p) {
    return x < p.p0 ? p.p0 : (x > p.p1 ? p.p1 : x);
  }
  template <typename T>
  STAA_HOST_DEVICE static T backward(T x, T, T g, ScalarParams<T> p) {
    return (x >= p.p0 && x <= p.p1) ? g : T(0);
  }
};

struct AddScalarOp {  // y = x + p0
  static constexpr Saves kSaves = Saves::kNone;
  template <typename T>
  STAA_HOST_DEVICE static T forward(T x, ScalarParams<T> p) {
    return x + p.p0;
  }
  template <typename T>
  STAA_HOST_DEVICE static T backward(T, T, T g, ScalarParams<T>) {
    return g;
  }
};

struct MulScalarOp {  // y = x * p0
  static constexpr Saves kSaves = Saves::kNone;
  template <typename T>
  STAA_HOST_DEVICE static T forward(T x, ScalarParams<T> p) {
    return x * p.p0;
  }
  template <typename T>
  STAA_HOST_DEVICE static T backward(T, T, T g, ScalarParams<T> p) {
    return g * p.p0;
  }
};

struct RsubScalarOp {  // y = p0 - x
  static constexpr Saves kSaves = Saves::kNone;
  template <typename T>
  STAA_HOST_DEVICE static T forward(T x, ScalarParams<T> p) {
    return p.p0 - x;
  }
  template <typename T>
  STAA_HOST_DEVICE static T backward(T, T, T g, ScalarParams<T>) {
    return -g;
  }
};

struct RdivScalarOp {  // y = p0 / x, dy/dx = -p0 / x^2 = -y / x
  static constexpr Saves kSaves = Saves::kInput;
  template <typename T>
  STAA_HOST_DEVICE static T forward(T x, ScalarParams<T> p) {
    return p.p0 / x;
  }
  template <typename T>
  STAA_HOST_DEVICE static T backward(T x, T, T g, ScalarParams<T> p) {
    return -g * p.p0 / (x * x);
  }
};

struct MaximumScalarOp {  // y = max(x, p0); gradient where x > p0, half at a tie (as maximum)
  static constexpr Saves kSaves = Saves::kInput;
  template <typename T>
  STAA_HOST_DEVICE static T forward(T x, ScalarParams<T> p) {
    return x > p.p0 ? x : p.p0;
  }
  template <typename T>
  STAA_HOST_DEVICE static T backward(T x, T, T g, ScalarParams<T> p) {
    return x > p.p0 ? g : (x == p.p0 ? g / T(2) : T(0));
  }
};

struct MinimumScalarOp {  // y = min(x, p0)
  static constexpr Saves kSaves = Saves::kInput;
  template <typename T>
  STAA_HOST_DEVICE static T forward(T x, ScalarParams<T> p) {
    return x < p.p0 ? x : p.p0;
  }
  template <typename T>
  STAA_HOST_DEVICE static T backward(T x, T, T g, ScalarParams<T> p) {
    return x < p.p0 ? g : (x == p.p0 ? g / T(2) : T(0));
  }
};

// Spikes (tensor/ops/surrogate.h): y = Heaviside(x) (or the primitive when p1 != 0), backward
// g * surrogate'(x); p0 = the surrogate's alpha.
template <SurrogateKind kKind>
struct SpikeOp {
  static constexpr Saves kSaves = Saves::kInput;
  template <typename T>
  STAA_HOST_DEVICE static T forward(T x, ScalarParams<T> p) {
    return spike_forward(x, kKind, p.p0, p.p1 != T(0));
  }
  template <typename T>
  STAA_HOST_DEVICE static T backward(T x, T, T g, ScalarParams<T> p) {
    return g * spike_grad(x, kKind, p.p0);
  }
};
using SpikeRectangularOp = SpikeOp<SurrogateKind::kRectangular>;
using SpikeSigmoidOp = SpikeOp<SurrogateKind::kSigmoid>;
using SpikeAtanOp = SpikeOp<SurrogateKind::kAtan>;

// ---- binary -----------------------------------------------------------------------------------

struct AddOp {
  template <typename T>
  STAA_HOST_DEVICE static T forward(T a, T b) {
    return a + b;
  }
  template <typename T>
  STAA_HOST_DEVICE static T grad_a(T, T, T g) {
    return g;
  }
  template <typename T>
  STAA_HOST_DEVICE static T grad_b(T, T, T g) {
    return g;
  }
};

struct SubOp {
  template <typename T>
  STAA_HOST_DEVICE static T forward(T a, T b) {
    return a - b;
  }
  template <typename T>
  STAA_HOST_DEVICE static T grad_a(T, T, T g) {
    return g;
  }
  template <typename T>
  STAA_HOST_DEVICE static T grad_b(T, T, T g) {
    return -g;
  }
};

struct MulOp {
  template <typename T>
  STAA_HOST_DEVICE static T forward(T a, T b) {
    return a * b;
  }
  template <typename T>
  STAA_HOST_DEVICE static T grad_a(T, T b, T g) {
    return g * b;
  }
  template <typename T>
  STAA_HOST_DEVICE static T grad_b(T a, T, T g) {
    return g * a;
  }
};

struct DivOp {  // d(a/b)/da = 1/b, d(a/b)/db = -a/b^2
  template <typename T>
  STAA_HOST_DEVICE static T forward(T a, T b) {
    return a / b;
  }
  template <typename T>
  STAA_HOST_DEVICE static T grad_a(T, T b, T g) {
    return g / b;
  }
  template <typename T>
  STAA_HOST_DEVICE static T grad_b(T a, T b, T g) {
    return -g * a / (b * b);
  }
};

struct MaximumOp {  // the larger input takes the gradient; a tie splits it (as PyTorch)
  template <typename T>
  STAA_HOST_DEVICE static T forward(T a, T b) {
    return a > b ? a : b;
  }
  template <typename T>
  STAA_HOST_DEVICE static T grad_a(T a, T b, T g) {
    return a > b ? g : (a == b ? g / T(2) : T(0));
  }
  template <typename T>
  STAA_HOST_DEVICE static T grad_b(T a, T b, T g) {
    return b > a ? g : (a == b ? g / T(2) : T(0));
  }
};

struct MinimumOp {
  template <typename T>
  STAA_HOST_DEVICE static T forward(T a, T b) {
    return a < b ? a : b;
  }
  template <typename T>
  STAA_HOST_DEVICE static T grad_a(T a, T b, T g) {
    return a < b ? g : (a == b ? g / T(2) : T(0));
  }
  template <typename T>
  STAA_HOST_DEVICE static T grad_b(T a, T b, T g) {
    return b < a ? g : (a == b ? g / T(2) : T(0));
  }
};

#define STAA_COMPARE_FUNCTOR(Functor, expr)       \
  struct Functor {                                \
    template <typename T>                         \
    STAA_HOST_DEVICE static T forward(T a, T b) { \
      return (expr) ? T(1) : T(0);                \
    }                                             \
    template <typename T>                         \
    STAA_HOST_DEVICE static T grad_a(T, T, T) {   \
      return T(0);                                \
    }                                             \
    template <typename T>                         \
    STAA_HOST_DEVICE static T grad_b(T, T, T) {   \
      return T(0);                                \
    }                                             \
  };
STAA_COMPARE_FUNCTOR(EqOp, a == b)
STAA_COMPARE_FUNCTOR(NeOp, a != b)
STAA_COMPARE_FUNCTOR(LtOp, a < b)
STAA_COMPARE_FUNCTOR(LeOp, a <= b)
STAA_COMPARE_FUNCTOR(GtOp, a > b)
STAA_COMPARE_FUNCTOR(GeOp, a >= b)
#undef STAA_COMPARE_FUNCTOR

}  // namespace staa
