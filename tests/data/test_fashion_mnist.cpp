// Real data: Fashion-MNIST from Debian's dataset-fashion-mnist (gzipped IDX files under
// /usr/share/datasets/fashion-mnist; ./run_tests installs the package) loads 60,000 / 10,000
// images of 28x28 with 6,000 / 1,000 per class. Layer: tests.
#include <gtest/gtest.h>

#include <filesystem>

#include "data/idx.h"

namespace staa::test {
namespace {

constexpr const char* kDir = "/usr/share/datasets/fashion-mnist";

TEST(FashionMnist, DebianPackageLoadsWithBalancedClasses) {
  ASSERT_TRUE(std::filesystem::is_directory(kDir))
      << kDir << " is missing: apt-get install dataset-fashion-mnist (./run_tests does)";
  const data::IdxDataset train = data::mnist_like(kDir, true, "fashion-mnist");
  const data::IdxDataset test = data::mnist_like(kDir, false, "fashion-mnist");
  EXPECT_EQ(train.size(), 60000);
  EXPECT_EQ(test.size(), 10000);
  EXPECT_EQ(train.rows(), 28);
  EXPECT_EQ(train.cols(), 28);
  EXPECT_EQ(data::class_counts(train), std::vector<int64_t>(10, 6000));
  EXPECT_EQ(data::class_counts(test), std::vector<int64_t>(10, 1000));
  const data::Sample s = train.get(0);
  EXPECT_EQ(s.shape, (Shape{1, 28, 28}));
  float sum = 0;
  for (const float v : s.values) sum += v;
  EXPECT_GT(sum, 10.0f);  // a real image, not zeros
}

}  // namespace
}  // namespace staa::test
