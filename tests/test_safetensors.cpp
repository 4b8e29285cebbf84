// Safe tensor files: CRC32C, bit-exact round trips, a hand-written fixture from another writer,
// every single-bit flip and every truncation rejected, malformed headers rejected with messages
// that name the file and tensor, and atomic saves. Layer: tests. Files live in a fresh temporary
// directory per test; the fixture is tests/data/safetensors/fixture.safetensors.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <random>

#include "tensor/creation.h"
#include "tensor/safetensors.h"

namespace staa {
namespace {

namespace fs = std::filesystem;
using Named = std::vector<std::pair<std::string, Tensor>>;

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// The staa::Error message `f` throws; a test failure when it returns normally.
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a staa::Error, the call succeeded";
  return "";
}

// A tensor whose elements have exactly these bit patterns (NaN payloads included).
template <typename T, typename Bits>
Tensor from_bits(const std::vector<Bits>& bits, const Shape& shape) {
  static_assert(sizeof(T) == sizeof(Bits));
  Tensor t = Tensor::empty(shape, dtype_of<T>::value);
  EXPECT_EQ(static_cast<size_t>(t.numel()), bits.size());
  if (!bits.empty()) std::memcpy(t.raw_data(), bits.data(), t.nbytes());
  return t;
}

bool same_bits(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() &&
         (a.nbytes() == 0 || std::memcmp(a.raw_data(), b.raw_data(), a.nbytes()) == 0);
}

Named sample_tensors() {
  const float inf = std::numeric_limits<float>::infinity();
  Tensor f32 = from_vector(std::vector<float>{1.5f, -0.0f, inf, -inf, 1e-45f, 3.0f}, {2, 3});
  Tensor f32_nan =
      from_bits<float>(std::vector<uint32_t>{0x7fc12345u, 0xffbfffffu, 0x7f800001u}, {3});
  Tensor f64 =
      from_bits<double>(std::vector<uint64_t>{0x7ff8000000abcdefull, 0xfff0000000000000ull,
                                              0x3ff0000000000001ull, 0x0000000000000001ull},
                        {2, 1, 2});
  Tensor i64 = from_vector(std::vector<int64_t>{std::numeric_limits<int64_t>::min(), -1, 0,
                                                std::numeric_limits<int64_t>::max()},
                           {4});
  return {{"layer.weight", f32},
          {"nan_payloads", f32_nan},
          {"f64", f64},
          {"labels", i64},
          {"scalar", scalar_tensor(-7.25)},
          {"step", from_vector(std::vector<int64_t>{123456789}, Shape{})},
          {"empty", Tensor::empty({0}, kF64)},
          {"empty_3d", Tensor::empty({3, 0, 2}, kI64)}};
}

const std::map<std::string, std::string> kSampleMetadata = {
    {"optimizer", "sgd"},
    {"quote\"and\\slash", "line\nbreak\ttab\x01"},
    {"unicode", "caf\xc3\xa9"}};

class SafetensorsFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "staa_safetensors_XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr) << pattern;
    dir_ = pattern;
  }
  void TearDown() override {
    ::chmod(dir_.c_str(), 0700);
    fs::remove_all(dir_);
  }
  std::string path(const std::string& name) const { return dir_ + "/" + name; }
  std::string dir_;
};

TEST(Crc32c, StandardCheckValueAndChaining) {
  const std::string digits = "123456789";
  EXPECT_EQ(crc32c(digits.data(), digits.size()), 0xE3069283u);
  EXPECT_EQ(detail::crc32c_reference(digits.data(), digits.size()), 0xE3069283u);
  EXPECT_EQ(crc32c(nullptr, 0), 0u);
  EXPECT_EQ(crc32c(digits.data() + 4, 5, crc32c(digits.data(), 4)), 0xE3069283u);
}

TEST(Crc32c, FastPathMatchesReference) {
  std::mt19937_64 rng(7);
  std::vector<unsigned char> buf(1100);
  for (auto& b : buf) b = static_cast<unsigned char>(rng());
  for (size_t start = 0; start < 8; ++start)
    for (size_t n = 0; n + start <= buf.size(); n += 1 + n / 8)
      ASSERT_EQ(crc32c(buf.data() + start, n, 0x1234u),
                detail::crc32c_reference(buf.data() + start, n, 0x1234u))
          << "start " << start << " size " << n;
}

TEST_F(SafetensorsFiles, RoundTripIsBitExact) {
  const Named tensors = sample_tensors();
  save_safetensors(path("a.safetensors"), tensors, kSampleMetadata);
  const SafetensorsFile loaded = load_safetensors(path("a.safetensors"));
  ASSERT_EQ(loaded.tensors.size(), tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    EXPECT_EQ(loaded.tensors[i].first, tensors[i].first);
    EXPECT_TRUE(same_bits(loaded.tensors[i].second, tensors[i].second)) << tensors[i].first;
    EXPECT_TRUE(loaded.tensors[i].second.device().is_cpu());
  }
  EXPECT_EQ(loaded.metadata, kSampleMetadata);  // staa's own keys are removed
  // Deterministic: the same input gives the same bytes.
  save_safetensors(path("b.safetensors"), tensors, kSampleMetadata);
  EXPECT_EQ(read_bytes(path("a.safetensors")), read_bytes(path("b.safetensors")));
  save_safetensors(path("none.safetensors"), {});
  EXPECT_TRUE(load_safetensors(path("none.safetensors")).tensors.empty());
}

TEST_F(SafetensorsFiles, LayoutIsSafetensorsWithStaaMetadata) {
  const Tensor w = from_vector(std::vector<float>{1, 2, 3}, {3});
  save_safetensors(path("w.safetensors"), {{"w", w}}, {{"k", "v"}});
  const std::string bytes = read_bytes(path("w.safetensors"));
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[i]);
  ASSERT_EQ(bytes.size(), 8 + n + 12);
  const std::string header = bytes.substr(8, n);
  char crc[9];
  std::snprintf(crc, sizeof crc, "%08x", crc32c(w.raw_data(), 12));
  const std::string expected_prefix =
      std::string("{\"__metadata__\":{\"crc32c.w\":\"") + crc +
      "\",\"k\":\"v\",\"staa_format\":\"1\",\"staa_header_crc32c\":\"";
  EXPECT_EQ(header.substr(0, expected_prefix.size()), expected_prefix);
  EXPECT_EQ(header.substr(expected_prefix.size() + 8),
            "\"},\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]}}");
  EXPECT_EQ(std::memcmp(bytes.data() + 8 + n, w.raw_data(), 12), 0);
}

TEST(Safetensors, LoadsHandWrittenFixture) {
  const std::string fixture =
      (fs::path(__FILE__).parent_path() / "data/safetensors/fixture.safetensors").string();
  const SafetensorsFile f = load_safetensors(fixture);
  ASSERT_EQ(f.tensors.size(), 5u);
  const std::vector<std::string> names = {"weight", "bias", "step", "labels", "empty"};
  for (size_t i = 0; i < names.size(); ++i) EXPECT_EQ(f.tensors[i].first, names[i]);
  EXPECT_EQ(f.tensors[0].second.shape(), (Shape{2, 2}));
  EXPECT_EQ(f.tensors[0].second.dtype(), kF32);
  EXPECT_EQ(f.tensors[0].second.to_vector(), (std::vector<double>{1.0, -2.5, 0.0, 3.25}));
  EXPECT_EQ(f.tensors[1].second.dtype(), kF64);
  EXPECT_EQ(f.tensors[1].second.to_vector(), (std::vector<double>{0.5, -1e300}));
  EXPECT_EQ(f.tensors[2].second.shape(), Shape{});
  EXPECT_EQ(*f.tensors[2].second.data<int64_t>(), 42);
  EXPECT_EQ(f.tensors[3].second.to_vector(), (std::vector<double>{-1, 0, 7}));
  EXPECT_EQ(f.tensors[4].second.shape(), (Shape{0}));
  EXPECT_EQ(f.metadata,
            (std::map<std::string, std::string>{{"format", "pt"}, {"note", "caf\xc3\xa9"}}));
}

// A file from a literal header, the way another writer may format it.
std::string make_file(const std::string& header, const std::string& data) {
  std::string bytes(8, '\0');
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>(header.size() >> (8 * i));
  return bytes + header + data;
}

TEST(Safetensors, LoadsForeignHeaderInOffsetOrder) {
  const std::string header =
      "{ \"b\" : {\"data_offsets\": [8, 16], \"shape\": [1], \"dtype\": \"I64\"},\n\t\"a\": "
      "{\"dtype\": \"F64\", \"shape\": [], \"data_offsets\": [0, 8]}, \"\\u00e9\\ud83d\\ude00\": "
      "{\"dtype\": \"F32\", \"shape\": [0, 5], \"data_offsets\": [16, 16]}}   ";
  std::string data(16, '\0');
  const double a = -0.125;
  const int64_t b = -9;
  std::memcpy(data.data(), &a, 8);
  std::memcpy(data.data() + 8, &b, 8);
  const SafetensorsFile f = parse_safetensors(make_file(header, data), "mem");
  ASSERT_EQ(f.tensors.size(), 3u);
  EXPECT_EQ(f.tensors[0].first, "a");
  EXPECT_EQ(f.tensors[0].second.item(), -0.125);
  EXPECT_EQ(f.tensors[1].first, "b");
  EXPECT_EQ(f.tensors[1].second.item(), -9);
  EXPECT_EQ(f.tensors[2].first, "\xc3\xa9\xf0\x9f\x98\x80");
  EXPECT_TRUE(f.metadata.empty());
}

TEST_F(SafetensorsFiles, EveryRandomBitFlipFailsClearly) {
  save_safetensors(path("good.safetensors"), sample_tensors(), kSampleMetadata);
  const std::string good = read_bytes(path("good.safetensors"));
  const std::string bad = path("flipped.safetensors");
  std::mt19937_64 rng(2024);
  for (int trial = 0; trial < 200; ++trial) {
    const size_t bit = rng() % (good.size() * 8);
    std::string bytes = good;
    bytes[bit / 8] = static_cast<char>(bytes[bit / 8] ^ (1 << (bit % 8)));
    write_bytes(bad, bytes);
    const std::string msg = error_of([&] { load_safetensors(bad); });
    EXPECT_NE(msg.find(bad), std::string::npos) << "bit " << bit << ": " << msg;
  }
}

TEST_F(SafetensorsFiles, EveryBitFlipOfASmallFileFails) {
  // Exhaustive, in memory: every bit of the length, the header and the data.
  save_safetensors(path("s.safetensors"),
                   {{"w", from_vector(std::vector<float>{1, 2}, {2})},
                    {"e", empty({0})},
                    {"n", scalar_tensor(3, {kI64})}},
                   {{"epoch", "3"}});
  const std::string good = read_bytes(path("s.safetensors"));
  for (size_t bit = 0; bit < good.size() * 8; ++bit) {
    std::string bytes = good;
    bytes[bit / 8] = static_cast<char>(bytes[bit / 8] ^ (1 << (bit % 8)));
    const std::string msg = error_of([&] { parse_safetensors(bytes, "mem.safetensors"); });
    ASSERT_NE(msg.find("mem.safetensors"), std::string::npos) << "bit " << bit << ": " << msg;
  }
}

TEST_F(SafetensorsFiles, EveryTruncationFailsClearly) {
  save_safetensors(path("good.safetensors"), sample_tensors(), kSampleMetadata);
  const std::string good = read_bytes(path("good.safetensors"));
  const std::string bad = path("cut.safetensors");
  std::mt19937_64 rng(99);
  for (int trial = 0; trial < 200; ++trial) {
    const size_t cut = 1 + rng() % good.size();
    write_bytes(bad, good.substr(0, good.size() - cut));
    const std::string msg = error_of([&] { load_safetensors(bad); });
    EXPECT_NE(msg.find(bad), std::string::npos) << "cut " << cut << ": " << msg;
  }
  for (size_t keep = 0; keep < good.size(); ++keep)
    ASSERT_FALSE(error_of([&] { parse_safetensors(good.substr(0, keep), "m"); }).empty()) << keep;
}

TEST_F(SafetensorsFiles, DamagedDataNamesTheTensor) {
  save_safetensors(path("d.safetensors"), {{"first", ones({2})}, {"second", ones({3})}});
  std::string bytes = read_bytes(path("d.safetensors"));
  bytes.back() = static_cast<char>(bytes.back() ^ 0x10);
  write_bytes(path("d.safetensors"), bytes);
  const std::string msg = error_of([&] { load_safetensors(path("d.safetensors")); });
  EXPECT_NE(msg.find(path("d.safetensors")), std::string::npos) << msg;
  EXPECT_NE(msg.find("tensor 'second': data CRC32C mismatch: expected "), std::string::npos) << msg;
}

// Rewrites the header of a staa file (length field updated) with `edit` applied.
std::string edit_header(const std::string& file, const std::function<void(std::string&)>& edit) {
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(file[i]);
  std::string header = file.substr(8, n);
  edit(header);
  return make_file(header, file.substr(8 + n));
}

TEST_F(SafetensorsFiles, EditedStaaHeadersFail) {
  save_safetensors(path("h.safetensors"), {{"w", ones({2})}}, {{"lr", "0.1"}});
  const std::string good = read_bytes(path("h.safetensors"));
  auto msg_after = [&](const std::function<void(std::string&)>& edit) {
    return error_of([&] { parse_safetensors(edit_header(good, edit), "h"); });
  };
  EXPECT_NE(
      msg_after([](std::string& h) { h = "{ " + h.substr(1); }).find("compact canonical JSON"),
      std::string::npos);
  EXPECT_NE(msg_after([](std::string& h) { h += "  "; }).find("compact canonical JSON"),
            std::string::npos);
  EXPECT_NE(msg_after([](std::string& h) {
              h.replace(h.find("0.1"), 3, "0.2");
            }).find("header CRC32C mismatch"),
            std::string::npos);
  EXPECT_NE(msg_after([](std::string& h) {
              h.replace(h.find("crc32c.w"), 8, "crc32c.v");
            }).find("header CRC32C mismatch"),
            std::string::npos);
  EXPECT_NE(msg_after([](std::string& h) {
              h.replace(h.find("staa_format"), 11, "staa_formaT");
            }).find("expected \"staa_format\" beside it"),
            std::string::npos);
  EXPECT_NE(msg_after([](std::string& h) {
              h.replace(h.find("\"1\""), 3, "\"2\"");
            }).find("expected staa_format \"1\", found \"2\""),
            std::string::npos);
}

struct BadHeader {
  std::string header, data, expected;
};

TEST(Safetensors, MalformedHeadersFailWithClearMessages) {
  const std::string t = R"("a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]})";
  const std::string d4(4, '\0');
  const std::vector<BadHeader> cases = {
      {"{" + t + "," + t + "}", d4, "the object already has \"a\""},
      {R"({"a":{"dtype":"F16","shape":[1],"data_offsets":[0,2]}})", "xx",
       "tensor 'a': expected dtype F32, F64 or I64, found \"F16\""},
      {R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", d4, "non-negative integer"},
      {R"({"a":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}})", d4, "no fractions"},
      {R"({"a":{"dtype":"F32","shape":[1e0],"data_offsets":[0,4]}})", d4, "no fractions"},
      {R"({"a":{"dtype":"F32","shape":[01],"data_offsets":[0,4]}})", d4, "leading zeros"},
      {R"({"a":{"dtype":"F32","shape":[99999999999999999999],"data_offsets":[0,4]}})", d4,
       "below 2^63"},
      {"{" + t + "}x", d4, "only space padding after the header object, found 'x'"},
      {"{" + t + "}\n", d4, "only space padding"},
      {"[1]", "", "expected '{' opening the header object, found '['"},
      {"{" + t + R"(,"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})", std::string(12, 0),
       "tensor 'b': expected its data to begin at byte 4"},
      {R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
       R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
       std::string(8, 0), "(overlap)"},
      {"{" + t + "}", std::string(8, 0), "cover 4 bytes, the data buffer after the header holds 8"},
      {"{" + t + "}", "xx", "cover 4 bytes, the data buffer after the header holds 2"},
      {R"({"a":{"dtype":"F64","shape":[1],"data_offsets":[0,4]}})", d4,
       "tensor 'a': dtype F64 and shape [1] need 8 bytes, data_offsets [0, 4] hold 4"},
      {R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}})", d4,
       "element count overflows"},
      {R"({"a":{"dtype":"F32","shape":[2305843009213693952,4],"data_offsets":[0,4]}})", d4,
       "byte count overflows"},
      {R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}})", d4, "begin <= end"},
      {R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":1}})", d4, "found \"x\""},
      {R"({"a":{"dtype":"F32","shape":[1]}})", d4, "expected a \"data_offsets\" entry"},
      {R"({"a":{"dtype":"F32","shape":[1,1,1,1,1,1,1,1,1],"data_offsets":[0,4]}})", d4,
       "at most 8 dims, found 9"},
      {R"({"a":{"dtype":"F32","shape":[[[1]]],"data_offsets":[0,4]}})", d4, "levels of nesting"},
      {"{\"\xff\":1}", "", "well-formed UTF-8"},
      {"{\"a\x01\":1}", "", "no raw control characters"},
      {R"({"\udc00":1})", "", "lone low surrogate"},
      {R"({"__metadata__":{"k":1}})", "", "__metadata__ value of \"k\" as a string"},
      {R"({"__metadata__":{"staa_format":"2","staa_header_crc32c":"00000000"}})", "",
       "expected staa_format \"1\", found \"2\""},
      {R"({"__metadata__":{"staa_header_crc32c":"00000000"}})", "",
       "expected \"staa_format\" beside it"},
  };
  for (const BadHeader& c : cases) {
    const std::string msg =
        error_of([&] { parse_safetensors(make_file(c.header, c.data), "x.st"); });
    EXPECT_NE(msg.find("load_safetensors: file 'x.st'"), std::string::npos) << msg;
    EXPECT_NE(msg.find(c.expected), std::string::npos) << c.header << "\n  gave: " << msg;
  }
}

TEST_F(SafetensorsFiles, BadLengthFieldsAndFilesFail) {
  EXPECT_NE(error_of([] { parse_safetensors("12345", "f"); }).find("found a file of 5 bytes"),
            std::string::npos);
  std::string huge = make_file("{}", "");
  huge[3] = 0x10;  // 0x10000002 bytes > 100 MB
  EXPECT_NE(error_of([&] { parse_safetensors(huge, "f"); }).find("at most 100000000 bytes"),
            std::string::npos);
  std::string longer = make_file("{}", "");
  longer[0] = 3;
  EXPECT_NE(error_of([&] { parse_safetensors(longer, "f"); }).find("header length says 3"),
            std::string::npos);
  const std::string missing = path("missing.safetensors");
  EXPECT_NE(error_of([&] { load_safetensors(missing); }).find(missing + "': cannot open"),
            std::string::npos);
  EXPECT_NE(error_of([&] { load_safetensors(dir_); }).find("expected a regular file"),
            std::string::npos);
}

TEST_F(SafetensorsFiles, SaveReplacesAtomicallyAndLeavesNoTemporaryFile) {
  const std::string target = path("ckpt.safetensors");
  save_safetensors(target, {{"w", ones({2})}});
  save_safetensors(target, {{"w", full({3}, 2.0)}});
  EXPECT_EQ(load_safetensors(target).tensors[0].second.to_vector(), (std::vector<double>{2, 2, 2}));
  EXPECT_EQ(list_dir(dir_), std::vector<std::string>{"ckpt.safetensors"});
}

TEST_F(SafetensorsFiles, FailedSavesKeepTheOldFileAndLeaveNothingBehind) {
  const std::string target = path("ckpt.safetensors");
  save_safetensors(target, {{"w", ones({2})}});
  const std::string old_bytes = read_bytes(target);
  // Rejected inputs: nothing is written.
  EXPECT_NE(error_of([&] {
              save_safetensors(target, {{"a", ones({1})}, {"a", ones({1})}});
            }).find(target + "': tensor 'a': expected unique names"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              save_safetensors(target, {{"u", Tensor()}});
            }).find("tensor 'u': expected a defined tensor"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              save_safetensors(target, {}, {{"staa_format", "9"}});
            }).find("reserved"),
            std::string::npos);
  // A write that fails half way (file size limit): the temporary file goes, the old file stays.
  rlimit old_limit{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  rlimit small = old_limit;
  small.rlim_cur = 4096;
  auto* old_handler = ::signal(SIGXFSZ, SIG_IGN);
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  const std::string msg = error_of([&] { save_safetensors(target, {{"big", ones({10000})}}); });
  ::setrlimit(RLIMIT_FSIZE, &old_limit);
  ::signal(SIGXFSZ, old_handler);
  EXPECT_NE(msg.find(target + "': writing the temporary file"), std::string::npos) << msg;
  EXPECT_EQ(read_bytes(target), old_bytes);
  EXPECT_EQ(list_dir(dir_), std::vector<std::string>{"ckpt.safetensors"});
  // Renaming over a directory fails after the temporary file was written.
  const std::string as_dir = path("dir.safetensors");
  fs::create_directory(as_dir);
  EXPECT_NE(error_of([&] {
              save_safetensors(as_dir, {{"w", ones({2})}});
            }).find(as_dir + "': renaming the temporary file"),
            std::string::npos);
  EXPECT_EQ(list_dir(dir_), (std::vector<std::string>{"ckpt.safetensors", "dir.safetensors"}));
  // A directory that does not exist.
  const std::string nowhere = path("no/such/dir/x.safetensors");
  EXPECT_NE(error_of([&] { save_safetensors(nowhere, {}); }).find(nowhere), std::string::npos);
}

TEST_F(SafetensorsFiles, SaveIntoReadOnlyDirectoryFailsAndLeavesNothing) {
  if (::geteuid() == 0) GTEST_SKIP() << "root ignores directory permissions";
  const std::string target = path("ckpt.safetensors");
  save_safetensors(target, {{"w", ones({2})}});
  const std::string old_bytes = read_bytes(target);
  ASSERT_EQ(::chmod(dir_.c_str(), 0500), 0);
  const std::string msg = error_of([&] { save_safetensors(target, {{"w", ones({3})}}); });
  ::chmod(dir_.c_str(), 0700);
  EXPECT_NE(msg.find(target + "': cannot create the temporary file"), std::string::npos) << msg;
  EXPECT_EQ(read_bytes(target), old_bytes);
  EXPECT_EQ(list_dir(dir_), std::vector<std::string>{"ckpt.safetensors"});
}

}  // namespace
}  // namespace staa
