// Bad input, one test per case: each raises staa::Error naming the file, what was expected and
// what was found, and for the downloadable sets how to get them. Layer: tests.
#include <gtest/gtest.h>

#include <filesystem>

#include "data/aedat.h"
#include "data/cifar.h"
#include "data/cifar10_dvs.h"
#include "data/frame_cache.h"
#include "data/gesture.h"
#include "data/idx.h"
#include "data/image_folder.h"
#include "expect_error.h"
#include "fixtures.h"
#include "fuzz/regressions.h"

namespace staa::test {
namespace {

using namespace staa::data;

TEST(DataErrors, MissingDirectoryNamesItAndHowToDownload) {
  TempDir dir;
  const std::string root = dir / "nowhere";
  expect_error([&] { CifarDataset(root, CifarKind::kCifar10, true); },
               {"nowhere", "expected the CIFAR-10 folder", "no such directory",
                "staa::data::download(\"cifar10\"", "cifar-10-binary.tar.gz"});
}

TEST(DataErrors, MissingFileNamesItAndHowToDownload) {
  TempDir dir;
  write_cifar_folder(dir.path(), 2, false);
  std::filesystem::remove(dir / "data_batch_3.bin");
  expect_error([&] { CifarDataset(dir.path(), CifarKind::kCifar10, true, {2}); },
               {"data_batch_3.bin", "expected a file, found nothing", "download(\"cifar10\""});
}

TEST(DataErrors, MissingFashionMnistFileSaysDebianPackage) {
  TempDir dir;
  expect_error([&] { mnist_like(dir.path(), true, "fashion-mnist"); },
               {"train-images-idx3-ubyte.gz or", "no such file", "dataset-fashion-mnist"});
}

TEST(DataErrors, WrongFileSize) {
  TempDir dir;
  write_cifar_folder(dir.path(), 3, false);
  expect_error([&] { CifarDataset(dir.path(), CifarKind::kCifar10, true); },
               {"data_batch_1.bin", "expected 30730000 bytes (10000 CIFAR-10 records of 3073",
                "found 9219 bytes"});
}

TEST(DataErrors, PartialRecord) {
  const Bytes b(3073 * 2 + 5, 0);
  expect_error([&] { parse_cifar(b.data(), b.size(), CifarKind::kCifar10, "x.bin"); },
               {"x.bin", "whole number of CIFAR-10 records of 3073 bytes", "found 6151 bytes"});
}

TEST(DataErrors, CifarLabelOutOfRange) {
  Bytes b = cifar_bytes(3, false);
  b[2 * 3073] = 10;
  expect_error([&] { parse_cifar(b.data(), b.size(), CifarKind::kCifar10, "x.bin"); },
               {"x.bin", "expected labels in [0, 10)", "record 2 has 10"});
}

TEST(DataErrors, Cifar100CoarseLabelOutOfRange) {
  Bytes b = cifar_bytes(2, true);
  b[3074] = 20;
  expect_error([&] { parse_cifar(b.data(), b.size(), CifarKind::kCifar100, "t.bin"); },
               {"t.bin", "coarse labels in [0, 20)", "record 1 has 20"});
}

TEST(DataErrors, IdxLabelOutOfRange) {
  TempDir dir;
  write_bytes(dir / "i", idx_bytes({2, 1, 1}, {0, 0}));
  write_bytes(dir / "l", idx_bytes({2}, {3, 12}));
  expect_error([&] { IdxDataset(dir / "i", dir / "l", 10); },
               {"/l", "expected labels in [0, 10)", "label 1 is 12"});
}

TEST(DataErrors, IdxCorruptHeader) {
  const Bytes b = idx_bytes({2}, {1, 2});  // a labels file where images are expected
  expect_error(
      [&] { parse_idx(b.data(), b.size(), "imgs", 3); },
      {"imgs", "expected the IDX magic number 0x00000803", "found 0x00000801", "a labels file"});
}

TEST(DataErrors, IdxTruncatedBody) {
  const Bytes b = idx_bytes({4, 2, 2}, Bytes(10, 0));
  expect_error([&] { parse_idx(b.data(), b.size(), "imgs", 3); },
               {"imgs", "truncated", "4x2x2 = 16 bytes", "holds only 10"});
}

TEST(DataErrors, IdxOverlongBody) {
  const Bytes b = idx_bytes({2}, Bytes(5, 0));
  expect_error([&] { parse_idx(b.data(), b.size(), "labels", 1); },
               {"labels", "expected the file to end after 2", "found 3 more bytes"});
}

TEST(DataErrors, TruncatedGzip) {
  TempDir dir;
  Bytes gz = gzip_bytes(idx_bytes({100}, Bytes(100, 1)));
  gz.resize(gz.size() / 2);
  write_bytes(dir / "l.gz", gz);
  expect_error([&] { read_idx(dir / "l.gz", 1); }, {"l.gz", "truncated .gz file"});
}

TEST(DataErrors, Aedat2TruncatedEventStream) {
  Bytes b = aedat2_bytes({{1, 2, 0, 10}, {3, 4, 1, 20}});
  b.resize(b.size() - 3);
  expect_error([&] { parse_aedat2(b.data(), b.size(), "c.aedat"); },
               {"c.aedat", "truncated event stream", "found 13 bytes (1 records and 5 stray"});
}

TEST(DataErrors, Aedat3CorruptHeader) {
  const std::string text = "#!AER-DAT3.1\r\n#Format: RAW\r\n";  // no #!END-HEADER line
  expect_error(
      [&] { parse_aedat3(reinterpret_cast<const uint8_t*>(text.data()), text.size(), "g.aedat"); },
      {"g.aedat", "corrupt header", "#!END-HEADER"});
  const std::string other = "#!AER-DAT2.0\r\n";
  expect_error(
      [&] {
        parse_aedat3(reinterpret_cast<const uint8_t*>(other.data()), other.size(), "h.aedat");
      },
      {"h.aedat", "expected an AEDAT 3.x file", "found other bytes"});
}

TEST(DataErrors, Aedat3TruncatedPacket) {
  Bytes b = aedat3_bytes({{1, 2, 3, 1}, {2, 2, 3, 0}, {3, 2, 3, 1}}, 3);
  b.resize(b.size() - 4);
  expect_error([&] { parse_aedat3(b.data(), b.size(), "g.aedat"); },
               {"g.aedat", "truncated event stream: packet 1", "promises 3 events of 8 bytes",
                "20 bytes remain"});
}

TEST(DataErrors, Aedat3OverlongPacket) {
  Bytes b = aedat3_bytes({{1, 2, 3, 1}}, 1);
  b[b.size() - 8 - 8] = 5;  // eventNumber (@20 of the last header) = 5 > eventCapacity = 1
  expect_error([&] { parse_aedat3(b.data(), b.size(), "g.aedat"); },
               {"g.aedat", "overlong packet 1", "eventCapacity = 1", "eventNumber says 5"});
}

TEST(DataErrors, EventOutsideTheSensor) {
  const std::vector<Event> ev = {{0, 3, 4, 1}, {1, 130, 4, 0}};
  expect_error(
      [&] {
        events_to_frames(ev, {2, SplitBy::kCount, 128, 128}, "u.aedat");
      },
      {"u.aedat", "inside the 128x128 sensor", "event 1 is (x=130, y=4, p=0)"});
}

TEST(DataErrors, GestureCsvBadRowAndClass) {
  expect_error([&] { parse_gesture_labels("class,startTime_usec,endTime_usec\n1,5\n", "a.csv"); },
               {"a.csv", "line 2", "expected three integers", "found '1,5'"});
  expect_error([&] { parse_gesture_labels("class,s,e\n1,5,9\n12,10,20\n", "b.csv"); },
               {"b.csv", "line 3", "class in [1, 11], found 12"});
  expect_error([&] { parse_gesture_labels("1,5,9\n", "c.csv"); },
               {"c.csv", "expected the header 'class,startTime_usec,endTime_usec'"});
}

TEST(DataErrors, GestureMissingFolderSaysManualDownload) {
  TempDir dir;
  expect_error([&] { dvs128_gesture(dir / "g", true); },
               {"expected the DVS128 Gesture folder", "manual download", "DvsGesture.tar.gz",
                "ibm.ent.box.com", "trials_to_train.txt"});
}

TEST(DataErrors, Cifar10DvsMissingSample) {
  TempDir dir;
  for (const char* c : kCifar10Classes) {
    std::filesystem::create_directories(dir / c);
  }
  write_bytes(dir / "airplane/cifar10_airplane_0.aedat", aedat2_bytes({}));
  Cifar10DvsOptions opt;
  opt.per_class = 10;
  expect_error([&] { cifar10_dvs_frames(dir.path(), opt); },
               {"cifar10_airplane_1.aedat", "expected CIFAR10-DVS sample 1 of class 'airplane'",
                "no such file", "download(\"cifar10-dvs\"", "figshare"});
}

TEST(DataErrors, UndecodableImage) {
  TempDir dir;
  Bytes png = png_bytes(8, 8);
  png.resize(png.size() / 2);
  write_bytes(dir / "c/broken.png", png);
  ImageFolder folder(dir.path());
  expect_error([&] { folder.get(0); },
               {"broken.png", "expected a JPEG or PNG image", "stb_image cannot decode it"});
  write_text(dir / "d/fake.jpg", "this is text");
  expect_error([&] { read_image(dir / "d/fake.jpg"); }, {"fake.jpg", "cannot decode"});
}

// Fuzzer finding: decodes or raises staa::Error, nothing else (see fuzz/regressions.h).
TEST(FuzzRegressions, PngWithEmptyIdatChunk) {
  try {
    const Sample s = decode_image(kPngEmptyIdat.data(), kPngEmptyIdat.size(), "empty_idat.png");
    EXPECT_EQ(s.shape, (Shape{3, 4, 6}));
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("empty_idat.png"), std::string::npos) << e.what();
  }
}

// Fuzzer finding: a chunk longer than the file is an error before stb_image allocates for it.
TEST(FuzzRegressions, PngChunkLongerThanTheFile) {
  expect_error([] { decode_image(kPngHugeIdat.data(), kPngHugeIdat.size(), "huge_idat.png"); },
               {"huge_idat.png", "truncated PNG: the chunk at byte", "bytes follow its header"});
}

// Fuzzer finding: a Huffman table of more than 256 codes is an error, not a write out of bounds.
TEST(FuzzRegressions, JpegHuffmanTableOverflow) {
  expect_error(
      [] { decode_image(kJpegHuffmanOverflow.data(), kJpegHuffmanOverflow.size(), "huff.jpg"); },
      {"huff.jpg", "corrupt JPEG: the Huffman table at byte 9", "declares", "at most 256"});
  expect_error(
      [] { decode_image(kJpegHuffmanAfterFill.data(), kJpegHuffmanAfterFill.size(), "fill.jpg"); },
      {"fill.jpg", "corrupt JPEG", "at most 256"});
}

TEST(DataErrors, EmptyImageClassFolder) {
  TempDir dir;
  write_bytes(dir / "a/x.png", png_bytes(2, 2));
  std::filesystem::create_directories(dir / "b");
  expect_error([&] { ImageFolder f(dir.path()); }, {"/b", "images of class 'b', found none"});
}

TEST(DataErrors, FrameCacheSampleFileCorrupt) {
  TempDir dir;
  EventSource src;
  src.key = "k";
  src.num_classes = 2;
  src.frames = {2, SplitBy::kCount, 4, 4};
  src.group_sizes = {1, 1};
  src.read_group = [](int64_t g) {
    return std::vector<EventSource::Item>{{g, {{0, 1, 1, 1}, {5, 2, 2, 0}}, "mem"}};
  };
  FrameCache cache(dir / "c", src, 1);
  const std::string file = dir / "c/s1.bin";
  Bytes b = read_file(file);
  b.push_back(0);
  write_bytes(file, b);
  expect_error([&] { cache.get(1); }, {"s1.bin", "overlong", "as the manifest says", "delete"});
  b.pop_back();
  b[b.size() / 2] ^= 0xFF;
  write_bytes(file, b);
  expect_error([&] { cache.get(1); }, {"s1.bin", "expected CRC-32"});
}

TEST(DataErrors, ManifestErrorsNameTheLine) {
  expect_error([&] { parse_manifest("staa-frame-cache 1\nkey k\nshape 2 3 4 4\n", "m.txt"); },
               {"m.txt", "line 3", "2 polarity channels"});
  expect_error(
      [&] {
        parse_manifest(
            "staa-frame-cache 1\nkey k\nshape 2 2 4 4\nclasses 2\nsamples 1\n"
            "0 ../etc 10 0000000a\nend\n",
            "m.txt");
      },
      {"m.txt", "line 6", "<crc32 as 8 hex digits>"});
  // Regression (fuzz_manifest): a key ending in several '\r' lost one per write and read.
  expect_error(
      [&] {
        parse_manifest("staa-frame-cache 1\nkey c\r\r\nshape 2 2 4 4\nclasses 2\nsamples 0\nend\n",
                       "m.txt");
      },
      {"m.txt", "line 2", "control character (code 13)"});
}

}  // namespace
}  // namespace staa::test
