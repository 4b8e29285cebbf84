// Tensor core: creation, views, dtype and device moves, printing, the caching allocator and the
// Philox generator. Layer: tests.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "tensor/allocator.h"
#include "tensor/backend.h"
#include "tensor/creation.h"

namespace staa {
namespace {

TEST(Shape, NumelStridesAndBroadcast) {
  const Shape s{2, 3, 4};
  EXPECT_EQ(s.numel(), 24);
  EXPECT_EQ(s.strides(), (std::vector<int64_t>{12, 4, 1}));
  EXPECT_EQ(s.at(-1), 4);
  EXPECT_EQ(Shape{}.numel(), 1);
  EXPECT_EQ(broadcast_shapes("t", Shape{3, 1}, Shape{4}), (Shape{3, 4}));
  EXPECT_EQ(s.str(), "[2,3,4]");
  EXPECT_THROW(broadcast_shapes("t", Shape{3}, Shape{4}), Error);
}

TEST(Creation, FillsAndArange) {
  EXPECT_EQ(zeros({2, 2}).to_vector(), (std::vector<double>{0, 0, 0, 0}));
  EXPECT_EQ(ones({3}, {kF64}).to_vector(), (std::vector<double>{1, 1, 1}));
  EXPECT_EQ(full({2}, 2.5).to_vector(), (std::vector<double>{2.5, 2.5}));
  EXPECT_EQ(arange(0, 5, 2, {kI64}).to_vector(), (std::vector<double>{0, 2, 4}));
  EXPECT_EQ(arange(1, 2, 0.25).numel(), 4);
  EXPECT_EQ(scalar_tensor(3).item(), 3);
  EXPECT_THROW(from_vector(std::vector<double>{1, 2}, {3}), Error);
}

TEST(Creation, RandomFillsAreSeededAndHaveTheRightMoments) {
  Generator g1(123), g2(123), g3(124);
  const auto a = uniform({20000}, -1, 3, g1).to_vector();
  const auto b = uniform({20000}, -1, 3, g2).to_vector();
  const auto c = uniform({20000}, -1, 3, g3).to_vector();
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  const double mean_a = std::accumulate(a.begin(), a.end(), 0.0) / a.size();
  EXPECT_NEAR(mean_a, 1.0, 0.03);  // sd of the mean: (4/sqrt(12))/sqrt(20000) = 0.008
  EXPECT_GE(*std::min_element(a.begin(), a.end()), -1.0);
  EXPECT_LT(*std::max_element(a.begin(), a.end()), 3.0);
  // The generator advanced: a second fill from g1 differs from the first.
  EXPECT_NE(uniform({20000}, -1, 3, g1).to_vector(), a);

  Generator gn(5);
  const auto n = normal({40000}, 2.0, 0.5, gn, {kF64}).to_vector();
  double m = 0, v = 0;
  for (double x : n) m += x / n.size();
  for (double x : n) v += (x - m) * (x - m) / (n.size() - 1);
  EXPECT_NEAR(m, 2.0, 0.01);  // sd of the mean: 0.5 / 200 = 0.0025
  EXPECT_NEAR(std::sqrt(v), 0.5, 0.01);
}

TEST(Tensor, ViewsShareStorage) {
  Tensor t = arange(0, 12).view_as({3, 4});
  Tensor rows = t.view_rows(1, 3);
  EXPECT_EQ(rows.shape(), (Shape{2, 4}));
  EXPECT_EQ(rows.to_vector()[0], 4);
  EXPECT_TRUE(rows.shares_storage(t));
  rows.data<float>()[0] = 100;
  EXPECT_EQ(t.to_vector()[4], 100);
  EXPECT_THROW(t.view_as({5}), Error);
  EXPECT_THROW(t.view_rows(2, 4), Error);
}

// copy_block of `cols` columns from column 5 of src = 0, 1, 2, ... ([rows, src_ld]) to column 3
// of dst ([rows, dst_ld], else -1): every element of dst checked.
void check_copy_block(DType dtype, int64_t rows, int64_t src_ld, int64_t dst_ld, int64_t cols) {
  const Tensor src = arange(0, static_cast<double>(rows * src_ld), 1.0, {dtype});
  Tensor dst = full({rows * dst_ld}, -1.0, {dtype});
  backend_of(src).copy_block(src, src_ld, 5, dst, dst_ld, 3, rows, cols);
  const std::vector<double> out = dst.to_vector();
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < dst_ld; ++c) {
      const bool inside = c >= 3 && c < 3 + cols;
      const double want = inside ? static_cast<double>(r * src_ld + 5 + c - 3) : -1.0;
      ASSERT_EQ(out[r * dst_ld + c], want)
          << dtype_name(dtype) << " " << cols << " columns: row " << r << " column " << c;
    }
}

// Rows longer than the 64K-element pieces the CPU copy shares among threads, and rows of one or
// two elements (copied element by element), f32 and f64.
TEST(Backend, CopyBlockLongAndShortRows) {
  check_copy_block(kF32, 3, 150000, 150010, 140001);
  for (DType dtype : {kF32, kF64})
    for (int64_t cols : {1, 2}) check_copy_block(dtype, 40000, 7, 6, cols);
}

TEST(Tensor, DtypeCastsCloneAndItem) {
  Tensor t = from_vector(std::vector<double>{1.5, -2.25}, {2}, {kF64});
  Tensor f = t.to(kF32);
  EXPECT_EQ(f.dtype(), kF32);
  EXPECT_EQ(f.to_vector(), (std::vector<double>{1.5, -2.25}));
  EXPECT_EQ(t.to(kI64).to_vector(), (std::vector<double>{1, -2}));
  Tensor c = t.clone();
  c.data<double>()[0] = 7;
  EXPECT_EQ(t.to_vector()[0], 1.5);
  EXPECT_EQ(t.to(Device::cpu()).shares_storage(t), true);
  EXPECT_THROW(t.item(), Error);
  EXPECT_THROW(t.data<float>(), Error);
}

TEST(Tensor, Printing) {
  const Tensor t = from_vector(std::vector<double>{1, 2, 3, 4, 5, 6}, {2, 3});
  EXPECT_EQ(t.str(), "tensor([[1, 2, 3], [4, 5, 6]], shape=[2,3], dtype=f32, device=cpu)");
  const std::string big = arange(0, 100).str();
  EXPECT_NE(big.find("..."), std::string::npos);
  EXPECT_EQ(Tensor().str(), "tensor(undefined)");
}

TEST(Allocator, SizeClassesBoundWaste) {
  EXPECT_EQ(allocator_size_class(1), 64u);
  EXPECT_EQ(allocator_size_class(4096), 4096u);
  for (size_t b : {4097ul, 10000ul, 1ul << 20, (1ul << 20) + 1, 123456789ul}) {
    const size_t c = allocator_size_class(b);
    EXPECT_GE(c, b);
    EXPECT_LE(c, b + b / 4) << b;
  }
}

TEST(Allocator, FreedBlocksAreReusedAndStatsTracked) {
  Allocator& a = cpu_allocator();
  const AllocatorStats before = a.stats();
  void* first = nullptr;
  {
    Tensor t = Tensor::empty({1 << 18});  // 1 MiB
    first = t.raw_data();
    const AllocatorStats during = a.stats();
    EXPECT_GE(during.current_bytes, before.current_bytes + (1u << 20));
    EXPECT_GE(during.peak_bytes, during.current_bytes);
  }
  EXPECT_EQ(a.stats().current_bytes, before.current_bytes);
  const uint64_t hits = a.stats().cache_hits;
  Tensor again = Tensor::empty({1 << 18});
  EXPECT_EQ(again.raw_data(), first);  // the same block came back from the free list
  EXPECT_EQ(a.stats().cache_hits, hits + 1);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(again.raw_data()) % 64, 0u);
}

TEST(Allocator, EmptyCacheReleasesFreeBlocks) {
  Allocator& a = cpu_allocator();
  { Tensor t = Tensor::empty({1 << 16}); }
  EXPECT_GT(a.stats().cached_bytes, 0u);
  a.empty_cache();
  EXPECT_EQ(a.stats().cached_bytes, 0u);
}

TEST(Generator, PhiloxIsCounterBased) {
  // The stream of (seed, offset) is fixed: a fill of 10 then of 5 equals one fill of 15.
  Generator a(9), b(9);
  auto first = uniform({10}, 0, 1, a, {kF64}).to_vector();
  auto second = uniform({5}, 0, 1, a, {kF64}).to_vector();
  first.insert(first.end(), second.begin(), second.end());
  EXPECT_EQ(first, uniform({15}, 0, 1, b, {kF64}).to_vector());
  EXPECT_EQ(a.offset(), 15u);
}

TEST(Backend, CpuAlwaysThereCudaExplainsItself) {
  EXPECT_STREQ(backend_for(Device::cpu()).name(), "cpu");
  if (!cuda_available()) {
    EXPECT_THROW(backend_for(Device::cuda()), Error);
  }
}

}  // namespace
}  // namespace staa
