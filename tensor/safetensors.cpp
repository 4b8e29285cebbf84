// Safe tensor files: CRC32C, a strict parser for the JSON subset of safetensors headers, the
// header checks, the loader and the atomic writer. Layer: tensor. Invariant: nothing read from a
// file is trusted before it is checked; the header check order is length, JSON, structure,
// layout against the file size, staa metadata (canonical bytes and header CRC), then data CRCs.
#include "tensor/safetensors.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <limits>
#include <unordered_set>

#ifdef __SSE4_2__
#include <nmmintrin.h>
#endif

#include "tensor/safetensors_json.h"

static_assert(std::endian::native == std::endian::little,
              "safetensors.cpp copies element bytes as they are: it needs a little-endian host");

namespace staa {
namespace {

using safetensors_json::Json;

constexpr uint64_t kMaxHeaderBytes = 100'000'000;  // the bound the reference reader uses
constexpr std::string_view kMetadataKey = "__metadata__";
constexpr std::string_view kFormatKey = "staa_format";
constexpr std::string_view kHeaderCrcKey = "staa_header_crc32c";
constexpr std::string_view kTensorCrcPrefix = "crc32c.";

// ---- CRC32C -----------------------------------------------------------------------------------

constexpr std::array<uint32_t, 256> make_crc32c_table() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1u)));
    table[i] = c;
  }
  return table;
}
constexpr std::array<uint32_t, 256> kCrc32cTable = make_crc32c_table();

#ifdef __SSE4_2__
uint32_t crc32c_sse42(const unsigned char* p, size_t n, uint32_t crc) {
  uint64_t c = crc;
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);
    c = _mm_crc32_u64(c, word);
  }
  uint32_t c32 = static_cast<uint32_t>(c);
  for (; n > 0; ++p, --n) c32 = _mm_crc32_u8(c32, *p);
  return c32;
}
#endif

std::string hex8(uint32_t v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s(8, '0');
  for (int i = 7; i >= 0; --i, v >>= 4) s[i] = kDigits[v & 0xF];
  return s;
}

bool parse_hex8(std::string_view s, uint32_t& out) {
  if (s.size() != 8) return false;
  out = 0;
  for (char c : s) {
    const int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) return false;  // lower case only: the canonical form our writer emits
    out = (out << 4) | static_cast<uint32_t>(d);
  }
  return true;
}

}  // namespace

uint32_t detail::crc32c_reference(const void* data, size_t size, uint32_t crc) {
  const auto* p = static_cast<const unsigned char*>(data);
  uint32_t c = ~crc;
  for (size_t i = 0; i < size; ++i) c = (c >> 8) ^ kCrc32cTable[(c ^ p[i]) & 0xFF];
  return ~c;
}

uint32_t crc32c(const void* data, size_t size, uint32_t crc) {
#ifdef __SSE4_2__
  return ~crc32c_sse42(static_cast<const unsigned char*>(data), size, ~crc);
#else
  return detail::crc32c_reference(data, size, crc);
#endif
}

namespace {

// ---- header interpretation ----------------------------------------------------------------------

struct Entry {
  std::string name;
  DType dtype = kF32;
  Shape shape;
  uint64_t begin = 0, end = 0;
};

struct Header {
  std::vector<Entry> entries;                   // in header order until check_layout sorts them
  std::map<std::string, std::string> metadata;  // everything in __metadata__
};

const char* safetensors_dtype(DType d) {
  return d == kF32 ? "F32" : d == kF64 ? "F64" : "I64";
}

const Json& member(const Json& object, std::string_view key, const std::string& where) {
  for (const auto& [k, v] : object.members)
    if (k == key) return v;
  STAA_FAIL(where, ": expected a \"", key, "\" entry, found none");
}

int64_t checked_integer(const Json& j, const std::string& where, const char* what) {
  STAA_CHECK(j.kind == Json::Kind::kInteger, where, ": expected ", what, " as an integer, found ",
             safetensors_json::kind_name(j.kind));
  return j.integer;
}

Entry interpret_entry(const std::string& name, const Json& j, const std::string& ctx) {
  const std::string where = ctx + ": tensor '" + name + "'";
  STAA_CHECK(j.kind == Json::Kind::kObject, where,
             ": expected an object {dtype, shape, data_offsets}, found ",
             safetensors_json::kind_name(j.kind));
  for (const auto& m : j.members)
    STAA_CHECK(m.first == "dtype" || m.first == "shape" || m.first == "data_offsets", where,
               ": expected only the keys dtype, shape, data_offsets, found \"", m.first, "\"");
  Entry e;
  e.name = name;
  const Json& dtype = member(j, "dtype", where);
  STAA_CHECK(dtype.kind == Json::Kind::kString, where, ": expected dtype as a string, found ",
             safetensors_json::kind_name(dtype.kind));
  if (dtype.str == "F32")
    e.dtype = kF32;
  else if (dtype.str == "F64")
    e.dtype = kF64;
  else if (dtype.str == "I64")
    e.dtype = kI64;
  else
    STAA_FAIL(where, ": expected dtype F32, F64 or I64, found \"", dtype.str, "\"");
  const Json& shape = member(j, "shape", where);
  STAA_CHECK(shape.kind == Json::Kind::kArray, where, ": expected shape as an array, found ",
             safetensors_json::kind_name(shape.kind));
  STAA_CHECK(shape.items.size() <= static_cast<size_t>(Shape::kMaxDims), where,
             ": expected at most ", Shape::kMaxDims, " dims, found ", shape.items.size());
  uint64_t numel = 1;
  for (const Json& d : shape.items) {
    const int64_t dim = checked_integer(d, where, "every dim of shape");
    STAA_CHECK(!__builtin_mul_overflow(numel, static_cast<uint64_t>(dim), &numel), where,
               ": shape's element count overflows 64 bits");
    e.shape.push_back(dim);
  }
  const Json& offsets = member(j, "data_offsets", where);
  STAA_CHECK(offsets.kind == Json::Kind::kArray && offsets.items.size() == 2, where,
             ": expected data_offsets as an array [begin, end], found ",
             safetensors_json::kind_name(offsets.kind), " of ", offsets.items.size(), " items");
  e.begin = static_cast<uint64_t>(checked_integer(offsets.items[0], where, "data_offsets"));
  e.end = static_cast<uint64_t>(checked_integer(offsets.items[1], where, "data_offsets"));
  STAA_CHECK(e.begin <= e.end, where, ": expected data_offsets begin <= end, found [", e.begin,
             ", ", e.end, "]");
  uint64_t nbytes = 0;
  STAA_CHECK(!__builtin_mul_overflow(numel, dtype_size(e.dtype), &nbytes), where,
             ": shape's byte count overflows 64 bits");
  STAA_CHECK(e.end - e.begin == nbytes, where, ": dtype ", dtype.str, " and shape ", e.shape.str(),
             " need ", nbytes, " bytes, data_offsets [", e.begin, ", ", e.end, "] hold ",
             e.end - e.begin);
  return e;
}

Header interpret_header(const Json& root, const std::string& ctx) {
  Header h;
  for (const auto& [key, value] : root.members) {
    if (key != kMetadataKey) {
      h.entries.push_back(interpret_entry(key, value, ctx));
      continue;
    }
    STAA_CHECK(value.kind == Json::Kind::kObject, ctx,
               ": expected __metadata__ as an object of strings, found ",
               safetensors_json::kind_name(value.kind));
    for (const auto& [k, v] : value.members) {
      STAA_CHECK(v.kind == Json::Kind::kString, ctx, ": expected __metadata__ value of \"", k,
                 "\" as a string, found ", safetensors_json::kind_name(v.kind));
      h.metadata[k] = v.str;
    }
  }
  return h;
}

// The offsets, sorted by begin, tile [0, buffer_bytes) exactly: no gap, no overlap, no excess.
void check_layout(std::vector<Entry>& entries, uint64_t buffer_bytes, const std::string& ctx) {
  std::stable_sort(entries.begin(), entries.end(),
                   [](const Entry& a, const Entry& b) { return a.begin < b.begin; });
  uint64_t covered = 0;
  for (const Entry& e : entries) {
    STAA_CHECK(e.begin == covered, ctx, ": tensor '", e.name,
               "': expected its data to begin at byte ", covered,
               " of the data buffer (right after the previous tensor), found ", e.begin,
               e.begin < covered ? " (overlap)" : " (gap)");
    covered = e.end;
  }
  STAA_CHECK(covered == buffer_bytes, ctx, ": the tensors' data_offsets cover ", covered,
             " bytes, the data buffer after the header holds ", buffer_bytes);
}

// CRC32C of the canonical header with the entry `key` of object `object_key` left out: the header
// CRC is stored inside the header, so it covers everything else.
uint32_t crc32c_of_header_without(const Json& root, std::string_view object_key,
                                  std::string_view key) {
  Json copy = root;
  for (auto& [k, v] : copy.members) {
    if (k != object_key) continue;
    std::erase_if(v.members, [&](const auto& m) { return m.first == key; });
  }
  const std::string text = safetensors_json::serialize(copy);
  return crc32c(text.data(), text.size());
}

// Files written by staa carry staa_format, staa_header_crc32c and crc32c.<name>; a single damaged
// key cannot hide both of the first two, so seeing either one makes all of them required.
// Returns the expected CRC per tensor name (empty for a file from another writer) and removes
// staa's keys from h.metadata.
std::map<std::string, uint32_t> check_staa_metadata(const Json& root, Header& h,
                                                    std::string_view raw_header,
                                                    const std::string& ctx) {
  std::map<std::string, uint32_t> crcs;
  const auto format = h.metadata.find(std::string(kFormatKey));
  const auto header_crc = h.metadata.find(std::string(kHeaderCrcKey));
  if (format == h.metadata.end() && header_crc == h.metadata.end()) return crcs;
  STAA_CHECK(format != h.metadata.end(), ctx, ": has \"", kHeaderCrcKey,
             "\" in __metadata__, expected \"", kFormatKey, "\" beside it, found none");
  STAA_CHECK(format->second == kSafetensorsFormatVersion, ctx, ": expected staa_format \"",
             kSafetensorsFormatVersion, "\", found \"", format->second, "\"");
  STAA_CHECK(header_crc != h.metadata.end(), ctx, ": has staa_format in __metadata__, expected \"",
             kHeaderCrcKey, "\" beside it, found none");
  const std::string canonical = safetensors_json::serialize(root);
  STAA_CHECK(canonical == raw_header, ctx, ": a staa header is compact canonical JSON; expected ",
             canonical.size(), " bytes re-serialising to themselves, found ", raw_header.size(),
             " bytes that differ (damaged or edited header)");
  uint32_t stored = 0;
  STAA_CHECK(parse_hex8(header_crc->second, stored), ctx, ": expected ", kHeaderCrcKey,
             " as 8 lower-case hex digits, found \"", header_crc->second, "\"");
  const uint32_t actual = crc32c_of_header_without(root, kMetadataKey, kHeaderCrcKey);
  STAA_CHECK(actual == stored, ctx, ": header CRC32C mismatch: expected ", hex8(stored),
             " (stored), found ", hex8(actual), " (damaged header)");
  std::unordered_set<std::string> names;
  for (const Entry& e : h.entries) names.insert(e.name);
  for (auto it = h.metadata.begin(); it != h.metadata.end();) {
    if (!it->first.starts_with(kTensorCrcPrefix)) {
      ++it;
      continue;
    }
    const std::string name = it->first.substr(kTensorCrcPrefix.size());
    STAA_CHECK(names.count(name) == 1, ctx, ": __metadata__ has \"", it->first,
               "\", expected a tensor '", name, "', found none");
    STAA_CHECK(parse_hex8(it->second, crcs[name]), ctx, ": tensor '", name,
               "': expected its crc32c as 8 lower-case hex digits, found \"", it->second, "\"");
    it = h.metadata.erase(it);
  }
  for (const Entry& e : h.entries)
    STAA_CHECK(crcs.count(e.name) == 1, ctx, ": tensor '", e.name, "': expected \"",
               kTensorCrcPrefix, e.name, "\" in __metadata__, found none");
  h.metadata.erase(std::string(kFormatKey));
  h.metadata.erase(std::string(kHeaderCrcKey));
  return crcs;
}

// ---- loading ------------------------------------------------------------------------------------

// Copies `size` bytes at `offset` of the file into dst (the whole range exists: checked first).
using ReadFn = std::function<void(uint64_t offset, void* dst, size_t size)>;

SafetensorsFile read_tensors(const std::vector<Entry>& entries,
                             const std::map<std::string, uint32_t>& crcs, uint64_t data_start,
                             const ReadFn& read, const std::string& ctx) {
  SafetensorsFile file;
  for (const Entry& e : entries) {
    Tensor t = Tensor::empty(e.shape, e.dtype, Device::cpu());
    const size_t nbytes = t.nbytes();
    if (nbytes > 0) read(data_start + e.begin, t.raw_data(), nbytes);
    const auto expected = crcs.find(e.name);
    if (expected != crcs.end()) {
      const uint32_t actual = nbytes > 0 ? crc32c(t.raw_data(), nbytes) : crc32c(nullptr, 0);
      STAA_CHECK(actual == expected->second, ctx, ": tensor '", e.name,
                 "': data CRC32C mismatch: expected ", hex8(expected->second), " (stored), found ",
                 hex8(actual), " over bytes [", e.begin, ", ", e.end,
                 ") of the data buffer (damaged data)");
    }
    t.set_name(e.name);
    file.tensors.emplace_back(e.name, std::move(t));
  }
  return file;
}

SafetensorsFile load_from(uint64_t file_size, const ReadFn& read, const std::string& ctx) {
  STAA_CHECK(file_size >= 8, ctx, ": expected at least the 8-byte header length, found a file of ",
             file_size, " bytes");
  unsigned char prefix[8];
  read(0, prefix, 8);
  uint64_t header_size = 0;
  for (int i = 7; i >= 0; --i) header_size = (header_size << 8) | prefix[i];
  STAA_CHECK(header_size <= kMaxHeaderBytes, ctx, ": expected a header length of at most ",
             kMaxHeaderBytes, " bytes, found ", header_size);
  STAA_CHECK(header_size <= file_size - 8, ctx, ": header length says ", header_size,
             " bytes, expected at most the ", file_size - 8, " bytes after the length field");
  std::string raw_header(header_size, '\0');
  if (header_size > 0) read(8, raw_header.data(), header_size);
  const Json root = safetensors_json::Parser(raw_header, ctx).parse_document();
  Header h = interpret_header(root, ctx);
  check_layout(h.entries, file_size - 8 - header_size, ctx);
  const std::map<std::string, uint32_t> crcs = check_staa_metadata(root, h, raw_header, ctx);
  SafetensorsFile file = read_tensors(h.entries, crcs, 8 + header_size, read, ctx);
  file.metadata = std::move(h.metadata);
  return file;
}

std::string load_context(const std::string& path) {
  return "load_safetensors: file '" + path + "'";
}

// Closes a file descriptor on every path out of a scope.
struct FdCloser {
  int fd = -1;
  ~FdCloser() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

SafetensorsFile load_safetensors(const std::string& path) {
  const std::string ctx = load_context(path);
  FdCloser file{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  STAA_CHECK(file.fd >= 0, ctx, ": cannot open it: ", std::strerror(errno));
  struct stat st {};
  STAA_CHECK(::fstat(file.fd, &st) == 0, ctx, ": cannot stat it: ", std::strerror(errno));
  STAA_CHECK(S_ISREG(st.st_mode), ctx, ": expected a regular file, found another kind of file");
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  const ReadFn read = [&](uint64_t offset, void* dst, size_t n) {
    auto* out = static_cast<char*>(dst);
    while (n > 0) {
      const ssize_t got = ::pread(file.fd, out, n, static_cast<off_t>(offset));
      if (got < 0 && errno == EINTR) continue;
      STAA_CHECK(got >= 0, ctx, ": read failed at byte ", offset, ": ", std::strerror(errno));
      STAA_CHECK(got > 0, ctx, ": expected ", n, " more bytes at byte ", offset,
                 ", found the end of the file (did it shrink while loading?)");
      out += got;
      offset += static_cast<uint64_t>(got);
      n -= static_cast<size_t>(got);
    }
  };
  return load_from(size, read, ctx);
}

SafetensorsFile parse_safetensors(std::string_view bytes, const std::string& source) {
  const ReadFn read = [&](uint64_t offset, void* dst, size_t n) {
    std::memcpy(dst, bytes.data() + offset, n);
  };
  return load_from(bytes.size(), read, load_context(source));
}

// ---- saving -------------------------------------------------------------------------------------

namespace {

void check_save_inputs(const std::vector<std::pair<std::string, Tensor>>& tensors,
                       const std::map<std::string, std::string>& metadata, const std::string& ctx) {
  std::unordered_set<std::string> names;
  for (const auto& [name, t] : tensors) {
    STAA_CHECK(!name.empty() && name != kMetadataKey && safetensors_json::valid_utf8(name), ctx,
               ": expected tensor names to be non-empty UTF-8 other than __metadata__, found '",
               name, "'");
    STAA_CHECK(names.insert(name).second, ctx, ": tensor '", name,
               "': expected unique names, found it twice");
    STAA_CHECK(t.defined(), ctx, ": tensor '", name,
               "': expected a defined tensor, found an undefined one");
  }
  for (const auto& [key, value] : metadata) {
    STAA_CHECK(key != kFormatKey && key != kHeaderCrcKey && !key.starts_with(kTensorCrcPrefix), ctx,
               ": metadata key \"", key,
               "\" is reserved for staa's own checks; expected another key");
    STAA_CHECK(safetensors_json::valid_utf8(key) && safetensors_json::valid_utf8(value), ctx,
               ": metadata \"", key, "\": expected UTF-8 key and value, found other bytes");
  }
}

Json json_string(std::string s) {
  Json j;
  j.kind = Json::Kind::kString;
  j.str = std::move(s);
  return j;
}

Json json_integer(uint64_t v) {
  Json j;
  j.kind = Json::Kind::kInteger;
  j.integer = static_cast<int64_t>(v);
  return j;
}

// {"__metadata__":{sorted keys},"<name>":{"dtype":..,"shape":[..],"data_offsets":[b,e]},...}
// with tensors in data order.
Json header_json(const std::vector<std::pair<std::string, Tensor>>& host,
                 const std::map<std::string, std::string>& metadata) {
  Json root, meta;
  for (const auto& [k, v] : metadata) meta.members.emplace_back(k, json_string(v));
  root.members.emplace_back(std::string(kMetadataKey), std::move(meta));
  uint64_t offset = 0;
  for (const auto& [name, t] : host) {
    Json entry, shape, offsets;
    shape.kind = offsets.kind = Json::Kind::kArray;
    for (int64_t d : t.shape()) shape.items.push_back(json_integer(static_cast<uint64_t>(d)));
    offsets.items = {json_integer(offset), json_integer(offset + t.nbytes())};
    offset += t.nbytes();
    entry.members.emplace_back("dtype", json_string(safetensors_dtype(t.dtype())));
    entry.members.emplace_back("shape", std::move(shape));
    entry.members.emplace_back("data_offsets", std::move(offsets));
    root.members.emplace_back(name, std::move(entry));
  }
  return root;
}

void write_all(int fd, const void* data, size_t size, const std::string& tmp,
               const std::string& ctx) {
  const auto* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    STAA_CHECK(n > 0, ctx, ": writing the temporary file '", tmp,
               "' failed: ", n < 0 ? std::strerror(errno) : "no progress");
    p += n;
    size -= static_cast<size_t>(n);
  }
}

// A new file next to `path` (same directory, so rename is atomic), opened O_EXCL.
int create_temp_file(const std::string& path, std::string& tmp, const std::string& ctx) {
  static std::atomic<uint64_t> counter{0};
  for (int attempt = 0;; ++attempt) {
    tmp = path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) return fd;
    STAA_CHECK(errno == EEXIST && attempt < 100, ctx, ": cannot create the temporary file '", tmp,
               "' next to it: ", std::strerror(errno));
  }
}

void sync_directory_of(const std::string& path, const std::string& ctx) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  FdCloser d{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  STAA_CHECK(d.fd >= 0 && ::fsync(d.fd) == 0, ctx,
             ": the file was replaced, but syncing its directory '", dir,
             "' failed: ", std::strerror(errno));
}

void write_atomically(const std::string& path, const std::string& header,
                      const std::vector<std::pair<std::string, Tensor>>& host,
                      const std::string& ctx) {
  std::string tmp;
  int fd = create_temp_file(path, tmp, ctx);
  try {
    unsigned char prefix[8];
    for (int i = 0; i < 8; ++i) prefix[i] = static_cast<unsigned char>(header.size() >> (8 * i));
    write_all(fd, prefix, 8, tmp, ctx);
    write_all(fd, header.data(), header.size(), tmp, ctx);
    for (const auto& [name, t] : host)
      if (t.nbytes() > 0) write_all(fd, t.raw_data(), t.nbytes(), tmp, ctx);
    STAA_CHECK(::fsync(fd) == 0, ctx, ": fsync of the temporary file '", tmp,
               "' failed: ", std::strerror(errno));
    const int closed = ::close(fd);
    fd = -1;
    STAA_CHECK(closed == 0, ctx, ": closing the temporary file '", tmp,
               "' failed: ", std::strerror(errno));
    STAA_CHECK(::rename(tmp.c_str(), path.c_str()) == 0, ctx, ": renaming the temporary file '",
               tmp, "' over it failed: ", std::strerror(errno));
  } catch (...) {
    if (fd >= 0) ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  sync_directory_of(path, ctx);
}

}  // namespace

void save_safetensors(const std::string& path,
                      const std::vector<std::pair<std::string, Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  const std::string ctx = "save_safetensors: file '" + path + "'";
  check_save_inputs(tensors, metadata, ctx);
  std::vector<std::pair<std::string, Tensor>> host;
  std::map<std::string, std::string> all_metadata = metadata;
  all_metadata[std::string(kFormatKey)] = kSafetensorsFormatVersion;
  for (const auto& [name, t] : tensors) {
    Tensor h = t.to(Device::cpu());
    all_metadata[std::string(kTensorCrcPrefix) + name] = hex8(crc32c(h.raw_data(), h.nbytes()));
    host.emplace_back(name, std::move(h));
  }
  // The header CRC covers the canonical header without its own entry (the loader recomputes it
  // the same way), so a change anywhere in the header is caught.
  const std::string unsigned_header = safetensors_json::serialize(header_json(host, all_metadata));
  all_metadata[std::string(kHeaderCrcKey)] =
      hex8(crc32c(unsigned_header.data(), unsigned_header.size()));
  const std::string header = safetensors_json::serialize(header_json(host, all_metadata));
  STAA_CHECK(header.size() <= kMaxHeaderBytes, ctx, ": expected a header of at most ",
             kMaxHeaderBytes, " bytes (what loaders accept), found ", header.size());
  write_atomically(path, header, host, ctx);
}

}  // namespace staa
