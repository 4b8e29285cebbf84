// Plain reference implementations for the op matrix: loops over multi-indices, double precision,
// no cleverness. Layer: tests.
#include "op_matrix/reference.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace staa::ref {

std::vector<int64_t> unravel(int64_t flat, const Shape& shape) {
  std::vector<int64_t> idx(shape.ndim());
  for (int d = shape.ndim() - 1; d >= 0; --d) {
    idx[d] = flat % shape[d];
    flat /= shape[d];
  }
  return idx;
}

int64_t ravel(const std::vector<int64_t>& index, const Shape& shape) {
  int64_t flat = 0;
  for (int d = 0; d < shape.ndim(); ++d) flat = flat * shape[d] + index[d];
  return flat;
}

Array map(const Array& x, const std::function<double(double)>& f) {
  Array out{x.shape, x.v};
  for (double& e : out.v) e = f(e);
  return out;
}

// Index of `out_index` in a shape that broadcasts to out (missing leading dims, size-1 dims).
static int64_t broadcast_source(const std::vector<int64_t>& out_index, const Shape& src) {
  const int lead = static_cast<int>(out_index.size()) - src.ndim();
  std::vector<int64_t> idx(src.ndim());
  for (int d = 0; d < src.ndim(); ++d) idx[d] = src[d] == 1 ? 0 : out_index[d + lead];
  return ravel(idx, src);
}

Array zip(const Array& a, const Array& b, const std::function<double(double, double)>& f) {
  Array out{broadcast_shapes("ref", a.shape, b.shape), {}};
  out.v.resize(out.numel());
  for (int64_t i = 0; i < out.numel(); ++i) {
    const auto idx = unravel(i, out.shape);
    out.v[i] = f(a.v[broadcast_source(idx, a.shape)], b.v[broadcast_source(idx, b.shape)]);
  }
  return out;
}

Array where(const Array& c, const Array& a, const Array& b) {
  Array out{broadcast_shapes("ref", c.shape, broadcast_shapes("ref", a.shape, b.shape)), {}};
  out.v.resize(out.numel());
  for (int64_t i = 0; i < out.numel(); ++i) {
    const auto idx = unravel(i, out.shape);
    out.v[i] = c.v[broadcast_source(idx, c.shape)] != 0 ? a.v[broadcast_source(idx, a.shape)]
                                                        : b.v[broadcast_source(idx, b.shape)];
  }
  return out;
}

static Array reduce(const Array& x, std::vector<int> dims, bool keepdim, bool is_max,
                    Array* max_index) {
  if (dims.empty())
    for (int d = 0; d < x.shape.ndim(); ++d) dims.push_back(d);
  Shape kept, red;
  for (int d = 0; d < x.shape.ndim(); ++d) {
    const bool r = std::count(dims.begin(), dims.end(), d) > 0;
    kept.push_back(r ? 1 : x.shape[d]);
    if (r) red.push_back(x.shape[d]);
  }
  Array out{kept, std::vector<double>(kept.numel(), is_max ? -INFINITY : 0.0)};
  std::vector<double> arg(kept.numel(), -1);
  for (int64_t i = 0; i < x.numel(); ++i) {
    auto idx = unravel(i, x.shape);
    std::vector<int64_t> ridx;
    for (int d = 0; d < x.shape.ndim(); ++d) {
      if (kept[d] == 1 && std::count(dims.begin(), dims.end(), d)) {
        ridx.push_back(idx[d]);
        idx[d] = 0;
      }
    }
    const int64_t o = ravel(idx, kept);
    if (!is_max) {
      out.v[o] += x.v[i];
    } else if (x.v[i] > out.v[o] || arg[o] < 0) {
      out.v[o] = x.v[i];
      arg[o] = static_cast<double>(ravel(ridx, red));
    }
  }
  if (!keepdim) {
    Shape s;
    for (int d = 0; d < x.shape.ndim(); ++d)
      if (!std::count(dims.begin(), dims.end(), d)) s.push_back(x.shape[d]);
    out.shape = s;
  }
  if (max_index) *max_index = Array{out.shape, arg};
  return out;
}

Array sum(const Array& x, std::vector<int> dims, bool keepdim) {
  return reduce(x, std::move(dims), keepdim, false, nullptr);
}

Array max(const Array& x, std::vector<int> dims, bool keepdim, Array* max_index) {
  return reduce(x, std::move(dims), keepdim, true, max_index);
}

Array permute(const Array& x, const std::vector<int>& perm) {
  Shape s;
  for (int p : perm) s.push_back(x.shape[p]);
  Array out{s, std::vector<double>(x.numel())};
  for (int64_t i = 0; i < out.numel(); ++i) {
    const auto idx = unravel(i, s);
    std::vector<int64_t> src(perm.size());
    for (size_t d = 0; d < perm.size(); ++d) src[perm[d]] = idx[d];
    out.v[i] = x.v[ravel(src, x.shape)];
  }
  return out;
}

Array concat(const std::vector<Array>& xs, int dim) {
  Shape s = xs[0].shape;
  s[dim] = 0;
  for (const Array& x : xs) s[dim] += x.shape[dim];
  Array out{s, std::vector<double>(s.numel())};
  for (int64_t i = 0; i < out.numel(); ++i) {
    auto idx = unravel(i, s);
    size_t k = 0;
    while (idx[dim] >= xs[k].shape[dim]) idx[dim] -= xs[k++].shape[dim];
    out.v[i] = xs[k].v[ravel(idx, xs[k].shape)];
  }
  return out;
}

Array expand(const Array& x, const Shape& shape) {
  Array out{shape, std::vector<double>(shape.numel())};
  for (int64_t i = 0; i < out.numel(); ++i)
    out.v[i] = x.v[broadcast_source(unravel(i, shape), x.shape)];
  return out;
}

Array index_select(const Array& x, int dim, const Array& index) {
  Shape s = x.shape;
  s[dim] = index.numel();
  Array out{s, std::vector<double>(s.numel())};
  for (int64_t i = 0; i < out.numel(); ++i) {
    auto idx = unravel(i, s);
    idx[dim] = static_cast<int64_t>(index.v[idx[dim]]);
    out.v[i] = x.v[ravel(idx, x.shape)];
  }
  return out;
}

Array gather(const Array& x, int dim, const Array& index) {
  Array out{index.shape, std::vector<double>(index.numel())};
  for (int64_t i = 0; i < out.numel(); ++i) {
    auto idx = unravel(i, index.shape);
    idx[dim] = static_cast<int64_t>(index.v[i]);
    out.v[i] = x.v[ravel(idx, x.shape)];
  }
  return out;
}

Array matmul(const Array& a, const Array& b, bool ta, bool tb) {
  const int64_t m = ta ? a.shape.at(-1) : a.shape.at(-2), k = ta ? a.shape.at(-2) : a.shape.at(-1);
  const int64_t n = tb ? b.shape.at(-2) : b.shape.at(-1);
  const Array& big = a.shape.ndim() >= b.shape.ndim() ? a : b;
  Shape s;
  for (int d = 0; d + 2 < big.shape.ndim(); ++d) s.push_back(big.shape[d]);
  const int64_t batch = s.numel();
  s.push_back(m);
  s.push_back(n);
  Array out{s, std::vector<double>(s.numel())};
  const int64_t sa = a.shape.ndim() > 2 ? m * k : 0, sb = b.shape.ndim() > 2 ? k * n : 0;
  for (int64_t p = 0; p < batch; ++p)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double acc = 0;
        for (int64_t l = 0; l < k; ++l) {
          const double x = a.v[p * sa + (ta ? l * m + i : i * k + l)];
          const double y = b.v[p * sb + (tb ? j * k + l : l * n + j)];
          acc += x * y;
        }
        out.v[(p * m + i) * n + j] = acc;
      }
  return out;
}

Array softmax(const Array& x, int dim, bool log) {
  Array out{x.shape, std::vector<double>(x.numel())};
  for (int64_t i = 0; i < x.numel(); ++i) {
    auto idx = unravel(i, x.shape);
    double m = -INFINITY, z = 0;
    for (int64_t j = 0; j < x.shape[dim]; ++j) {
      idx[dim] = j;
      m = std::max(m, x.v[ravel(idx, x.shape)]);
    }
    for (int64_t j = 0; j < x.shape[dim]; ++j) {
      idx[dim] = j;
      z += std::exp(x.v[ravel(idx, x.shape)] - m);
    }
    out.v[i] = log ? x.v[i] - m - std::log(z) : std::exp(x.v[i] - m) / z;
  }
  return out;
}

double cross_entropy(const Array& logits, const Array& targets, double smoothing) {
  const Array logp = softmax(logits, 1, true);
  const int64_t n = logits.shape[0], c = logits.shape[1];
  double loss = 0;
  for (int64_t i = 0; i < n; ++i) {
    double uniform = 0;
    for (int64_t j = 0; j < c; ++j) uniform -= logp.v[i * c + j] / c;
    loss +=
        (1 - smoothing) * -logp.v[i * c + static_cast<int64_t>(targets.v[i])] + smoothing * uniform;
  }
  return loss / n;
}

}  // namespace staa::ref
