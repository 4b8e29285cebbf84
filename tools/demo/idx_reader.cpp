// IDX reader (see idx_reader.h). Tool: tools/demo. gzread reads gzip and plain files alike, so an
// uncompressed IDX file works too. The body must hold exactly the bytes the header's dims promise.
#include "tools/demo/idx_reader.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "tensor/error.h"

namespace staa::demo {
namespace {

constexpr uint32_t kMagicLabels = 0x00000801;  // unsigned bytes, 1 dim
constexpr uint32_t kMagicImages = 0x00000803;  // unsigned bytes, 3 dims
constexpr int64_t kMaxBodyBytes = int64_t{1} << 32;

std::string hex32(uint32_t v) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%08x", v);
  return text;
}

// zlib's message without the "path: " it puts in front.
const char* zlib_reason(const char* message) {
  const char* colon = std::strstr(message, ": ");
  return colon ? colon + 2 : message;
}

gzFile open_gz(const std::string& path) {
  errno = 0;
  gzFile file = gzopen(path.c_str(), "rb");
  STAA_CHECK(file != nullptr, path, ": cannot open for reading (",
             errno ? std::strerror(errno) : "zlib could not allocate its state", ")");
  return file;
}

// A gzFile owned for one scope; read() reports corrupt or truncated gzip data by the file's name.
class GzFile {
 public:
  explicit GzFile(const std::string& path) : path_(path), file_(open_gz(path)) {
    gzbuffer(file_, 1 << 18);
  }
  ~GzFile() { gzclose(file_); }
  GzFile(const GzFile&) = delete;
  GzFile& operator=(const GzFile&) = delete;

  // Reads up to n bytes; fewer only at the end of the data. Corrupt gzip data and a .gz file cut
  // short (zlib's Z_BUF_ERROR at the end) are errors. zlib decompresses ahead, so the error may
  // belong to bytes past the ones asked for.
  int64_t read(void* dst, int64_t n) {
    int64_t done = 0;
    while (done < n) {
      const unsigned chunk = static_cast<unsigned>(std::min<int64_t>(n - done, 1 << 30));
      const int got = gzread(file_, static_cast<char*>(dst) + done, chunk);
      int code = Z_OK;
      const char* message = gzerror(file_, &code);
      STAA_CHECK(got >= 0 && code == Z_OK, path_, ": expected valid gzip data, found ",
                 code == Z_BUF_ERROR ? "a truncated .gz file" : "corrupt data",
                 " (zlib: ", zlib_reason(message), ")");
      if (got == 0) break;
      done += got;
    }
    offset_ += done;
    return done;
  }

  // The next big-endian 32-bit word; `what` says which header field it is.
  uint32_t read_u32(const char* what) {
    unsigned char b[4];
    const int64_t got = read(b, 4);
    STAA_CHECK(got == 4, path_, ": expected the 4-byte ", what, " at byte ", offset_ - got,
               ", the file ends after ", offset_, " bytes");
    return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
  }

  // Exactly n body bytes, then the end of the file; `layout` describes the header's promise.
  void read_body(uint8_t* dst, int64_t n, const std::string& layout) {
    const int64_t header = offset_;
    const int64_t got = read(dst, n);
    STAA_CHECK(got == n, path_, ": truncated: the header promises ", layout, " = ", n,
               " bytes after the ", header, "-byte header, the data holds only ", got);
    unsigned char extra = 0;
    STAA_CHECK(read(&extra, 1) == 0, path_, ": expected the file to end after ", layout, " (",
               header + n, " bytes), found more bytes after it");
  }

 private:
  std::string path_;
  gzFile file_;
  int64_t offset_ = 0;  // uncompressed bytes read so far
};

void check_magic(const std::string& path, uint32_t found, uint32_t expected, const char* kind) {
  if (found == expected) return;
  const char* hint = found == kMagicImages   ? " (this looks like an images file)"
                     : found == kMagicLabels ? " (this looks like a labels file)"
                                             : " (not an IDX file of unsigned bytes)";
  STAA_FAIL(path, ": expected the IDX ", kind, " magic number ", hex32(expected), ", found ",
            hex32(found), hint);
}

int64_t read_dim(GzFile& file, const std::string& path, const char* what) {
  const uint32_t dim = file.read_u32(what);
  STAA_CHECK(dim > 0, path, ": expected a positive ", what, ", found 0");
  return dim;
}

}  // namespace

IdxImages read_idx_images(const std::string& path) {
  GzFile file(path);
  check_magic(path, file.read_u32("magic number"), kMagicImages, "images");
  IdxImages out;
  out.path = path;
  out.count = read_dim(file, path, "image count");
  out.rows = read_dim(file, path, "row count");
  out.cols = read_dim(file, path, "column count");
  const std::string layout = std::to_string(out.count) + " images of " + std::to_string(out.rows) +
                             "x" + std::to_string(out.cols);
  // Each dim < 2^32, so rows * cols fits; compare count by division to stay clear of overflow.
  STAA_CHECK(out.count <= kMaxBodyBytes / (out.rows * out.cols), path, ": expected at most ",
             kMaxBodyBytes, " bytes of pixels, the header promises ", layout);
  const int64_t bytes = out.count * out.rows * out.cols;
  out.pixels.resize(static_cast<size_t>(bytes));
  file.read_body(out.pixels.data(), bytes, layout);
  return out;
}

IdxLabels read_idx_labels(const std::string& path, int num_classes) {
  GzFile file(path);
  check_magic(path, file.read_u32("magic number"), kMagicLabels, "labels");
  IdxLabels out;
  out.path = path;
  out.count = read_dim(file, path, "label count");
  out.labels.resize(static_cast<size_t>(out.count));
  file.read_body(out.labels.data(), out.count, std::to_string(out.count) + " labels");
  for (int64_t i = 0; i < out.count; ++i) {
    STAA_CHECK(out.labels[i] < num_classes, path, ": expected labels in [0, ", num_classes,
               "), label ", i, " is ", int{out.labels[i]});
  }
  return out;
}

}  // namespace staa::demo
