// conv2d's fast paths (tensor/cpu/conv.cpp: per-image GEMMs, the pointwise path without im2col,
// batched chunks with a partial last chunk, thread-parallel chunks, the shared GEMM;
// conv_implicit.cpp; conv_winograd.cpp) against a plain direct convolution in double, forward and
// all three gradients, on shapes larger than the op matrix's, on 1, 2 and 3 threads; plus conv2d's
// error messages. Layer: tests.
#include <gtest/gtest.h>
#include <omp.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "autograd/ops.h"
#include "expect_error.h"
#include "tensor/backend.h"
#include "tensor/cpu/conv_implicit.h"
#include "tensor/cpu/kernel_util.h"
#include "tensor/ops/conv.h"

namespace staa {
namespace {

using test::expect_error;

struct Grads {
  std::vector<double> y, gx, gw, gb;
};

// Direct loops in double: y = conv(x, w) + b, and for the cotangent gy the gradients
// gx[n, ic, ih, iw] += gy[n, o, oh, ow] w[o, c, i, j], gw[o, c, i, j] += gy x[n, ic, ih, iw],
// gb[o] += gy. x: [N, C_in, H, W], w: [C_out, C_in / G, KH, KW], gy: [N, C_out, OH, OW]
Grads reference(const std::vector<double>& x, const std::vector<double>& w,
                const std::vector<double>& b, const std::vector<double>& gy,
                const Conv2dGeometry& g) {
  Grads r{std::vector<double>(gy.size()), std::vector<double>(x.size()),
          std::vector<double>(w.size()), std::vector<double>(b.size())};
  const int64_t cg = g.c_in_group(), og = g.c_out_group();
  for (int64_t n = 0; n < g.n; ++n)
    for (int64_t o = 0; o < g.c_out; ++o)
      for (int64_t oh = 0; oh < g.out_h; ++oh)
        for (int64_t ow = 0; ow < g.out_w; ++ow) {
          const int64_t yi = ((n * g.c_out + o) * g.out_h + oh) * g.out_w + ow;
          double s = b[o];
          r.gb[o] += gy[yi];
          for (int64_t c = 0; c < cg; ++c)
            for (int64_t i = 0; i < g.kh; ++i)
              for (int64_t j = 0; j < g.kw; ++j) {
                const int64_t ih = oh * g.stride_h - g.pad_h + i * g.dil_h;
                const int64_t iw = ow * g.stride_w - g.pad_w + j * g.dil_w;
                if (ih < 0 || ih >= g.h || iw < 0 || iw >= g.w) continue;
                const int64_t xi = ((n * g.c_in + o / og * cg + c) * g.h + ih) * g.w + iw;
                const int64_t wi = ((o * cg + c) * g.kh + i) * g.kw + j;
                s += w[wi] * x[xi];
                r.gx[xi] += gy[yi] * w[wi];
                r.gw[wi] += gy[yi] * x[xi];
              }
          r.y[yi] = s;
        }
  return r;
}

void expect_close(const std::vector<double>& got, const std::vector<double>& want, double tol,
                  const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  double scale = 1e-30;
  for (double v : want) scale = std::max(scale, std::abs(v));
  for (size_t i = 0; i < got.size(); ++i)
    ASSERT_LE(std::abs(got[i] - want[i]), tol * scale)
        << what << " element " << i << ": got " << got[i] << ", want " << want[i];
}

struct ConvCase {
  std::string label;
  Shape x, w;
  Conv2dOptions o;
};

// f32: sums of up to ~1200 products of values in [-1, 1]; 1e-5 of the largest magnitude.
void check_case(const ConvCase& c, DType dtype, int threads) {
  const int saved_threads = omp_get_max_threads();
  omp_set_num_threads(threads);
  Generator gen(11);
  Tensor x = uniform(c.x, -1, 1, gen, {dtype}).set_requires_grad(true);
  Tensor w = uniform(c.w, -1, 1, gen, {dtype}).set_requires_grad(true);
  Tensor b = uniform(Shape{c.w[0]}, -1, 1, gen, {dtype}).set_requires_grad(true);
  const Conv2dGeometry g =
      make_conv2d_geometry(c.x, c.w, c.o.stride, c.o.padding, c.o.dilation, c.o.groups);
  const Tensor gy = normal(g.out_shape(), 0, 1, gen, {dtype});
  const Tensor y = conv2d(x, w, b, c.o);
  backward(y, gy);
  omp_set_num_threads(saved_threads);
  const Grads r = reference(x.to_vector(), w.to_vector(), b.to_vector(), gy.to_vector(), g);
  const double tol = dtype == kF32 ? 1e-5 : 1e-12;
  const std::string what =
      c.label + " " + dtype_name(dtype) + " threads " + std::to_string(threads);
  expect_close(y.to_vector(), r.y, tol, what + " y");
  expect_close(x.grad().to_vector(), r.gx, tol, what + " grad x");
  expect_close(w.grad().to_vector(), r.gw, tol, what + " grad w");
  expect_close(b.grad().to_vector(), r.gb, tol, what + " grad bias");
}

Conv2dOptions opts(std::array<int64_t, 2> stride, std::array<int64_t, 2> pad,
                   std::array<int64_t, 2> dil = {1, 1}, int64_t groups = 1) {
  return Conv2dOptions{stride, pad, dil, groups};
}

const std::vector<ConvCase>& fast_path_cases() {
  static const std::vector<ConvCase> cases = {
      {"per_image_3x3", {4, 8, 12, 12}, {16, 8, 3, 3}, opts({1, 1}, {1, 1})},
      {"per_image_depthwise_dilated",
       {3, 12, 20, 19},
       {12, 1, 3, 3},
       opts({1, 1}, {2, 2}, {2, 2}, 12)},
      {"pointwise_direct_groups2", {3, 16, 10, 10}, {8, 8, 1, 1}, opts({1, 1}, {0, 0}, {1, 1}, 2)},
      {"batched_partial_chunks", {65, 3, 4, 4}, {5, 3, 3, 3}, opts({1, 1}, {1, 1})},
      {"batched_two_chunks_groups", {90, 4, 4, 4}, {6, 2, 3, 3}, opts({1, 1}, {1, 1}, {1, 1}, 2)},
      {"shared_gemm_deep_columns", {3, 128, 4, 4}, {4, 128, 3, 3}, opts({1, 1}, {1, 1})},
      {"batched_1x1_stride3", {5, 16, 17, 17}, {24, 16, 1, 1}, opts({3, 3}, {0, 0})},
      {"odd_stride2_non_square", {6, 5, 15, 11}, {7, 5, 3, 2}, opts({2, 3}, {1, 0}, {1, 2})},
      // f32 backward-weight as row dot products (gemm_dot.h: few column rows, many channels).
      {"dot_weight_gemm_per_image", {3, 3, 9, 9}, {64, 3, 3, 3}, opts({1, 1}, {1, 1})},
      {"dot_weight_gemm_batched_groups",
       {70, 4, 5, 5},
       {96, 2, 3, 3},
       opts({1, 1}, {1, 1}, {1, 1}, 2)},
      // Implicit GEMM (f32, groups 1): a plane above half a chunk runs one image per GEMM.
      {"implicit_large_plane", {2, 16, 33, 33}, {5, 16, 3, 3}, opts({1, 1}, {1, 1})},
      {"implicit_batch1", {1, 16, 6, 6}, {8, 16, 3, 3}, opts({1, 1}, {1, 1})},
      {"implicit_plane_over_4096_columns", {2, 16, 66, 66}, {4, 16, 3, 3}, opts({1, 1}, {1, 1})},
      {"implicit_4px_rows", {5, 16, 4, 4}, {12, 16, 3, 3}, opts({1, 1}, {1, 1})},
      {"implicit_odd_positions", {7, 16, 5, 5}, {9, 16, 3, 3}, opts({1, 1}, {1, 1})},
      {"implicit_dilated_uneven_pad", {3, 16, 9, 7}, {6, 16, 3, 2}, opts({1, 1}, {2, 1}, {2, 1})},
      {"implicit_pad_past_kernel", {2, 16, 5, 5}, {4, 16, 1, 1}, opts({1, 1}, {1, 1})},
      {"implicit_1x1_stride2", {3, 16, 8, 8}, {8, 16, 1, 1}, opts({2, 2}, {0, 0})},
      {"implicit_1x1_stride2_rows_of_9", {2, 64, 18, 17}, {8, 64, 1, 1}, opts({2, 2}, {0, 0})},
      {"implicit_1x1_stride2_4px_rows", {3, 64, 8, 7}, {8, 64, 1, 1}, opts({2, 2}, {0, 0})},
      {"implicit_1x1_stride2_wide_odd", {2, 16, 35, 33}, {8, 16, 1, 1}, opts({2, 2}, {0, 0})},
      {"implicit_1x1_stride2_one_image_per_gemm",
       {2, 64, 32, 32},
       {128, 64, 1, 1},
       opts({2, 2}, {0, 0})},
      {"implicit_unpadded_3x3", {4, 16, 7, 6}, {4, 16, 3, 3}, opts({1, 1}, {0, 0})},
      // Dense (conv_dense.h: H W < KH KW, one GEMM with the unrolled weight).
      {"dense_2x2_plane_3x3", {5, 16, 2, 2}, {12, 16, 3, 3}, opts({1, 1}, {1, 1})},
      {"dense_1x1_plane", {4, 8, 1, 1}, {6, 8, 3, 3}, opts({1, 1}, {1, 1})},
      {"dense_strided_dilated_uneven", {3, 4, 2, 3}, {5, 4, 3, 3}, opts({2, 1}, {2, 1}, {2, 1})},
      {"dense_one_pixel_1x2_kernel", {6, 3, 1, 1}, {4, 3, 1, 2}, opts({1, 1}, {0, 1})},
      // Winograd F(4x4, 3x3) (f32, 3x3 stride 1, >= 16 channels; conv_winograd.h).
      {"winograd_16ch", {3, 16, 9, 9}, {24, 16, 3, 3}, opts({1, 1}, {1, 1})},
      {"winograd_whole_tiles", {3, 32, 12, 12}, {40, 32, 3, 3}, opts({1, 1}, {1, 1})},
      {"winograd_ragged_tiles", {2, 33, 11, 9}, {32, 33, 3, 3}, opts({1, 1}, {1, 1})},
      {"winograd_unpadded", {3, 32, 10, 7}, {36, 32, 3, 3}, opts({1, 1}, {0, 0})},
      {"winograd_pad2_uneven", {2, 32, 6, 7}, {32, 32, 3, 3}, opts({1, 1}, {2, 1})},
      {"winograd_rows_of_eight_tiles", {2, 16, 34, 36}, {16, 16, 3, 3}, opts({1, 1}, {1, 1})},
      {"winograd_pairs_16px", {2, 16, 16, 16}, {16, 16, 3, 3}, opts({1, 1}, {1, 1})},
      {"winograd_pairs_8px", {3, 16, 8, 8}, {16, 16, 3, 3}, opts({1, 1}, {1, 1})},
      {"winograd_slabs_of_odd_depth", {1, 261, 4, 5}, {16, 261, 3, 3}, opts({1, 1}, {1, 1})},
      {"winograd_many_chunks", {520, 32, 4, 4}, {32, 32, 3, 3}, opts({1, 1}, {1, 1})},
      // Products of a chunk past kOutBlockFloats (36 x 320 channels x 24 tiles): the forward in
      // rounds of 24 output channels, the last one of 8 (the backward-data runs the same code).
      {"winograd_output_blocks", {6, 16, 8, 8}, {320, 16, 3, 3}, opts({1, 1}, {1, 1})},
  };
  return cases;
}

TEST(Conv2dFastPath, MatchesDirectReferenceF32AndF64OnOneTwoThreeThreads) {
  for (const ConvCase& c : fast_path_cases())
    for (int threads : {1, 2, 3})
      for (DType dtype : {kF32, kF64}) check_case(c, dtype, threads);
}

// set_allow_winograd(false) sends a Winograd-eligible convolution to the implicit-GEMM path: both
// match the reference, and their roundings differ (the switch really switches).
TEST(Conv2dWinograd, SwitchesToImplicitGemmWhenNotAllowed) {
  const ConvCase c{"winograd_switch", {4, 64, 8, 8}, {64, 64, 3, 3}, opts({1, 1}, {1, 1})};
  Generator gen(5);
  const Tensor x = uniform(c.x, -1, 1, gen), w = uniform(c.w, -1, 1, gen);
  ASSERT_TRUE(allow_winograd());
  const std::vector<double> fast = conv2d(x, w, Tensor(), c.o).to_vector();
  set_allow_winograd(false);
  const std::vector<double> plain = conv2d(x, w, Tensor(), c.o).to_vector();
  set_allow_winograd(true);
  check_case(c, kF32, 2);
  EXPECT_NE(fast, plain);
  const Conv2dGeometry g = make_conv2d_geometry(c.x, c.w, {1, 1}, {1, 1}, {1, 1}, 1);
  const Grads r = reference(x.to_vector(), w.to_vector(), std::vector<double>(64, 0.0),
                            std::vector<double>(g.out_shape().numel(), 0.0), g);
  expect_close(fast, r.y, 1e-5, "winograd y");
  expect_close(plain, r.y, 1e-6, "implicit y");
}

// Every Winograd pass adds in an order that does not depend on the team: the forward and
// backward-data give each chunk of tiles to one thread (chunk sizes follow the team, but a GEMM
// column's bits do not depend on the tile it falls in), the backward-weight each of the 36 GEMMs
// (five chunks of tiles here, accumulated in turn). Same bits on 1, 2 and 3 threads.
TEST(Conv2dWinograd, SameBitsOnAnyNumberOfThreads) {
  Generator gen(6);
  const Tensor x0 = uniform({1040, 32, 4, 4}, -1, 1, gen), w0 = uniform({32, 32, 3, 3}, -1, 1, gen);
  const Tensor gy = normal({1040, 32, 4, 4}, 0, 1, gen);
  const Conv2dOptions o = opts({1, 1}, {1, 1});
  const int saved_threads = omp_get_max_threads();
  std::vector<std::vector<double>> runs[3];
  for (int threads : {1, 2, 3}) {
    omp_set_num_threads(threads);
    Tensor x = x0.detach().set_requires_grad(true), w = w0.detach().set_requires_grad(true);
    const Tensor y = conv2d(x, w, Tensor(), o);
    backward(y, gy);
    runs[threads - 1] = {y.to_vector(), x.grad().to_vector(), w.grad().to_vector()};
  }
  omp_set_num_threads(saved_threads);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(runs[1][i], runs[0][i]) << "output " << i << ", 2 threads against 1";
    EXPECT_EQ(runs[2][i], runs[0][i]) << "output " << i << ", 3 threads against 1";
  }
}

// conv2d's y and grad_x with a fixed cotangent (double values).
std::pair<std::vector<double>, std::vector<double>> forward_and_grad_x(const Tensor& x0,
                                                                       const Tensor& w,
                                                                       const Tensor& gy,
                                                                       const Conv2dOptions& o) {
  Tensor x = x0.detach().set_requires_grad(true);
  const Tensor y = conv2d(x, w, Tensor(), o);
  backward(y, gy);
  return {y.to_vector(), x.grad().to_vector()};
}

// Outputs of kStreamStoreBytes (16 MiB) or more are written by streaming stores: the Winograd
// output rows of pairs of whole tiles (forward and backward-data) and the stride-2 spread of a 1x1
// backward-data. Each against a path without them: the implicit GEMM, and f64 (im2col).
TEST(Conv2dStreamingStores, LargeOutputsMatchPathsWithout) {
  ASSERT_EQ(cpu::kStreamStoreBytes, int64_t{16} << 20);
  Generator gen(13);
  const Shape xs{4, 16, 256, 256};  // 16 MiB of f32
  const Tensor x = uniform(xs, -1, 1, gen);
  {
    const Tensor w = uniform({16, 16, 3, 3}, -1, 1, gen), gy = normal(xs, 0, 1, gen);
    const auto [y, gx] = forward_and_grad_x(x, w, gy, opts({1, 1}, {1, 1}));
    set_allow_winograd(false);
    const auto [y_plain, gx_plain] = forward_and_grad_x(x, w, gy, opts({1, 1}, {1, 1}));
    set_allow_winograd(true);
    expect_close(y, y_plain, 1e-5, "winograd y");
    expect_close(gx, gx_plain, 1e-5, "winograd grad x");
  }
  {
    const Tensor w = uniform({8, 16, 1, 1}, -1, 1, gen), gy = normal({4, 8, 128, 128}, 0, 1, gen);
    const auto [y, gx] = forward_and_grad_x(x, w, gy, opts({2, 2}, {0, 0}));
    const auto [y64, gx64] =
        forward_and_grad_x(x.to(kF64), w.to(kF64), gy.to(kF64), opts({2, 2}, {0, 0}));
    expect_close(y, y64, 1e-5, "1x1 stride 2 y");
    expect_close(gx, gx64, 1e-5, "1x1 stride 2 grad x");
  }
}

// `count` floats that end where an unreadable page begins: a read past the end faults.
class FloatsBeforeGuardPage {
 public:
  explicit FloatsBeforeGuardPage(size_t count) {
    const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    const size_t bytes = (count * sizeof(float) + page - 1) / page * page;
    size_ = bytes + page;
    void* base = mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    EXPECT_NE(base, MAP_FAILED);
    base_ = static_cast<char*>(base);
    EXPECT_EQ(mprotect(base_ + bytes, page, PROT_NONE), 0);
    data_ = reinterpret_cast<float*>(base_ + bytes) - count;
  }
  ~FloatsBeforeGuardPage() { munmap(base_, size_); }
  float* data() { return data_; }

 private:
  char* base_;
  size_t size_;
  float* data_;
};

// The stride-2 loads of the 1x1 implicit GEMM read one float past the last value they keep; where
// that float would lie past the end of x they must not read it (7 x 7 and 5 x 15 planes: the last
// value read ends the input).
TEST(Conv2dImplicit, StridedLoadsStopAtTheEndOfTheInput) {
  for (const Shape& xs : {Shape{3, 64, 7, 7}, Shape{2, 64, 8, 8}, Shape{2, 64, 5, 15}}) {
    const Shape ws{8, 64, 1, 1};
    const Conv2dGeometry g = make_conv2d_geometry(xs, ws, {2, 2}, {0, 0}, {1, 1}, 1);
    ASSERT_TRUE(cpu::conv_implicit_supported(g));
    Generator gen(9);
    const std::vector<double> xv = uniform(xs, -1, 1, gen).to_vector();
    const std::vector<double> wv = uniform(ws, -1, 1, gen).to_vector();
    const std::vector<double> gyv = uniform(g.out_shape(), -1, 1, gen).to_vector();
    FloatsBeforeGuardPage x(xv.size());
    std::copy(xv.begin(), xv.end(), x.data());
    const std::vector<float> w(wv.begin(), wv.end()), gy(gyv.begin(), gyv.end());
    std::vector<float> y(gyv.size()), gw(wv.size());
    cpu::conv_forward_implicit(x.data(), w.data(), nullptr, g, y.data());
    cpu::conv_backward_weight_implicit(gy.data(), x.data(), g, gw.data());
    const Grads r = reference(xv, wv, std::vector<double>(8, 0.0), gyv, g);
    const std::string what = "1x1 stride 2 on " + xs.str();
    expect_close(std::vector<double>(y.begin(), y.end()), r.y, 1e-5, what + " y");
    expect_close(std::vector<double>(gw.begin(), gw.end()), r.gw, 1e-5, what + " grad w");
  }
}

TEST(Conv2dFastPath, WithoutBiasAndOnlyWeightGrad) {
  Generator gen(3);
  Tensor x = uniform({2, 4, 9, 9}, -1, 1, gen);
  Tensor w = uniform({6, 4, 3, 3}, -1, 1, gen).set_requires_grad(true);
  backward(sum(conv2d(x, w, Tensor(), opts({1, 1}, {1, 1}))));
  const Conv2dGeometry g = make_conv2d_geometry(x.shape(), w.shape(), {1, 1}, {1, 1}, {1, 1}, 1);
  const std::vector<double> ones(g.out_shape().numel(), 1.0);
  const Grads r = reference(x.to_vector(), w.to_vector(), std::vector<double>(6, 0.0), ones, g);
  expect_close(w.grad().to_vector(), r.gw, 1e-5, "grad w");
  EXPECT_FALSE(x.grad().defined());
}

TEST(Conv2dErrors, NameTheOpWhatWasExpectedAndWhatCame) {
  const Tensor x = zeros({1, 4, 5, 5});
  expect_error(
      [&] {
        conv2d(x, zeros({2, 3, 3, 3}), Tensor());
      },
      {"conv2d", "4 input channels", "[2,3,3,3]"});
  expect_error(
      [&] {
        conv2d(x, zeros({2, 2, 3, 3}), Tensor(), opts({1, 1}, {0, 0}, {1, 1}, 3));
      },
      {"conv2d", "divisible by groups = 3", "4 channels"});
  expect_error(
      [&] {
        conv2d(x, zeros({3, 2, 3, 3}), Tensor(), opts({1, 1}, {0, 0}, {1, 1}, 2));
      },
      {"conv2d", "output channels divisible", "3 output channels"});
  expect_error(
      [&] {
        conv2d(x, zeros({2, 4, 7, 7}), Tensor());
      },
      {"conv2d", "7x7", "padded input of 5x5"});
  expect_error(
      [&] {
        conv2d(x, zeros({2, 4, 3, 3}), Tensor(), opts({0, 1}, {0, 0}));
      },
      {"conv2d", "positive stride", "[0,1]"});
  expect_error(
      [&] {
        conv2d(x, zeros({2, 4, 3, 3}), Tensor(), opts({1, 1}, {0, 0}, {1, -1}));
      },
      {"conv2d", "positive dilation", "[1,-1]"});
  expect_error(
      [&] {
        conv2d(zeros({4, 5, 5}), zeros({2, 4, 3, 3}), Tensor());
      },
      {"conv2d", "4 dims", "[4,5,5]"});
  expect_error(
      [&] {
        conv2d(x, zeros({2, 4, 3, 3}), zeros({3}));
      },
      {"conv2d", "bias of shape [2]", "[3]"});
  expect_error([&] { conv2d(x, zeros({2, 4, 3, 3}, {kF64}), Tensor()); }, {"conv2d", "f32", "f64"});
}

}  // namespace
}  // namespace staa
