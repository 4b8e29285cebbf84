// Frame cache (see frame_cache.h). Layer: data. Sample files are float32 in host (little-endian)
// byte order, compressed with zlib; the manifest's CRC-32 is of the compressed bytes.
#include "data/frame_cache.h"

#include <zlib.h>

#include <atomic>
#include <cctype>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <mutex>
#include <numeric>
#include <sstream>
#include <thread>

#include "data/io.h"
#include "tensor/error.h"

namespace staa::data {
namespace {

namespace fs = std::filesystem;
constexpr const char* kMagic = "staa-frame-cache 1";

// Next line without its '\n' (and a trailing '\r'); false at the end.
bool next_line(std::istringstream& in, std::string& line) {
  if (!std::getline(in, line)) return false;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return true;
}

bool safe_file_name(const std::string& name) {
  if (name.empty() || name.size() > 64 || name == "." || name == "..") return false;
  for (const char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-')) {
      return false;
    }
  }
  return true;
}

int64_t parse_field(std::istringstream& row, const std::string& path, int64_t line,
                    const char* what, int64_t low, int64_t high) {
  int64_t v = 0;
  STAA_CHECK(static_cast<bool>(row >> v) && v >= low && v <= high, path, ": line ", line,
             ": expected ", what, " in [", low, ", ", high, "]");
  return v;
}

}  // namespace

std::string format_manifest(const FrameManifest& m) {
  std::ostringstream out;
  out << kMagic << "\nkey " << m.key << "\nshape " << m.frames << " 2 " << m.height << " "
      << m.width << "\nclasses " << m.num_classes << "\nsamples " << m.entries.size() << "\n";
  for (const FrameCacheEntry& e : m.entries) {
    char crc[16];
    std::snprintf(crc, sizeof crc, "%08x", e.crc32);
    out << e.label << " " << e.file << " " << e.bytes << " " << crc << "\n";
  }
  out << "end\n";
  return out.str();
}

FrameManifest parse_manifest(const std::string& text, const std::string& path) {
  std::istringstream in(text);
  std::string line;
  FrameManifest m;
  STAA_CHECK(next_line(in, line) && line == kMagic, path, ": expected the first line '", kMagic,
             "', found '", line.substr(0, 40), "'");
  STAA_CHECK(next_line(in, line) && line.rfind("key ", 0) == 0, path,
             ": line 2: expected 'key <text>'");
  m.key = line.substr(4);
  // The writer makes keys from options (printable text); a control character (a second '\r',
  // found by fuzzing) would not survive a write and read back unchanged.
  for (const char c : m.key)
    STAA_CHECK(!std::iscntrl(static_cast<unsigned char>(c)), path,
               ": line 2: the key holds a control character (code ",
               static_cast<int>(static_cast<unsigned char>(c)), ")");
  STAA_CHECK(next_line(in, line) && line.rfind("shape ", 0) == 0, path,
             ": line 3: expected 'shape T 2 H W'");
  std::istringstream shape(line.substr(6));
  m.frames = parse_field(shape, path, 3, "T", 1, 1 << 16);
  parse_field(shape, path, 3, "2 polarity channels", 2, 2);
  m.height = parse_field(shape, path, 3, "H", 1, 1 << 16);
  m.width = parse_field(shape, path, 3, "W", 1, 1 << 16);
  STAA_CHECK(next_line(in, line) && line.rfind("classes ", 0) == 0, path,
             ": line 4: expected 'classes N'");
  std::istringstream classes(line.substr(8));
  m.num_classes = parse_field(classes, path, 4, "the class count", 1, 1 << 20);
  STAA_CHECK(next_line(in, line) && line.rfind("samples ", 0) == 0, path,
             ": line 5: expected 'samples N'");
  std::istringstream samples(line.substr(8));
  const int64_t n = parse_field(samples, path, 5, "the sample count", 0, 1 << 26);
  for (int64_t i = 0; i < n; ++i) {
    STAA_CHECK(next_line(in, line), path, ": expected ", n, " sample lines, found ", i,
               " (the manifest is cut short)");
    std::istringstream row(line);
    FrameCacheEntry e;
    e.label = parse_field(row, path, 6 + i, "a label", 0, m.num_classes - 1);
    std::string crc;
    STAA_CHECK(
        static_cast<bool>(row >> e.file >> e.bytes >> crc) && safe_file_name(e.file) &&
            crc.size() == 8 && crc.find_first_not_of("0123456789abcdef") == std::string::npos,
        path, ": line ", 6 + i, ": expected '<label> <file> <bytes> <crc32 as 8 hex digits>'");
    e.crc32 = static_cast<uint32_t>(std::stoul(crc, nullptr, 16));
    m.entries.push_back(std::move(e));
  }
  STAA_CHECK(next_line(in, line) && line == "end", path, ": expected 'end' after ", n,
             " sample lines");
  return m;
}

FrameCache::FrameCache(const std::string& dir, const EventSource& source, int threads) : dir_(dir) {
  const int64_t samples =
      std::accumulate(source.group_sizes.begin(), source.group_sizes.end(), int64_t{0});
  const std::string reason = validate(source, samples);
  if (reason.empty()) return;
  std::fprintf(stderr, "frame cache: building %s (%s)\n", dir.c_str(), reason.c_str());
  build(source, threads);
  rebuilt_ = true;
}

std::string FrameCache::validate(const EventSource& source, int64_t samples) {
  const fs::path manifest_path = fs::path(dir_) / kManifestName;
  std::error_code ec;
  if (!fs::exists(manifest_path, ec)) return "no manifest";
  try {
    const Bytes bytes = read_file(manifest_path.string());
    manifest_ = parse_manifest(std::string(bytes.begin(), bytes.end()), manifest_path.string());
  } catch (const Error& e) {
    return std::string("invalid manifest: ") + e.what();
  }
  const FrameOptions& f = source.frames;
  if (manifest_.key != source.key || manifest_.frames != f.frames || manifest_.height != f.height ||
      manifest_.width != f.width || manifest_.num_classes != source.num_classes) {
    return "made for other options: " + manifest_.key;
  }
  if (static_cast<int64_t>(manifest_.entries.size()) != samples) return "sample count differs";
  for (const FrameCacheEntry& e : manifest_.entries) {
    const fs::path p = fs::path(dir_) / e.file;
    if (!fs::is_regular_file(p, ec) || fs::file_size(p, ec) != e.bytes) {
      return "sample file " + p.string() + " missing or resized";
    }
  }
  return "";
}

void FrameCache::build(const EventSource& source, int threads) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  STAA_CHECK(!ec, dir_, ": cannot create the frame cache folder (", ec.message(), ")");
  fs::remove(fs::path(dir_) / kManifestName, ec);  // the old manifest must not outlive its files
  const int64_t groups = static_cast<int64_t>(source.group_sizes.size());
  std::vector<int64_t> first(groups + 1, 0);
  for (int64_t g = 0; g < groups; ++g) first[g + 1] = first[g] + source.group_sizes[g];
  manifest_ = FrameManifest{source.key,          source.frames.frames, source.frames.height,
                            source.frames.width, source.num_classes,   {}};
  manifest_.entries.resize(static_cast<size_t>(first[groups]));
  std::atomic<int64_t> next{0};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  auto work = [&] {
    for (int64_t g = next++; g < groups; g = next++) {
      try {
        const std::vector<EventSource::Item> items = source.read_group(g);
        STAA_CHECK(static_cast<int64_t>(items.size()) == source.group_sizes[g],
                   "frame cache: group ", g, " yielded ", items.size(), " samples, expected ",
                   source.group_sizes[g]);
        for (size_t k = 0; k < items.size(); ++k) {
          const int64_t i = first[g] + static_cast<int64_t>(k);
          const std::vector<float> frames =
              events_to_frames(items[k].events, source.frames, items[k].source);
          const uLong raw = static_cast<uLong>(frames.size() * sizeof(float));
          Bytes packed(compressBound(raw));
          uLongf packed_size = static_cast<uLongf>(packed.size());
          STAA_CHECK(compress2(packed.data(), &packed_size,
                               reinterpret_cast<const Bytef*>(frames.data()), raw, 1) == Z_OK,
                     "frame cache: zlib could not compress sample ", i);
          FrameCacheEntry& e = manifest_.entries[static_cast<size_t>(i)];
          std::string name = std::to_string(i);  // (built in steps: GCC 12's -Wrestrict misfires
          name.insert(0, 1, 's');                //  on "s" + std::to_string(i) + ".bin")
          name.append(".bin");
          e = {items[k].label, name, packed_size,
               static_cast<uint32_t>(crc32(0, packed.data(), static_cast<uInt>(packed_size)))};
          write_file_atomic((fs::path(dir_) / e.file).string(), packed.data(), packed_size);
        }
      } catch (...) {
        std::lock_guard<std::mutex> lock(failure_mutex);
        if (!failure) failure = std::current_exception();
        next = groups;
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < std::max(threads, 1); ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
  const std::string text = format_manifest(manifest_);
  write_file_atomic((fs::path(dir_) / kManifestName).string(), text.data(), text.size());
}

Sample FrameCache::get(int64_t index) const {
  STAA_CHECK(index >= 0 && index < size(), "FrameCache: expected an index in [0, ", size(),
             "), found ", index);
  const FrameCacheEntry& e = manifest_.entries[static_cast<size_t>(index)];
  const std::string path = (fs::path(dir_) / e.file).string();
  const std::string fix = " (delete " + dir_ + " to rebuild the cache)";
  const Bytes packed = read_file(path, "delete " + dir_ + " to rebuild the cache");
  STAA_CHECK(packed.size() <= e.bytes, path, ": overlong: expected ", e.bytes,
             " bytes as the manifest says, found ", packed.size(), fix);
  STAA_CHECK(packed.size() == e.bytes, path, ": truncated: expected ", e.bytes,
             " bytes as the manifest says, found ", packed.size(), fix);
  const uint32_t crc =
      static_cast<uint32_t>(crc32(0, packed.data(), static_cast<uInt>(packed.size())));
  STAA_CHECK(crc == e.crc32, path, ": expected CRC-32 ", e.crc32, ", found ", crc, fix);
  Sample s;
  s.shape = Shape{manifest_.frames, 2, manifest_.height, manifest_.width};
  s.values.resize(static_cast<size_t>(s.shape.numel()));
  uLongf raw = static_cast<uLongf>(s.values.size() * sizeof(float));
  const uLongf want = raw;
  const int code = uncompress(reinterpret_cast<Bytef*>(s.values.data()), &raw, packed.data(),
                              static_cast<uLong>(packed.size()));
  STAA_CHECK(code == Z_OK && raw == want, path, ": expected ", want,
             " bytes of frames after inflating, zlib says ", zError(code), fix);
  s.label = e.label;
  return s;
}

int64_t FrameCache::label(int64_t index) const {
  STAA_CHECK(index >= 0 && index < size(), "FrameCache: expected an index in [0, ", size(),
             "), found ", index);
  return manifest_.entries[static_cast<size_t>(index)].label;
}

}  // namespace staa::data
