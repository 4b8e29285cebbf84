// Planes: a sample [..., H, W] seen as `count` planes of H x W, the view every transform works
// on. Layer: data (internal to the transforms).
#pragma once

#include "data/dataset.h"
#include "tensor/error.h"

namespace staa::data {

struct Planes {
  int64_t count, h, w;
};

inline Planes planes_of(const Sample& s, const char* op) {
  STAA_CHECK(s.shape.ndim() >= 2 && s.shape.numel() == static_cast<int64_t>(s.values.size()), op,
             ": expected a sample [..., H, W] holding shape.numel() values, found shape ", s.shape,
             " with ", s.values.size(), " values");
  const int64_t h = s.shape.at(-2), w = s.shape.at(-1);
  return {h * w > 0 ? s.shape.numel() / (h * w) : 0, h, w};
}

}  // namespace staa::data
