// Error tests: bad shapes, dtypes, devices and indices raise staa::Error naming the op, what was
// expected and what came. Layer: tests.
#include <gtest/gtest.h>

#include "autograd/ops.h"
#include "expect_error.h"
#include "tensor/backend.h"

namespace staa {
namespace {

using test::expect_error;

const Tensor a23 = zeros({2, 3});

TEST(OpErrors, BroadcastMismatchNamesOpAndShapes) {
  expect_error([] { add(a23, zeros({4})); }, {"add", "[2,3]", "[4]", "broadcast"});
  expect_error([] { mul(zeros({2, 3}), zeros({3, 2})); }, {"mul", "[2,3]", "[3,2]"});
}

TEST(OpErrors, DtypeMismatchNamesBothDtypes) {
  expect_error([] { sub(a23, zeros({2, 3}, {kF64})); }, {"sub", "f32", "f64"});
  expect_error([] { exp(zeros({2}, {kI64})); }, {"exp", "f32 or f64", "i64"});
}

TEST(OpErrors, MatmulInnerDimsMismatch) {
  expect_error([] { matmul(zeros({2, 3}), zeros({4, 5})); }, {"matmul", "[2,3]", "[4,5]"});
  expect_error([] { matmul(zeros({2, 3, 4}), zeros({3, 4, 5})); }, {"matmul", "batch"});
  expect_error([] { matmul(zeros({3}), zeros({3, 2})); }, {"matmul", "at least 2 dims"});
}

TEST(OpErrors, ReshapeAndSliceBounds) {
  expect_error([] { reshape(a23, {4, 2}); }, {"reshape", "[2,3]", "[4,2]"});
  expect_error([] { reshape(a23, {-1, -1}); }, {"reshape", "-1"});
  expect_error([] { slice(a23, 1, 3); }, {"slice", "[1, 3)", "size 2"});
}

TEST(OpErrors, ReductionDims) {
  expect_error([] { sum(a23, {2}); }, {"sum", "dim 2", "2 dims"});
  expect_error([] { sum(a23, {1, -1}); }, {"sum", "twice"});
  expect_error([] { var(zeros({3, 1}), {1}); }, {"var", "degrees of freedom"});
}

TEST(OpErrors, ShapeOps) {
  expect_error([] { concat({a23, zeros({3, 3})}, 1); }, {"concat", "tensor 1", "[3,3]"});
  expect_error([] { permute(a23, {0, 0}); }, {"permute", "twice"});
  expect_error([] { expand(zeros({2, 3}), Shape{4, 3}); }, {"expand", "[2,3]", "[4,3]"});
  expect_error([] { stack({a23, zeros({2, 2})}, 0); }, {"stack", "tensor 1"});
}

TEST(OpErrors, IndicesOutOfRange) {
  expect_error(
      [] {
        index_select(a23, 1, from_vector(std::vector<int64_t>{0, 3}, {2}));
      },
      {"index_select", "index 3", "[0, 3)"});
  expect_error([] { index_select(a23, 0, zeros({1})); }, {"index_select", "i64", "f32"});
  expect_error(
      [] {
        gather(a23, 1, from_vector(std::vector<int64_t>{0, 1, 3, 0}, {2, 2}));
      },
      {"gather", "index 3", "position 2"});
}

TEST(OpErrors, CrossEntropyTargets) {
  const Tensor logits = zeros({2, 3});
  expect_error(
      [] {
        cross_entropy(zeros({2, 3}), from_vector(std::vector<int64_t>{0, 3}, {2}));
      },
      {"cross_entropy", "target 3", "sample 1", "[0, 3)"});
  expect_error([] { cross_entropy(zeros({2, 3}), zeros({2})); }, {"cross_entropy", "i64", "f32"});
  expect_error(
      [] {
        cross_entropy(zeros({2, 3}), from_vector(std::vector<int64_t>{0}, {1}));
      },
      {"cross_entropy", "[2]", "[1]"});
  expect_error([] { cross_entropy(zeros({6}), from_vector(std::vector<int64_t>{0}, {1})); },
               {"cross_entropy", "[N, C]", "[6]"});
}

TEST(OpErrors, ScalarArguments) {
  Generator gen(1);
  expect_error([&] { dropout(a23, 1.0, gen); }, {"dropout", "[0, 1)", "1"});
  expect_error([] { clamp(a23, 1.0, 0.0); }, {"clamp", "low"});
  expect_error([] { div(a23, 0.0); }, {"div", "0"});
}

TEST(OpErrors, DeviceMismatchNamesBothDevices) {
  if (!cuda_available()) GTEST_SKIP() << "no CUDA device: the mismatch needs a tensor on a GPU";
  const Tensor g = zeros({2, 3}, {kF32, Device::cuda()});
  expect_error([&] { add(a23, g); }, {"add", "cpu", "cuda:0"});
}

TEST(OpErrors, CudaTensorWithoutGpuIsAnErrorNotACrash) {
  if (cuda_available()) GTEST_SKIP() << "a GPU is present";
  expect_error([] { zeros({2}, {kF32, Device::cuda()}); }, {"cuda"});
}

}  // namespace
}  // namespace staa
