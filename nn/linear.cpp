// Linear: argument checks, PyTorch's default init and the forward through staa::linear.
// Layer: nn. The shape check runs before the op so the error names the layer.
#include "nn/linear.h"

#include <sstream>

#include "autograd/ops.h"
#include "nn/init.h"

namespace staa::nn {

Linear::Linear(int64_t in_features, int64_t out_features, Generator& gen, bool bias)
    : in_features_(in_features), out_features_(out_features) {
  STAA_CHECK(in_features > 0 && out_features > 0,
             "Linear: expected positive in_features and "
             "out_features, got ",
             in_features, " and ", out_features);
  weight_ = register_parameter("weight", empty({out_features, in_features}));
  if (bias) bias_ = register_parameter("bias", empty({out_features}));
  reset_parameters(gen);
}

void Linear::reset_parameters(Generator& gen) {
  init::default_layer_init_(weight_, bias_, gen);
}

Tensor Linear::forward(const Tensor& x) {
  STAA_CHECK(x.defined() && x.ndim() >= 1 && x.size(-1) == in_features_,
             "Linear: expected x [..., ", in_features_, "], got ",
             x.defined() ? x.shape().str() : "an undefined tensor");
  return linear(x, weight_, bias_);
}

std::string Linear::extra_repr() const {
  std::ostringstream out;
  out << "in_features=" << in_features_ << ", out_features=" << out_features_
      << ", bias=" << (bias_.defined() ? "true" : "false");
  return out.str();
}

}  // namespace staa::nn
