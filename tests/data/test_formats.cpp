// Parsers on files written in the exact formats of spec §5 with known contents: CIFAR records,
// IDX (plain and gzipped), PNG folders, AEDAT 2.0 bit fields and flips, packetised AEDAT 3.1,
// gesture CSV slicing, events -> frames, the frame cache and the CIFAR10-DVS splits. Layer: tests.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "data/cifar.h"
#include "data/cifar10_dvs.h"
#include "data/gesture.h"
#include "data/idx.h"
#include "data/image_folder.h"
#include "fixtures.h"

namespace staa::test {
namespace {

using namespace staa::data;

TEST(Cifar, TenReadsLabelsAndPlanes) {
  TempDir dir;
  write_cifar_folder(dir.path(), 4, false);
  CifarDataset train(dir.path(), CifarKind::kCifar10, true, {4});
  CifarDataset test(dir.path(), CifarKind::kCifar10, false, {4});
  EXPECT_EQ(train.size(), 20);  // 5 files x 4
  EXPECT_EQ(test.size(), 4);
  const Sample s = train.get(5);  // file 2, record 1
  EXPECT_EQ(s.shape, (Shape{3, 32, 32}));
  EXPECT_EQ(s.label, cifar_label(1, false));
  EXPECT_FLOAT_EQ(s.values[0], 1 / 255.0f);                              // R(0,0) = (1 + 0) % 256
  EXPECT_FLOAT_EQ(s.values[1024 + 33], (1 + 1024 + 33) % 256 / 255.0f);  // G(1,1)
}

TEST(Cifar, HundredKeepsCoarseAndFineLabels) {
  TempDir dir;
  write_cifar_folder(dir / "cifar-100-binary", 6, true);
  CifarDataset train(dir.path(), CifarKind::kCifar100, true, {6});  // finds the inner folder
  ASSERT_EQ(train.size(), 6);
  EXPECT_EQ(train.num_classes(), 100);
  for (int r = 0; r < 6; ++r) {
    EXPECT_EQ(train.label(r), cifar_label(r, true));
    EXPECT_EQ(train.records().coarse_labels[r], (r * 3) % 20);
  }
}

TEST(Idx, PlainAndGzippedGiveTheSameImages) {
  TempDir dir;
  Bytes pixels(3 * 2 * 4), labels = {2, 0, 9};
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<uint8_t>(i * 10);
  write_bytes(dir / "train-images-idx3-ubyte", idx_bytes({3, 2, 4}, pixels));
  write_bytes(dir / "train-labels-idx1-ubyte.gz", gzip_bytes(idx_bytes({3}, labels)));
  const IdxDataset ds = mnist_like(dir.path(), true, "fashion-mnist");
  ASSERT_EQ(ds.size(), 3);
  EXPECT_EQ(ds.rows(), 2);
  EXPECT_EQ(ds.cols(), 4);
  const Sample s = ds.get(2);
  EXPECT_EQ(s.shape, (Shape{1, 2, 4}));
  EXPECT_EQ(s.label, 9);
  EXPECT_FLOAT_EQ(s.values[7], 230 / 255.0f);  // pixel 16 + 7
  write_bytes(dir / "gz/train-images-idx3-ubyte.gz", gzip_bytes(idx_bytes({3, 2, 4}, pixels)));
  write_bytes(dir / "gz/train-labels-idx1-ubyte", idx_bytes({3}, labels));
  const IdxDataset gz = mnist_like(dir / "gz", true, "fashion-mnist");
  EXPECT_EQ(gz.get(2).values, s.values);
}

TEST(ImageFolder, SortedClassesAndDecodedPixels) {
  TempDir dir;
  write_bytes(dir / "n02/b.png", png_bytes(5, 3));
  write_bytes(dir / "n02/a.PNG", png_bytes(4, 4));
  write_bytes(dir / "n01/x.png", png_bytes(2, 2));
  write_text(dir / "n01/readme.txt", "not an image");
  ImageFolder folder(dir.path());
  ASSERT_EQ(folder.size(), 3);
  EXPECT_EQ(folder.classes(), (std::vector<std::string>{"n01", "n02"}));
  EXPECT_EQ(folder.label(0), 0);
  EXPECT_EQ(folder.label(2), 1);
  const Sample s = folder.get(2);  // n02/b.png
  EXPECT_EQ(s.shape, (Shape{3, 3, 5}));
  // pixel (y=1, x=2), channel 1: (2*16 + 1*4 + 60) % 256 = 96
  EXPECT_FLOAT_EQ(s.values[1 * 15 + 1 * 5 + 2], 96 / 255.0f);
}

TEST(Aedat2, BigEndianBitFieldsAndSpikingJellyFlips) {
  const Bytes b = aedat2_bytes({{3, 5, 1, 100}, {127, 0, 0, 250}, {0, 127, 1, 0x01020304}});
  const std::vector<Event> ev = parse_aedat2(b.data(), b.size(), "mem.aedat");
  ASSERT_EQ(ev.size(), 3u);
  EXPECT_EQ(ev[0].x, 127 - 5);  // x' = 127 - y
  EXPECT_EQ(ev[0].y, 127 - 3);  // y' = 127 - x
  EXPECT_EQ(ev[0].p, 0);        // p' = 1 - p
  EXPECT_EQ(ev[0].t, 100);
  EXPECT_EQ(ev[1].x, 127);
  EXPECT_EQ(ev[1].y, 0);
  EXPECT_EQ(ev[1].p, 1);
  EXPECT_EQ(ev[2].x, 0);
  EXPECT_EQ(ev[2].y, 127);
  EXPECT_EQ(ev[2].t, 0x01020304);
}

TEST(Aedat3, PacketsOverflowAndSkippedTypes) {
  std::vector<Event> in;
  for (int i = 0; i < 7; ++i) in.push_back({1000 + i, i * 10, 127 - i, i % 2});
  const Bytes b = aedat3_bytes(in, 3, /*overflow=*/1);  // packets of 3, 3, 1 events
  const std::vector<Event> ev = parse_aedat3(b.data(), b.size(), "mem.aedat");
  ASSERT_EQ(ev.size(), 7u);
  for (int i = 0; i < 7; ++i) {
    EXPECT_EQ(ev[i].x, i * 10);
    EXPECT_EQ(ev[i].y, 127 - i);
    EXPECT_EQ(ev[i].p, i % 2);
    EXPECT_EQ(ev[i].t, (int64_t{1} << 31) + 1000 + i);  // ts |= overflow << 31
  }
}

TEST(Frames, SplitByCountPutsTheRemainderInTheLastFrame) {
  // 7 events, T = 3: d = 2, frames take events [0,2), [2,4), [4,7).
  std::vector<Event> ev;
  for (int i = 0; i < 7; ++i) ev.push_back({i * 100, i, 0, i % 2});
  const std::vector<float> f = events_to_frames(ev, {3, SplitBy::kCount, 2, 8}, "mem");
  auto at = [&](int t, int p, int y, int x) { return f[((t * 2 + p) * 2 + y) * 8 + x]; };
  EXPECT_EQ(at(0, 0, 0, 0), 1);
  EXPECT_EQ(at(0, 1, 0, 1), 1);
  EXPECT_EQ(at(1, 0, 0, 2), 1);
  EXPECT_EQ(at(2, 0, 0, 4), 1);
  EXPECT_EQ(at(2, 1, 0, 5), 1);
  EXPECT_EQ(at(2, 0, 0, 6), 1);
  float total = 0;
  for (const float v : f) total += v;
  EXPECT_EQ(total, 7);
}

TEST(Frames, SplitByTimeUsesEqualWindows) {
  // t in {0, 10, 20, 95, 100}, T = 2: window 50 us, frame 0 = [0, 50), frame 1 the rest.
  const std::vector<Event> ev = {
      {0, 0, 0, 1}, {10, 1, 0, 1}, {20, 2, 0, 1}, {95, 3, 0, 1}, {100, 3, 0, 1}};
  const std::vector<float> f = events_to_frames(ev, {2, SplitBy::kTime, 1, 4}, "mem");
  // layout [T=2][p=2][1][4]; polarity 1 of frame 0 is f[4..8), of frame 1 is f[12..16)
  EXPECT_EQ(std::vector<float>(f.begin() + 4, f.begin() + 8), (std::vector<float>{1, 1, 1, 0}));
  EXPECT_EQ(std::vector<float>(f.begin() + 12, f.end()), (std::vector<float>{0, 0, 0, 2}));
}

TEST(Gesture, CsvSlicesRecordingsIntoSamples) {
  const std::string csv = "class,startTime_usec,endTime_usec\r\n1,100,200\r\n11,200,350\r\n\r\n";
  const std::vector<GestureSegment> segs = parse_gesture_labels(csv, "u_labels.csv");
  ASSERT_EQ(segs.size(), 2u);
  EXPECT_EQ(segs[1].label, 10);
  std::vector<Event> ev;
  for (int t = 50; t < 400; t += 50) ev.push_back({t, 0, 0, 0});  // 50, 100, ..., 350
  const auto parts = slice_events(ev, segs);
  EXPECT_EQ(parts[0].size(), 2u);  // 100, 150
  EXPECT_EQ(parts[1].size(), 3u);  // 200, 250, 300 (350 is the exclusive end)
}

// A DvsGesture folder: two train trials with 2 and 3 gestures, one test trial with 1.
void write_gesture_folder(const std::string& root) {
  const std::string d = root + "/DvsGesture";
  write_text(d + "/trials_to_train.txt", "user01_fluorescent.aedat\nuser02_led.aedat\n\n");
  write_text(d + "/trials_to_test.txt", "user29_natural.aedat\n");
  auto recording = [&](const std::string& name, const std::vector<int>& classes) {
    std::vector<Event> ev;
    std::string csv = "class,startTime_usec,endTime_usec\n";
    for (size_t g = 0; g < classes.size(); ++g) {
      const int64_t start = 1000 * static_cast<int64_t>(g + 1);
      csv += std::to_string(classes[g]) + "," + std::to_string(start) + "," +
             std::to_string(start + 500) + "\n";
      for (int k = 0; k <= static_cast<int>(g); ++k) ev.push_back({start + k, 5 + k, 7, 1});
    }
    write_bytes(d + "/" + name + ".aedat", aedat3_bytes(ev, 2));
    write_text(d + "/" + name + "_labels.csv", csv);
  };
  recording("user01_fluorescent", {3, 7});
  recording("user02_led", {1, 2, 11});
  recording("user29_natural", {5});
}

TEST(Gesture, TrialListsGiveKnownSampleCountsAndFrames) {
  TempDir dir;
  write_gesture_folder(dir.path());
  GestureOptions opt;
  opt.frames = {2, SplitBy::kCount, 128, 128};
  const auto train = dvs128_gesture(dir.path(), true, opt);
  const auto test = dvs128_gesture(dir.path(), false, opt);
  ASSERT_EQ(train->size(), 5);
  ASSERT_EQ(test->size(), 1);
  EXPECT_EQ(train->label(0), 2);
  EXPECT_EQ(train->label(4), 10);
  EXPECT_EQ(test->label(0), 4);
  const Sample s = train->get(4);  // user02 gesture 3: 3 events at (5..7, 7), p = 1
  EXPECT_EQ(s.shape, (Shape{2, 2, 128, 128}));
  float total = 0;
  for (const float v : s.values) total += v;
  EXPECT_EQ(total, 3);
  // T = 2, 3 events: d = 1, frame 0 takes event 0 at x = 5, frame 1 events at x = 6, 7.
  EXPECT_EQ(s.values[(0 * 2 + 1) * 128 * 128 + 7 * 128 + 5], 1);
  EXPECT_EQ(s.values[(1 * 2 + 1) * 128 * 128 + 7 * 128 + 7], 1);
}

// A CIFAR10-DVS folder with `per_class` files a class; file i of class c holds c + i + 1 events.
void write_dvs_folder(const std::string& root, int per_class) {
  for (int c = 0; c < 10; ++c) {
    const std::string name = kCifar10Classes[c];
    for (int i = 0; i < per_class; ++i) {
      std::vector<RawEvent2> ev;
      for (int k = 0; k < c + i + 1; ++k)
        ev.push_back({static_cast<uint32_t>(k), 2, 0, uint32_t(k)});
      write_bytes(root + "/" + name + "/cifar10_" + name + "_" + std::to_string(i) + ".aedat",
                  aedat2_bytes(ev));
    }
  }
}

TEST(Cifar10Dvs, FramesAndCacheReuse) {
  TempDir dir;
  write_dvs_folder(dir.path(), 10);
  Cifar10DvsOptions opt;
  opt.per_class = 10;
  opt.frames = {4, SplitBy::kCount, 128, 128};
  const auto all = cifar10_dvs_frames(dir.path(), opt);
  EXPECT_TRUE(all->rebuilt());
  ASSERT_EQ(all->size(), 100);
  const Sample s = all->get(3 * 10 + 4);  // class 3, file 4: 8 events at raw x = k, y = 2, p = 0
  EXPECT_EQ(s.label, 3);
  float total = 0;
  for (const float v : s.values) total += v;
  EXPECT_EQ(total, 8);
  // Raw (x=0, y=2, p=0) -> (x' = 125, y' = 127, p' = 1), event 0 of 8 -> frame 0 (d = 2).
  EXPECT_EQ(s.values[(0 * 2 + 1) * 128 * 128 + 127 * 128 + 125], 1);
  const auto again = cifar10_dvs_frames(dir.path(), opt);
  EXPECT_FALSE(again->rebuilt());
  EXPECT_EQ(again->get(34).values, s.values);
}

TEST(Cifar10Dvs, CacheWithoutValidManifestIsRebuilt) {
  TempDir dir;
  write_dvs_folder(dir.path(), 10);
  Cifar10DvsOptions opt;
  opt.per_class = 10;
  opt.frames = {2, SplitBy::kCount, 128, 128};
  opt.cache_dir = dir / "cache";
  cifar10_dvs_frames(dir.path(), opt);
  write_text(dir / "cache/manifest.txt", "staa-frame-cache 1\nkey x\n");  // cut short
  EXPECT_TRUE(cifar10_dvs_frames(dir.path(), opt)->rebuilt());
  std::filesystem::remove(dir / "cache/s17.bin");  // a listed file is missing
  EXPECT_TRUE(cifar10_dvs_frames(dir.path(), opt)->rebuilt());
  opt.frames.frames = 3;  // other options
  EXPECT_TRUE(cifar10_dvs_frames(dir.path(), opt)->rebuilt());
  EXPECT_FALSE(cifar10_dvs_frames(dir.path(), opt)->rebuilt());
}

TEST(Cifar10Dvs, SplitPolicies) {
  const auto first_train = cifar10_dvs_split(1000, DvsSplit::kFirst90, 0, true);
  const auto first_test = cifar10_dvs_split(1000, DvsSplit::kFirst90, 0, false);
  EXPECT_EQ(first_train.size(), 9000u);
  EXPECT_EQ(first_test.size(), 1000u);
  EXPECT_EQ(first_test.front(), 900);  // class 0 files 900..999
  EXPECT_EQ(first_train[900], 1000);   // class 1 file 0
  const auto tebn_test = cifar10_dvs_split(1000, DvsSplit::kTebn, 0, false);
  ASSERT_EQ(tebn_test.size(), 1000u);
  EXPECT_EQ(tebn_test[0], 0);
  EXPECT_EQ(tebn_test[99], 99);
  EXPECT_EQ(tebn_test[100], 1000);
  const auto r1 = cifar10_dvs_split(1000, DvsSplit::kRandom90, 7, false);
  const auto r2 = cifar10_dvs_split(1000, DvsSplit::kRandom90, 7, false);
  const auto r3 = cifar10_dvs_split(1000, DvsSplit::kRandom90, 8, false);
  const auto rt = cifar10_dvs_split(1000, DvsSplit::kRandom90, 7, true);
  EXPECT_EQ(r1, r2);
  EXPECT_NE(r1, r3);
  std::set<int64_t> all(r1.begin(), r1.end());
  all.insert(rt.begin(), rt.end());
  EXPECT_EQ(all.size(), 10000u);  // a partition
  for (int c = 0; c < 10; ++c) {
    EXPECT_EQ(std::count_if(r1.begin(), r1.end(), [&](int64_t i) { return i / 1000 == c; }), 100);
  }
}

TEST(Cifar10Dvs, SubsetOfTheSplit) {
  TempDir dir;
  write_dvs_folder(dir.path(), 10);
  Cifar10DvsOptions opt;
  opt.per_class = 10;
  opt.frames = {2, SplitBy::kCount, 128, 128};
  opt.split = DvsSplit::kTebn;
  const auto train = cifar10_dvs(dir.path(), true, opt);
  const auto test = cifar10_dvs(dir.path(), false, opt);
  EXPECT_EQ(train->size(), 90);
  EXPECT_EQ(test->size(), 10);
  EXPECT_EQ(test->label(3), 3);
  EXPECT_EQ(class_counts(*train), std::vector<int64_t>(10, 9));
}

}  // namespace
}  // namespace staa::test
