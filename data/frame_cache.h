// On-disk cache of event frames: one zlib-compressed float32 [T, 2, H, W] file per sample and a
// text manifest written last (atomically), listing each file's label, size and CRC-32. Layer:
// data. A cache whose manifest is absent, unparsable, made for other options or pointing at a
// missing or resized file is rebuilt; a sample file whose CRC differs on reading is an error.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "data/dataset.h"
#include "data/frames.h"

namespace staa::data {

struct FrameCacheEntry {
  int64_t label = 0;
  std::string file;  // a plain file name inside the cache folder
  uint64_t bytes = 0;
  uint32_t crc32 = 0;
};

struct FrameManifest {
  std::string key;  // what the frames were made from (dataset, root, split, options)
  int64_t frames = 0, height = 0, width = 0, num_classes = 0;
  std::vector<FrameCacheEntry> entries;
};

std::string format_manifest(const FrameManifest& manifest);
// Strict parse; `path` names the manifest in errors.
FrameManifest parse_manifest(const std::string& text, const std::string& path);

// What to cache: recordings (groups), each yielding one or more labelled event streams.
struct EventSource {
  std::string key;
  int64_t num_classes = 0;
  FrameOptions frames;
  std::vector<int64_t> group_sizes;  // samples each group yields, in sample order
  // The samples of group g, in order: (label, events, source name for errors).
  struct Item {
    int64_t label = 0;
    std::vector<Event> events;
    std::string source;
  };
  std::function<std::vector<Item>(int64_t group)> read_group;
};

class FrameCache : public Dataset {
 public:
  // Opens dir's cache when its manifest matches source; else builds it with `threads` threads.
  FrameCache(const std::string& dir, const EventSource& source, int threads = 2);
  int64_t size() const override { return static_cast<int64_t>(manifest_.entries.size()); }
  int64_t num_classes() const override { return manifest_.num_classes; }
  Sample get(int64_t index) const override;  // [T, 2, H, W] counts
  int64_t label(int64_t index) const override;
  bool rebuilt() const { return rebuilt_; }
  const std::string& dir() const { return dir_; }

 private:
  // Empty when the manifest in dir_ is valid for source, else the reason it is not.
  std::string validate(const EventSource& source, int64_t samples);
  void build(const EventSource& source, int threads);
  std::string dir_;
  FrameManifest manifest_;
  bool rebuilt_ = false;
};

inline constexpr const char* kManifestName = "manifest.txt";

}  // namespace staa::data
