// Op cases of pooling (avg, max, adaptive avg), batch norm, layer norm and linear, with their
// plain double references (written from the definitions, window by window and kernel offset by
// kernel offset, not from the kernels' clipping arithmetic). Layer: tests. Inputs stay small
// (<= 200 elements) for the gradient check; random inputs keep max pooling free of ties.
#include <cmath>
#include <limits>

#include "op_matrix/op_cases.h"

namespace staa::test {

namespace {

using Inputs = std::vector<Tensor>;
using Refs = std::vector<ref::Array>;

// ---- references -------------------------------------------------------------------------------

struct PoolRef {
  int64_t kh, kw, sh, sw, ph, pw;
  bool ceil_mode, count_include_pad, max;
};

int64_t ref_out_size(int64_t in, int64_t k, int64_t s, int64_t p, bool ceil_mode) {
  const double q = static_cast<double>(in + 2 * p - k) / static_cast<double>(s);
  int64_t out = static_cast<int64_t>(ceil_mode ? std::ceil(q) : std::floor(q)) + 1;
  if (ceil_mode && (out - 1) * s >= in + p) --out;  // the last window must start inside
  return out;
}

// x: [N, C, H, W]. Walks every kernel offset of every window: offsets inside the input are
// pooled; offsets in the padding [-p, H + p) count towards count_include_pad's divisor.
ref::Array pool_ref(const ref::Array& x, const PoolRef& p) {
  const int64_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3];
  const int64_t OH = ref_out_size(H, p.kh, p.sh, p.ph, p.ceil_mode);
  const int64_t OW = ref_out_size(W, p.kw, p.sw, p.pw, p.ceil_mode);
  ref::Array y{Shape{N, C, OH, OW}, {}};
  for (int64_t nc = 0; nc < N * C; ++nc) {
    for (int64_t oh = 0; oh < OH; ++oh) {
      for (int64_t ow = 0; ow < OW; ++ow) {
        double sum = 0, best = -std::numeric_limits<double>::infinity();
        int64_t inside = 0, padded = 0;
        for (int64_t a = 0; a < p.kh; ++a) {
          for (int64_t b = 0; b < p.kw; ++b) {
            const int64_t i = oh * p.sh - p.ph + a, j = ow * p.sw - p.pw + b;
            if (i < H + p.ph && j < W + p.pw) ++padded;
            if (i < 0 || i >= H || j < 0 || j >= W) continue;
            const double v = x.v[(nc * H + i) * W + j];
            sum += v, best = std::max(best, v), ++inside;
          }
        }
        const double divisor = static_cast<double>(p.count_include_pad ? padded : inside);
        y.v.push_back(p.max ? best : sum / divisor);
      }
    }
  }
  return y;
}

// x: [N, C, H, W] -> [N, C, OH, OW]; window rows [floor(i H / OH), ceil((i + 1) H / OH)).
ref::Array adaptive_avg_ref(const ref::Array& x, int64_t OH, int64_t OW) {
  const int64_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3];
  ref::Array y{Shape{N, C, OH, OW}, {}};
  auto lo = [](int64_t i, int64_t in, int64_t out) {
    return static_cast<int64_t>(std::floor(static_cast<double>(i * in) / out));
  };
  auto hi = [](int64_t i, int64_t in, int64_t out) {
    return static_cast<int64_t>(std::ceil(static_cast<double>((i + 1) * in) / out));
  };
  for (int64_t nc = 0; nc < N * C; ++nc) {
    for (int64_t oh = 0; oh < OH; ++oh) {
      for (int64_t ow = 0; ow < OW; ++ow) {
        double sum = 0;
        int64_t count = 0;
        for (int64_t i = lo(oh, H, OH); i < hi(oh, H, OH); ++i)
          for (int64_t j = lo(ow, W, OW); j < hi(ow, W, OW); ++j)
            sum += x.v[(nc * H + i) * W + j], ++count;
        y.v.push_back(sum / static_cast<double>(count));
      }
    }
  }
  return y;
}

// Normalises groups of x: element e belongs to group group_of(e); y = (x - mean) / sqrt(var +
// eps) with the group's (two-pass, biased) statistics unless `given` statistics are passed.
ref::Array normalize_ref(const ref::Array& x, int64_t groups,
                         const std::function<int64_t(int64_t)>& group_of, double eps,
                         const ref::Array* given_mean = nullptr,
                         const ref::Array* given_var = nullptr) {
  std::vector<double> mean(groups, 0.0), var(groups, 0.0), count(groups, 0.0);
  for (int64_t e = 0; e < x.numel(); ++e) mean[group_of(e)] += x.v[e], count[group_of(e)] += 1;
  for (int64_t g = 0; g < groups; ++g) mean[g] /= count[g];
  for (int64_t e = 0; e < x.numel(); ++e) {
    var[group_of(e)] += std::pow(x.v[e] - mean[group_of(e)], 2);
  }
  for (int64_t g = 0; g < groups; ++g) var[g] /= count[g];
  if (given_mean) mean = given_mean->v, var = given_var->v;
  ref::Array y{x.shape, {}};
  for (int64_t e = 0; e < x.numel(); ++e)
    y.v.push_back((x.v[e] - mean[group_of(e)]) / std::sqrt(var[group_of(e)] + eps));
  return y;
}

// y * w[f(e)] + b[f(e)], with w or b null for none.
ref::Array affine_ref(ref::Array y, const ref::Array* w, const ref::Array* b,
                      const std::function<int64_t(int64_t)>& feature_of) {
  for (int64_t e = 0; e < y.numel(); ++e) {
    if (w) y.v[e] *= w->v[feature_of(e)];
    if (b) y.v[e] += b->v[feature_of(e)];
  }
  return y;
}

// Channel of element e of x: [N, C, ...].
std::function<int64_t(int64_t)> channel_of(const Shape& x) {
  int64_t inner = 1;
  for (int i = 2; i < x.ndim(); ++i) inner *= x[i];
  const int64_t C = x[1];
  return [inner, C](int64_t e) { return (e / inner) % C; };
}

// ---- cases ------------------------------------------------------------------------------------

void add_pool(std::vector<OpCase>& t, const std::string& label, Shape x, Pool2dOptions o,
              bool is_max) {
  const std::array<int64_t, 2> s = o.stride[0] == 0 && o.stride[1] == 0 ? o.kernel : o.stride;
  const PoolRef p{o.kernel[0], o.kernel[1],         s[0],  s[1], o.padding[0], o.padding[1],
                  o.ceil_mode, o.count_include_pad, is_max};
  t.push_back(
      {is_max ? "max_pool2d" : "avg_pool2d",
       label,
       {in(x)},
       [o, is_max](const Inputs& v) { return is_max ? max_pool2d(v[0], o) : avg_pool2d(v[0], o); },
       [p](const Refs& r) { return pool_ref(r[0], p); }});
}

void pool_cases(std::vector<OpCase>& t) {
  // {kernel, stride, padding, ceil_mode, count_include_pad}
  add_pool(t, "avg_pool2d_k2", {2, 2, 4, 6}, {{2, 2}, {0, 0}, {0, 0}, false, true}, false);
  add_pool(t, "avg_pool2d_k3_s2_pad1_include_pad", {2, 2, 5, 6},
           {{3, 3}, {2, 2}, {1, 1}, false, true}, false);
  add_pool(t, "avg_pool2d_k3_s2_pad1_exclude_pad", {2, 2, 5, 6},
           {{3, 3}, {2, 2}, {1, 1}, false, false}, false);
  add_pool(t, "avg_pool2d_ceil_pad1_exclude_pad", {1, 2, 6, 7},
           {{3, 3}, {2, 2}, {1, 1}, true, false}, false);
  add_pool(t, "avg_pool2d_ceil_pad1_include_pad", {1, 2, 6, 7},
           {{3, 3}, {2, 2}, {1, 1}, true, true}, false);
  // 5 wide, kernel 2, stride 2, pad 1, ceil: a 4th window would start in the right padding.
  add_pool(t, "avg_pool2d_ceil_drops_window_in_padding", {1, 2, 5, 5},
           {{2, 2}, {2, 2}, {1, 1}, true, true}, false);
  // Last ceil window hangs past the input with no padding: its divisor is 1 or 2, not 4.
  add_pool(t, "avg_pool2d_ceil_no_pad", {1, 2, 5, 5}, {{2, 2}, {2, 2}, {0, 0}, true, true}, false);
  add_pool(t, "avg_pool2d_overlap_rect_kernel", {2, 1, 5, 6}, {{3, 2}, {1, 1}, {1, 0}, false, true},
           false);
  add_pool(t, "max_pool2d_k2", {2, 2, 4, 6}, {{2, 2}, {0, 0}, {0, 0}, false, true}, true);
  add_pool(t, "max_pool2d_k3_s2_pad1", {2, 2, 5, 6}, {{3, 3}, {2, 2}, {1, 1}, false, true}, true);
  add_pool(t, "max_pool2d_overlap_s1", {1, 2, 5, 5}, {{3, 3}, {1, 1}, {0, 0}, false, true}, true);
  add_pool(t, "max_pool2d_ceil_pad1", {1, 2, 6, 7}, {{3, 3}, {2, 2}, {1, 1}, true, true}, true);
  add_pool(t, "max_pool2d_rect_stride", {1, 2, 7, 6}, {{3, 2}, {2, 1}, {1, 1}, true, true}, true);

  struct A {
    std::string label;
    Shape x;
    int64_t oh, ow;
  };
  for (const A& a : {A{"adaptive_avg_pool2d_5x7_to_3x4", {2, 2, 5, 7}, 3, 4},
                     A{"adaptive_avg_pool2d_global", {2, 3, 4, 5}, 1, 1},
                     A{"adaptive_avg_pool2d_upsample_3x2_to_4x3", {1, 2, 3, 2}, 4, 3}}) {
    t.push_back({"adaptive_avg_pool2d",
                 a.label,
                 {in(a.x)},
                 [a](const Inputs& v) {
                   return adaptive_avg_pool2d(v[0], {a.oh, a.ow});
                 },
                 [a](const Refs& r) { return adaptive_avg_ref(r[0], a.oh, a.ow); }});
  }
}

// Training: fresh running statistics each call, so the update never changes the output.
void batch_norm_cases(std::vector<OpCase>& t) {
  constexpr double kEps = 1e-5;
  t.push_back({"batch_norm",
               "batch_norm_train_affine_4d",
               {in({4, 3, 2, 2}), in({3}, 0.5, 1.5), in({3})},
               [](const Inputs& v) {
                 Tensor rm = zeros({3}, {v[0].dtype(), v[0].device()}), rv = ones({3}, {v[0].dtype(), v[0].device()});
                 return batch_norm(v[0], v[1], v[2], rm, rv, true, 0.1, kEps);
               },
               [](const Refs& r) {
                 const auto c = channel_of(r[0].shape);
                 return affine_ref(normalize_ref(r[0], 3, c, kEps), &r[1], &r[2], c);
               }});
  t.push_back({"batch_norm",
               "batch_norm_train_no_affine_2d",
               {in({6, 4}, -2, 1)},
               [](const Inputs& v) {
                 Tensor rm, rv;
                 return batch_norm(v[0], Tensor(), Tensor(), rm, rv, true, 0.1, kEps);
               },
               [](const Refs& r) { return normalize_ref(r[0], 4, channel_of(r[0].shape), kEps); }});
  t.push_back({"batch_norm",
               "batch_norm_train_weight_only_3d",
               {in({3, 2, 5}), in({2}, 0.5, 1.5)},
               [](const Inputs& v) {
                 Tensor rm = zeros({2}, {v[0].dtype(), v[0].device()}), rv = ones({2}, {v[0].dtype(), v[0].device()});
                 return batch_norm(v[0], v[1], Tensor(), rm, rv, true, 0.3, kEps);
               },
               [](const Refs& r) {
                 const auto c = channel_of(r[0].shape);
                 return affine_ref(normalize_ref(r[0], 2, c, kEps), &r[1], nullptr, c);
               }});
  t.push_back({"batch_norm",
               "batch_norm_eval_affine",
               {in({3, 3, 2, 2}), in({3}, 0.5, 1.5), in({3}), buffer_in({3}, -0.5, 0.5),
                buffer_in({3}, 0.5, 2.0)},
               [](const Inputs& v) {
                 Tensor rm = v[3], rv = v[4];
                 return batch_norm(v[0], v[1], v[2], rm, rv, false, 0.1, kEps);
               },
               [](const Refs& r) {
                 const auto c = channel_of(r[0].shape);
                 return affine_ref(normalize_ref(r[0], 3, c, kEps, &r[3], &r[4]), &r[1], &r[2], c);
               }});
  t.push_back({"batch_norm",
               "batch_norm_eval_no_affine",
               {in({4, 2, 3}), buffer_in({2}, -0.5, 0.5), buffer_in({2}, 0.5, 2.0)},
               [](const Inputs& v) {
                 Tensor rm = v[1], rv = v[2];
                 return batch_norm(v[0], Tensor(), Tensor(), rm, rv, false, 0.1, 1e-3);
               },
               [](const Refs& r) {
                 return normalize_ref(r[0], 2, channel_of(r[0].shape), 1e-3, &r[1], &r[2]);
               }});
}

void layer_norm_cases(std::vector<OpCase>& t) {
  struct L {
    std::string label;
    Shape x;
    int nd;
    bool affine;
  };
  for (const L& l : {L{"layer_norm_1_dim_affine", {4, 6}, 1, true},
                     L{"layer_norm_2_dims_affine", {2, 3, 4, 5}, 2, true},
                     L{"layer_norm_1_dim_no_affine", {3, 2, 8}, 1, false},
                     L{"layer_norm_2_dims_no_affine", {3, 4, 5}, 2, false}}) {
    Shape f;
    for (int i = l.x.ndim() - l.nd; i < l.x.ndim(); ++i) f.push_back(l.x[i]);
    std::vector<InputSpec> inputs{in(l.x, -2, 2)};
    if (l.affine) inputs.push_back(in(f, 0.5, 1.5)), inputs.push_back(in(f));
    t.push_back({"layer_norm", l.label, inputs,
                 [l](const Inputs& v) {
                   return l.affine ? layer_norm(v[0], l.nd, v[1], v[2], 1e-5)
                                   : layer_norm(v[0], l.nd, Tensor(), Tensor(), 1e-5);
                 },
                 [l, f](const Refs& r) {
                   const int64_t cols = f.numel(), rows = r[0].numel() / cols;
                   const auto row = [cols](int64_t e) { return e / cols; };
                   const auto col = [cols](int64_t e) { return e % cols; };
                   ref::Array y = normalize_ref(r[0], rows, row, 1e-5);
                   return l.affine ? affine_ref(y, &r[1], &r[2], col) : y;
                 }});
  }
}

void linear_cases(std::vector<OpCase>& t) {
  struct L {
    std::string label;
    Shape x, w;
    bool bias;
  };
  for (const L& l :
       {L{"linear_2d_bias", {4, 5}, {3, 5}, true}, L{"linear_3d_bias", {2, 3, 5}, {4, 5}, true},
        L{"linear_2d_no_bias", {4, 5}, {3, 5}, false},
        L{"linear_3d_no_bias", {2, 3, 5}, {4, 5}, false}}) {
    std::vector<InputSpec> inputs{in(l.x), in(l.w)};
    if (l.bias) inputs.push_back(in(Shape{l.w[0]}));
    t.push_back({"linear", l.label, inputs,
                 [l](const Inputs& v) { return linear(v[0], v[1], l.bias ? v[2] : Tensor()); },
                 [l](const Refs& r) {
                   ref::Array y = ref::matmul(r[0], r[1], false, true);
                   return l.bias ? ref::zip(y, r[2], [](double a, double b) { return a + b; }) : y;
                 }});
  }
}

}  // namespace

void pool_norm_cases(std::vector<OpCase>& table) {
  pool_cases(table);
  batch_norm_cases(table);
  layer_norm_cases(table);
  linear_cases(table);
}

}  // namespace staa::test
