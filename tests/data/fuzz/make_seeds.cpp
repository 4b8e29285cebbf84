// Writes the seed corpus of every fuzz target (valid files of each format, from the test
// fixtures) into OUT/seeds/<target>/. Layer: tests. Usage: make_fuzz_seeds OUT_DIR
#include <cstdio>
#include <string>

#include "data/frame_cache.h"
#include "fixtures.h"
#include "fuzz/regressions.h"

using staa::data::Bytes;
using namespace staa::test;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_fuzz_seeds OUT_DIR\n");
    return 2;
  }
  const std::string out = std::string(argv[1]) + "/seeds/";
  Bytes cifar10 = {0}, cifar100 = {1};
  const Bytes c10 = cifar_bytes(2, false), c100 = cifar_bytes(1, true);
  cifar10.insert(cifar10.end(), c10.begin(), c10.end());
  cifar100.insert(cifar100.end(), c100.begin(), c100.end());
  write_bytes(out + "fuzz_cifar/ten", cifar10);
  write_bytes(out + "fuzz_cifar/hundred", cifar100);
  const Bytes images = idx_bytes({2, 3, 3}, Bytes(18, 7)), labels = idx_bytes({3}, {1, 2, 3});
  write_bytes(out + "fuzz_idx/images", images);
  write_bytes(out + "fuzz_idx/labels", labels);
  write_bytes(out + "fuzz_idx/images.gz", gzip_bytes(images));
  write_bytes(out + "fuzz_aedat2/small",
              aedat2_bytes({{1, 2, 0, 10}, {5, 9, 1, 30}, {127, 127, 1, 99}}));
  write_bytes(out + "fuzz_aedat3/small",
              aedat3_bytes({{1, 3, 4, 0}, {2, 5, 6, 1}, {3, 127, 0, 1}, {9, 0, 127, 0}}, 2, 1));
  write_text(out + "fuzz_gesture_csv/labels",
             "class,startTime_usec,endTime_usec\r\n1,100,200\r\n11,300,5000\r\n");
  write_text(out + "fuzz_gesture_csv/trials", "user01_fluorescent.aedat\nuser02_led.aedat\n");
  staa::data::FrameManifest m{"cifar10-dvs /data T=16 split=count",
                              16,
                              128,
                              128,
                              10,
                              {{3, "s0.bin", 1234, 0xdeadbeef}, {9, "s1.bin", 99, 0x0000000a}}};
  write_text(out + "fuzz_manifest/manifest.txt", staa::data::format_manifest(m));
  write_bytes(out + "fuzz_image/small.png", png_bytes(6, 4));
  write_bytes(out + "fuzz_image/empty_idat.png", kPngEmptyIdat);
  write_bytes(out + "fuzz_image/huge_idat.png", kPngHugeIdat);
  write_bytes(out + "fuzz_image/huffman.jpg", kJpegHuffmanOverflow);
  write_bytes(out + "fuzz_image/huffman_fill.jpg", kJpegHuffmanAfterFill);
  return 0;
}
