// Pooling layers: option checks, printing and the forwards through staa's pool ops.
// Layer: nn. Options are checked at construction, input ranks at each forward.
#include "nn/pool.h"

#include <sstream>
#include <string>

namespace staa::nn {

namespace {

Pool2dOptions square_options(int64_t kernel, int64_t stride, int64_t padding) {
  Pool2dOptions options;
  options.kernel = {kernel, kernel};
  options.stride = {stride, stride};
  options.padding = {padding, padding};
  return options;
}

void check_options(const char* layer, const Pool2dOptions& o) {
  STAA_CHECK(o.kernel[0] > 0 && o.kernel[1] > 0 && o.stride[0] >= 0 && o.stride[1] >= 0 &&
                 o.padding[0] >= 0 && o.padding[1] >= 0,
             layer,
             ": expected kernel > 0, stride >= 0 and padding >= 0, got kernel=", pair_str(o.kernel),
             ", stride=", pair_str(o.stride), ", padding=", pair_str(o.padding));
}

void check_input(const char* layer, const Tensor& x) {
  STAA_CHECK(x.defined() && x.ndim() == 4, layer, ": expected x [N, C, H, W], got ",
             x.defined() ? x.shape().str() : "an undefined tensor");
}

std::string options_repr(const Pool2dOptions& o, bool avg) {
  const bool default_stride = o.stride[0] == 0 && o.stride[1] == 0;
  std::ostringstream out;
  out << "kernel_size=" << pair_str(o.kernel)
      << ", stride=" << pair_str(default_stride ? o.kernel : o.stride)
      << ", padding=" << pair_str(o.padding);
  if (o.ceil_mode) out << ", ceil_mode=true";
  if (avg && !o.count_include_pad) out << ", count_include_pad=false";
  return out.str();
}

}  // namespace

AvgPool2d::AvgPool2d(const Pool2dOptions& options) : options_(options) {
  check_options("AvgPool2d", options_);
}

AvgPool2d::AvgPool2d(int64_t kernel_size, int64_t stride, int64_t padding)
    : AvgPool2d(square_options(kernel_size, stride, padding)) {}

Tensor AvgPool2d::forward(const Tensor& x) {
  check_input("AvgPool2d", x);
  return avg_pool2d(x, options_);
}

std::string AvgPool2d::extra_repr() const {
  return options_repr(options_, true);
}

MaxPool2d::MaxPool2d(const Pool2dOptions& options) : options_(options) {
  check_options("MaxPool2d", options_);
}

MaxPool2d::MaxPool2d(int64_t kernel_size, int64_t stride, int64_t padding)
    : MaxPool2d(square_options(kernel_size, stride, padding)) {}

Tensor MaxPool2d::forward(const Tensor& x) {
  check_input("MaxPool2d", x);
  return max_pool2d(x, options_);
}

std::string MaxPool2d::extra_repr() const {
  return options_repr(options_, false);
}

AdaptiveAvgPool2d::AdaptiveAvgPool2d(std::array<int64_t, 2> output_size)
    : output_size_(output_size) {
  STAA_CHECK(output_size[0] > 0 && output_size[1] > 0,
             "AdaptiveAvgPool2d: expected a positive output size, got ", pair_str(output_size));
}

Tensor AdaptiveAvgPool2d::forward(const Tensor& x) {
  check_input("AdaptiveAvgPool2d", x);
  return adaptive_avg_pool2d(x, output_size_);
}

std::string AdaptiveAvgPool2d::extra_repr() const {
  std::ostringstream out;
  out << "output_size=" << pair_str(output_size_);
  return out.str();
}

}  // namespace staa::nn
