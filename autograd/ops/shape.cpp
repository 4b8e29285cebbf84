// Shape ops, forward and backward. Layer: autograd.
// reshape and slice are views (no copy); permute, transpose, concat, stack and expand copy.
// reshape:      grad_x = reshape(grad_out, x.shape)
// slice:        grad_x = zeros(x.shape) with rows [start, end) = grad_out
// permute:      grad_x = permute(grad_out, inverse(perm))
// concat:       grad_x_i = the block of grad_out that x_i filled
// expand:       grad_x = sum_to(grad_out, x.shape)
// index_select: grad_x = zeros, grad_x[index[j]] += grad_out[j] along dim
// gather:       grad_x = zeros, grad_x[index[...]] += grad_out[...] along dim
#include <numeric>

#include "autograd/ops/common.h"
#include "tensor/ops/layout.h"

namespace staa {

using detail::empty_as;
using detail::zeros_as;

Tensor reshape(const Tensor& x, const std::vector<int64_t>& shape) {
  check_defined("reshape", x, "input");
  Shape target;
  int infer = -1;
  int64_t known = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      STAA_CHECK(infer < 0, "reshape: only one dim may be -1");
      infer = static_cast<int>(i);
      target.push_back(1);
    } else {
      STAA_CHECK(shape[i] >= 0, "reshape: dims must be >= 0 or -1, got ", shape[i]);
      target.push_back(shape[i]);
      known *= shape[i];
    }
  }
  if (infer >= 0) {
    STAA_CHECK(known > 0 && x.numel() % known == 0,
               "reshape: cannot infer the -1 dim of a view "
               "of ",
               x.shape(), " with ", known, " elements in the other dims");
    target[infer] = x.numel() / known;
  }
  Tensor out = x.view_as(target);
  if (needs_record({&x})) {
    record(OpId::reshape, {x}, out, {},
           [](const BackwardContext& ctx, const Tensor& g, std::vector<Tensor>& gi) {
             gi[0] = g.view_as(ctx.input_shape(0));
           });
  }
  return out;
}

Tensor slice(const Tensor& x, int64_t start, int64_t end) {
  check_defined("slice", x, "input");
  Tensor out = x.view_rows(start, end);
  if (needs_record({&x})) {
    // No backward function: backward() adds g into rows [start, end) of x's gradient itself.
    record(OpId::slice, {x}, out, {}, BackwardFn(), {{"start", start}, {"end", end}});
    Tape::current().mark_rows_slice(start);
  }
  return out;
}

Tensor permute(const Tensor& x, const std::vector<int64_t>& perm) {
  check_defined("permute", x, "input");
  STAA_CHECK(static_cast<int>(perm.size()) == x.ndim(), "permute: ", perm.size(),
             " dims in the permutation, the tensor has ", x.ndim());
  std::vector<int> p(perm.size());
  std::vector<bool> seen(perm.size(), false);
  Shape out_shape;
  for (size_t i = 0; i < perm.size(); ++i) {
    p[i] = normalize_dim("permute", perm[i], x.ndim());
    STAA_CHECK(!seen[p[i]], "permute: dim ", p[i], " appears twice");
    seen[p[i]] = true;
    out_shape.push_back(x.shape()[p[i]]);
  }
  Tensor out = empty_as(out_shape, x);
  backend_of(x).permute(x, p, out);
  if (needs_record({&x})) {
    std::vector<int64_t> inverse(p.size());
    for (size_t i = 0; i < p.size(); ++i) inverse[p[i]] = static_cast<int64_t>(i);
    record(OpId::permute, {x}, out, {},
           [inverse](const BackwardContext&, const Tensor& g, std::vector<Tensor>& gi) {
             gi[0] = permute(g, inverse);
           },
           {{"perm", perm}});
  }
  return out;
}

Tensor transpose(const Tensor& x, int64_t dim0, int64_t dim1) {
  check_defined("transpose", x, "input");
  std::vector<int64_t> perm(x.ndim());
  std::iota(perm.begin(), perm.end(), 0);
  std::swap(perm[normalize_dim("transpose", dim0, x.ndim())],
            perm[normalize_dim("transpose", dim1, x.ndim())]);
  return permute(x, perm);
}

Tensor concat(const std::vector<Tensor>& xs, int64_t dim) {
  STAA_CHECK(!xs.empty(), "concat: needs at least one tensor");
  const Tensor& first = xs[0];
  check_defined("concat", first, "tensor 0");
  const int d = normalize_dim("concat", dim, first.ndim());
  Shape out_shape = first.shape();
  out_shape[d] = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    check_defined("concat", xs[i], "a tensor");
    check_same_device("concat", first, xs[i]);
    check_same_dtype("concat", first, xs[i]);
    STAA_CHECK(xs[i].ndim() == first.ndim(), "concat: tensor ", i, " has ", xs[i].ndim(),
               " dims, tensor 0 has ", first.ndim());
    for (int k = 0; k < first.ndim(); ++k) {
      STAA_CHECK(k == d || xs[i].shape()[k] == first.shape()[k], "concat: tensor ", i,
                 " has shape ", xs[i].shape(), ", tensor 0 has ", first.shape(), " (only dim ", d,
                 " may differ)");
    }
    out_shape[d] += xs[i].shape()[d];
  }
  Tensor out = empty_as(out_shape, first);
  const DimLayout l = dim_layout(out_shape, d);
  const int64_t out_cols = l.size * l.inner;
  std::vector<int64_t> offsets;  // column offset of each input in out seen as [outer, out_cols]
  int64_t col = 0;
  for (const Tensor& x : xs) {
    const int64_t cols = x.shape()[d] * l.inner;
    backend_of(out).copy_block(x, cols, 0, out, out_cols, col, l.outer, cols);
    offsets.push_back(col);
    col += cols;
  }
  if (needs_record(xs)) {
    record(OpId::concat, xs, out, {},
           [offsets, l, out_cols, d](const BackwardContext& ctx, const Tensor& g,
                                     std::vector<Tensor>& gi) {
             for (size_t i = 0; i < gi.size(); ++i) {
               if (!ctx.needs_grad(i)) continue;
               const Shape& s = ctx.input_shape(i);
               const int64_t cols = s[d] * l.inner;
               if (l.outer == 1) {  // blocks of whole rows (dim 0): views of g, no copy
                 const int64_t row = offsets[i] / l.inner;
                 gi[i] = g.view_rows(row, row + s[0]);
                 continue;
               }
               Tensor gx = empty_as(s, g);
               backend_of(g).copy_block(g, out_cols, offsets[i], gx, cols, 0, l.outer, cols);
               gi[i] = gx;
             }
           },
           {{"dim", int64_t{d}}});
  }
  return out;
}

Tensor stack(const std::vector<Tensor>& xs, int64_t dim) {
  STAA_CHECK(!xs.empty(), "stack: needs at least one tensor");
  check_defined("stack", xs[0], "tensor 0");
  const int d = normalize_dim("stack", dim, xs[0].ndim() + 1);
  std::vector<Tensor> unsqueezed;
  for (size_t i = 0; i < xs.size(); ++i) {
    check_defined("stack", xs[i], "a tensor");
    STAA_CHECK(xs[i].shape() == xs[0].shape(), "stack: tensor ", i, " has shape ", xs[i].shape(),
               ", tensor 0 has ", xs[0].shape());
    std::vector<int64_t> s = xs[i].shape().vec();
    s.insert(s.begin() + d, 1);
    unsqueezed.push_back(reshape(xs[i], s));
  }
  return concat(unsqueezed, d);
}

Tensor expand(const Tensor& x, const Shape& shape) {
  check_defined("expand", x, "input");
  STAA_CHECK(broadcast_shapes("expand", x.shape(), shape) == shape, "expand: ", x.shape(),
             " cannot be broadcast to ", shape);
  if (x.shape() == shape) return x;
  std::vector<int64_t> padded(shape.ndim() - x.ndim(), 1);
  for (int64_t s : x.shape()) padded.push_back(s);
  const Tensor src = x.view_as(Shape(padded));
  Tensor out = empty_as(shape, x);
  backend_of(x).expand(src, out);
  if (needs_record({&x})) {
    record(OpId::expand, {x}, out, {},
           [](const BackwardContext& ctx, const Tensor& g, std::vector<Tensor>& gi) {
             gi[0] = sum_to(g, ctx.input_shape(0));
           });
  }
  return out;
}

namespace {
// Every index in [0, size); op names the caller. Only CPU indices are read: a CUDA index
// tensor would cost a wait for the GPU (cross_entropy's gather runs in every training step), so
// its values are the caller's to check where they enter (the trainer checks labels on the host).
void check_indices(const char* op, const Tensor& index, int64_t size) {
  check_defined(op, index, "index");
  STAA_CHECK(index.dtype() == kI64, op, ": index must be i64, got ", index.dtype());
  if (!index.device().is_cpu()) return;
  const int64_t* p = index.data<int64_t>();
  for (int64_t i = 0; i < index.numel(); ++i) {
    STAA_CHECK(p[i] >= 0 && p[i] < size, op, ": index ", p[i], " at position ", i,
               " out of range [0, ", size, ")");
  }
}
}  // namespace

Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index) {
  check_defined("index_select", x, "input");
  const int d = normalize_dim("index_select", dim, x.ndim());
  check_indices("index_select", index, x.shape()[d]);
  STAA_CHECK(index.ndim() == 1, "index_select: index must be 1-D, got shape ", index.shape());
  check_same_device("index_select", x, index);
  const DimLayout l = dim_layout(x.shape(), d);
  Shape out_shape = x.shape();
  out_shape[d] = index.numel();
  Tensor out = empty_as(out_shape, x);
  backend_of(x).index_select(x, l, index, out);
  if (needs_record({&x})) {
    record(OpId::index_select, {x}, out, {index},
           [l](const BackwardContext& ctx, const Tensor& g, std::vector<Tensor>& gi) {
             Tensor gx = zeros_as(ctx.input_shape(0), g);
             backend_of(g).index_add(g, l, ctx.saved(0), gx);
             gi[0] = gx;
           },
           {{"dim", int64_t{d}}});
  }
  return out;
}

Tensor gather(const Tensor& x, int64_t dim, const Tensor& index) {
  check_defined("gather", x, "input");
  const int d = normalize_dim("gather", dim, x.ndim());
  check_indices("gather", index, x.shape()[d]);
  check_same_device("gather", x, index);
  STAA_CHECK(index.ndim() == x.ndim(), "gather: index has ", index.ndim(), " dims, x has ",
             x.ndim());
  for (int k = 0; k < x.ndim(); ++k) {
    STAA_CHECK(k == d || index.shape()[k] == x.shape()[k], "gather: index shape ", index.shape(),
               " must equal x's shape ", x.shape(), " except along dim ", d);
  }
  const DimLayout l = dim_layout(x.shape(), d);
  Tensor out = empty_as(index.shape(), x);
  backend_of(x).gather(x, l, index, out);
  if (needs_record({&x})) {
    record(OpId::gather, {x}, out, {index},
           [l](const BackwardContext& ctx, const Tensor& g, std::vector<Tensor>& gi) {
             Tensor gx = zeros_as(ctx.input_shape(0), g);
             backend_of(g).scatter_add(g, l, ctx.saved(0), gx);
             gi[0] = gx;
           },
           {{"dim", int64_t{d}}});
  }
  return out;
}

}  // namespace staa
