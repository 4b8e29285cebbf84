// Downloads without internet: MD5 against RFC 1321's test suite, the built-in table's shape, and
// fetch + verify + extract through curl on file:// URLs of archives the test makes (tar.gz with
// tar, zip with zip when installed), and a checksum mismatch. Layer: tests.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "data/cifar.h"
#include "data/download.h"
#include "data/idx.h"
#include "data/md5.h"
#include "expect_error.h"
#include "fixtures.h"

namespace staa::test {
namespace {

using namespace staa::data;
namespace fs = std::filesystem;

std::string md5_of(const std::string& s) {
  return md5_hex(s.data(), s.size());
}

TEST(Md5, Rfc1321TestSuite) {
  EXPECT_EQ(md5_of(""), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(md5_of("a"), "0cc175b9c0f1b6a831c399e269772661");
  EXPECT_EQ(md5_of("abc"), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(md5_of("message digest"), "f96b697d7cb7938d525a2f31aaf161d0");
  EXPECT_EQ(md5_of("abcdefghijklmnopqrstuvwxyz"), "c3fcd3d76192e4007dfb496cca67e13b");
  EXPECT_EQ(md5_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"),
            "d174ab98d277d9f5a5611c2c9f419d9f");
  EXPECT_EQ(md5_of("1234567890123456789012345678901234567890123456789012345678901234567890123456"
                   "7890"),
            "57edf4a22be3c955ac49da2e2107b67a");
}

TEST(Download, TableHasRealUrlsAndChecksums) {
  for (const char* name : {"cifar10", "cifar100", "fashion-mnist", "cifar10-dvs"}) {
    const DownloadSpec& spec = download_spec(name);
    EXPECT_FALSE(spec.resources.empty()) << name;
    for (const Resource& r : spec.resources) {
      EXPECT_EQ(r.url.rfind("https://", 0), 0u) << r.url;
      EXPECT_EQ(r.md5.size(), 32u) << r.file;
      EXPECT_EQ(r.md5.find_first_not_of("0123456789abcdef"), std::string::npos) << r.file;
    }
  }
  EXPECT_EQ(download_spec("cifar10").resources[0].md5, "c32a1d4ab5d03f1284b67883e8d87530");
  EXPECT_EQ(download_spec("cifar10-dvs").resources.size(), 10u);
  expect_error([] { download_spec("dvs128-gesture"); },
               {"expected one of cifar10, cifar100", "manual download", "DvsGesture.tar.gz"});
}

int shell(const std::string& command) {
  return std::system(command.c_str());
}

TEST(Download, FetchVerifyExtractTarGzThenLoad) {
  TempDir dir;
  write_cifar_folder(dir / "src/cifar-10-batches-bin", 3, false);
  ASSERT_EQ(shell("tar -czf " + (dir / "cifar.tar.gz") + " -C " + (dir / "src") +
                  " cifar-10-batches-bin"),
            0);
  DownloadSpec spec = download_spec("cifar10");
  spec.resources[0].url = "file://" + (dir / "cifar.tar.gz");
  spec.resources[0].md5 = md5_file(dir / "cifar.tar.gz");
  DownloadOptions quiet;
  quiet.progress = false;
  download(spec, dir / "root", quiet);
  EXPECT_TRUE(fs::exists(dir / "root/cifar-10-binary.tar.gz"));
  CifarDataset ds(dir / "root", CifarKind::kCifar10, true, {3});
  EXPECT_EQ(ds.size(), 15);
  download(spec, dir / "root", quiet);  // present with the right checksum: no fetch, re-extract
  EXPECT_EQ(CifarDataset(dir / "root", CifarKind::kCifar10, false, {3}).size(), 3);
}

TEST(Download, PlainGzipFilesAreKeptAsTheyAre) {
  TempDir dir;
  write_bytes(dir / "srv/i.gz", gzip_bytes(idx_bytes({2, 1, 1}, {7, 9})));
  write_bytes(dir / "srv/l.gz", gzip_bytes(idx_bytes({2}, {1, 2})));
  DownloadSpec spec{"fashion-mnist", "test", "", {}};
  for (const auto& [name, src] : {std::pair{"train-images-idx3-ubyte.gz", "i.gz"},
                                  std::pair{"train-labels-idx1-ubyte.gz", "l.gz"}}) {
    spec.resources.push_back(
        {name, "file://" + (dir / "srv/") + src, md5_file(dir / "srv/" + src)});
  }
  DownloadOptions quiet;
  quiet.progress = false;
  download(spec, dir / "fm", quiet);
  EXPECT_EQ(mnist_like(dir / "fm", true, "fashion-mnist").size(), 2);
}

TEST(Download, ZipArchivesAreExtracted) {
  if (shell("command -v zip > /dev/null") != 0) GTEST_SKIP() << "the zip program is not installed";
  TempDir dir;
  write_text(dir / "src/airplane/cifar10_airplane_0.aedat", "#!AER-DAT2.0\r\n");
  ASSERT_EQ(shell("cd " + (dir / "src") + " && zip -qr ../airplane.zip airplane"), 0);
  DownloadSpec spec{"cifar10-dvs", "test", "", {}};
  spec.resources.push_back({"airplane.zip", "file://" + (dir / "airplane.zip"),
                            md5_file(dir / "airplane.zip"), Extract::kZip});
  DownloadOptions quiet;
  quiet.progress = false;
  download(spec, dir / "dvs", quiet);
  EXPECT_TRUE(fs::exists(dir / "dvs/airplane/cifar10_airplane_0.aedat"));
}

TEST(Download, ChecksumMismatchDeletesAndReports) {
  TempDir dir;
  write_text(dir / "file.tar.gz", "not the real archive");
  DownloadSpec spec{"x",
                    "x",
                    "",
                    {{"file.tar.gz", "file://" + (dir / "file.tar.gz"),
                      "00000000000000000000000000000000", Extract::kTarGz}}};
  DownloadOptions quiet;
  quiet.progress = false;
  const std::string found = "found " + md5_file(dir / "file.tar.gz");
  expect_error([&] { download(spec, dir / "out", quiet); },
               {"file.tar.gz", "expected MD5 00000000000000000000000000000000", found.c_str()});
  EXPECT_FALSE(fs::exists(dir / "out/file.tar.gz"));
  EXPECT_FALSE(fs::exists(dir / "out/file.tar.gz.part"));
}

TEST(Download, UnreachableUrlNamesCurlsStatus) {
  TempDir dir;
  DownloadSpec spec{
      "x", "x", "", {{"a.gz", "file://" + (dir / "missing.gz"), std::string(32, '0')}}};
  DownloadOptions quiet;
  quiet.progress = false;
  expect_error([&] { download(spec, dir / "out", quiet); },
               {"missing.gz", "expected curl to fetch it", "exited with status 37"});
}

}  // namespace
}  // namespace staa::test
