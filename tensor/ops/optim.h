// One SGD step's arithmetic (torch.optim.SGD's formulas), shared by the CPU loop and the CUDA
// kernel of Backend::sgd_step: the whole update in one pass over p, its gradient and its
// momentum buffer (train::Sgd did it in seven passes of add_ / mul_ / clone). Layer: tensor.
#pragma once

#include <type_traits>

#include "tensor/generator.h"  // STAA_HOST_DEVICE

namespace staa {

struct SgdStepParams {
  double lr = 0;
  double weight_decay = 0;
  double momentum = 0;  // 0: no momentum buffer
  double dampening = 0;
  bool nesterov = false;
  bool first = false;  // the buffer's first step: buf = d, undamped (buf is not read)
};

// The step's scalars in T.
template <typename T>
struct SgdScalars {
  T lr, weight_decay, momentum, keep;  // keep = 1 - dampening
  explicit SgdScalars(const SgdStepParams& s)
      : lr(T(s.lr)),
        weight_decay(T(s.weight_decay)),
        momentum(T(s.momentum)),
        keep(T(1.0 - s.dampening)) {}
};

// d = g + weight_decay p; with momentum, buf = first ? d : momentum buf + (1 - dampening) d and
// d = nesterov ? d + momentum buf : buf; then p -= lr d. In T, as the separate ops rounded. The
// flags are compile-time so that the CPU loop has no branch and vectorises.
template <bool kMomentum, bool kNesterov, bool kFirst, typename T>
STAA_HOST_DEVICE inline void sgd_update(T& p, T g, T& buf, const SgdScalars<T>& s) {
  T d = s.weight_decay != T(0) ? g + s.weight_decay * p : g;
  if constexpr (kMomentum) {
    if constexpr (kFirst) {
      buf = d;
    } else {
      buf = s.momentum * buf + s.keep * d;
    }
    if constexpr (kNesterov) {
      d = d + s.momentum * buf;
    } else {
      d = buf;
    }
  }
  p -= s.lr * d;
}

// f(momentum, nesterov, first) with s's flags as std::bool_constant (nesterov and first only
// with momentum).
template <typename F>
void with_sgd_flags(const SgdStepParams& s, F&& f) {
  using Yes = std::true_type;
  using No = std::false_type;
  if (s.momentum == 0) return f(No{}, No{}, No{});
  if (s.nesterov) return s.first ? f(Yes{}, Yes{}, Yes{}) : f(Yes{}, Yes{}, No{});
  return s.first ? f(Yes{}, No{}, Yes{}) : f(Yes{}, No{}, No{});
}

}  // namespace staa
