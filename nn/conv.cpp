// Conv2d: argument checks, PyTorch's default init (shared with Linear) and the forward through
// staa::conv2d. Layer: nn.
#include "nn/conv.h"

#include <sstream>
#include <string>

#include "nn/init.h"

namespace staa::nn {

Conv2d::Conv2d(int64_t in_channels, int64_t out_channels, std::array<int64_t, 2> kernel_size,
               Generator& gen, const Conv2dOptions& options, bool bias)
    : in_channels_(in_channels),
      out_channels_(out_channels),
      kernel_size_(kernel_size),
      options_(options) {
  const int64_t groups = options.groups;
  STAA_CHECK(in_channels > 0 && out_channels > 0 && kernel_size[0] > 0 && kernel_size[1] > 0,
             "Conv2d: expected positive channels and kernel size, got in_channels=", in_channels,
             ", out_channels=", out_channels, ", kernel_size=", pair_str(kernel_size));
  STAA_CHECK(groups > 0 && in_channels % groups == 0 && out_channels % groups == 0,
             "Conv2d: in_channels (", in_channels, ") and out_channels (", out_channels,
             ") must be multiples of groups (", groups, ")");
  weight_ = register_parameter(
      "weight", empty({out_channels, in_channels / groups, kernel_size[0], kernel_size[1]}));
  if (bias) bias_ = register_parameter("bias", empty({out_channels}));
  reset_parameters(gen);
}

Conv2d::Conv2d(int64_t in_channels, int64_t out_channels, int64_t kernel_size, Generator& gen,
               const Conv2dOptions& options, bool bias)
    : Conv2d(in_channels, out_channels, {kernel_size, kernel_size}, gen, options, bias) {}

void Conv2d::reset_parameters(Generator& gen) {
  init::default_layer_init_(weight_, bias_, gen);
}

Tensor Conv2d::forward(const Tensor& x) {
  STAA_CHECK(x.defined() && x.ndim() == 4 && x.size(1) == in_channels_, "Conv2d: expected x [N, ",
             in_channels_, ", H, W], got ", x.defined() ? x.shape().str() : "an undefined tensor");
  return conv2d(x, weight_, bias_, options_);
}

std::string Conv2d::extra_repr() const {
  std::ostringstream out;
  out << in_channels_ << ", " << out_channels_ << ", kernel_size=" << pair_str(kernel_size_)
      << ", stride=" << pair_str(options_.stride);
  if (options_.padding != std::array<int64_t, 2>{0, 0}) {
    out << ", padding=" << pair_str(options_.padding);
  }
  if (options_.dilation != std::array<int64_t, 2>{1, 1}) {
    out << ", dilation=" << pair_str(options_.dilation);
  }
  if (options_.groups != 1) out << ", groups=" << options_.groups;
  if (!bias_.defined()) out << ", bias=false";
  return out.str();
}

}  // namespace staa::nn
