// Dataset downloads: a table of public URLs with the checksums their authors publish, fetched with
// the curl program, verified (MD5), and extracted with tar / unzip. Layer: data. A file whose
// checksum does not match is deleted and reported, never extracted; how_to_get() is the hint every
// loader appends to its "file not found" errors.
#pragma once

#include <string>
#include <vector>

namespace staa::data {

enum class Extract { kNone, kTarGz, kZip };

struct Resource {
  std::string file;  // name in the download folder
  std::string url;
  std::string md5;  // 32 lowercase hex digits
  Extract extract = Extract::kNone;
};

struct DownloadSpec {
  std::string name;    // "cifar10", "cifar100", "fashion-mnist", "cifar10-dvs"
  std::string title;   // human name
  std::string layout;  // what lies in root after extraction
  std::vector<Resource> resources;
};

// The built-in table (see download.cpp for where each URL and checksum comes from).
const std::vector<DownloadSpec>& download_table();
// The entry for name; throws listing the known names (and the manual route for DVS128 Gesture).
const DownloadSpec& download_spec(const std::string& name);

struct DownloadOptions {
  bool progress = true;       // curl's progress bar on stderr
  std::string curl = "curl";  // the program
  bool keep_archives = true;  // false: delete archives after extraction
};

// Fetches every resource of spec into root (created if missing), verifies its MD5, extracts it
// into root. A resource already present with the right checksum is not fetched again.
void download(const DownloadSpec& spec, const std::string& root,
              const DownloadOptions& options = {});
void download(const std::string& name, const std::string& root,
              const DownloadOptions& options = {});

// One sentence telling a user how to get dataset `name` into root (for error messages).
std::string how_to_get(const std::string& name, const std::string& root);

// The manual route for DVS128 Gesture (IBM gives no direct URL).
std::string dvs128_gesture_instructions(const std::string& root);

}  // namespace staa::data
