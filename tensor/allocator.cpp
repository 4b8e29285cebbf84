// Caching allocator: size-class free lists in front of the device's raw allocations, and the CPU
// instance over aligned_alloc. Layer: tensor.
#include "tensor/allocator.h"

#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "tensor/error.h"

namespace staa {

size_t allocator_size_class(size_t bytes) {
  if (bytes == 0) bytes = 1;
  if (bytes <= 4096) return (bytes + 63) / 64 * 64;
  // Four classes per power of two: round up to a multiple of 2^(floor(log2(bytes)) - 2).
  int top = 63 - __builtin_clzll(static_cast<unsigned long long>(bytes));
  const size_t step = size_t{1} << (top - 2);
  return (bytes + step - 1) / step * step;
}

namespace {
std::string bytes_str(size_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) v /= 1024, ++u;
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return buf;
}
}  // namespace

std::string allocator_stats_str(const AllocatorStats& s) {
  std::ostringstream out;
  out << "current " << bytes_str(s.current_bytes) << ", peak " << bytes_str(s.peak_bytes)
      << ", cached " << bytes_str(s.cached_bytes) << ", reserved " << bytes_str(s.reserved_bytes)
      << ", " << s.allocations << " allocations (" << s.cache_hits << " from the cache)";
  return out.str();
}

void* CachingAllocator::allocate(size_t bytes) {
  const size_t size = allocator_size_class(bytes);
  std::lock_guard<std::mutex> lock(mutex_);
  ++stats_.allocations;
  void* ptr = nullptr;
  auto it = free_.find(size);
  if (it != free_.end() && !it->second.empty()) {
    ptr = it->second.back();
    it->second.pop_back();
    stats_.cached_bytes -= size;
    ++stats_.cache_hits;
  } else {
    ptr = raw_allocate(size);
    if (ptr == nullptr && stats_.cached_bytes > 0) {
      release_cached_locked();  // cached blocks of other sizes may make room
      ptr = raw_allocate(size);
    }
    STAA_CHECK(ptr != nullptr, device_name(), " allocator: out of memory allocating ", bytes,
               " bytes (size class ", size, ")", memory_info(), "; allocator: ",
               allocator_stats_str(stats_));
    stats_.reserved_bytes += size;
  }
  stats_.current_bytes += size;
  stats_.peak_bytes = std::max(stats_.peak_bytes, stats_.current_bytes);
  return ptr;
}

void CachingAllocator::deallocate(void* ptr, size_t bytes) {
  if (ptr == nullptr) return;
  const size_t size = allocator_size_class(bytes);
  std::lock_guard<std::mutex> lock(mutex_);
  free_[size].push_back(ptr);
  stats_.current_bytes -= size;
  stats_.cached_bytes += size;
}

AllocatorStats CachingAllocator::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

void CachingAllocator::reset_peak() {
  std::lock_guard<std::mutex> lock(mutex_);
  stats_.peak_bytes = stats_.current_bytes;
}

void CachingAllocator::empty_cache() {
  std::lock_guard<std::mutex> lock(mutex_);
  release_cached_locked();
}

void CachingAllocator::release_cached_locked() {
  for (auto& [size, blocks] : free_) {
    for (void* p : blocks) raw_free(p);
    stats_.reserved_bytes -= size * blocks.size();
  }
  free_.clear();
  stats_.cached_bytes = 0;
}

namespace {

class CpuCachingAllocator final : public CachingAllocator {
 protected:
  void* raw_allocate(size_t bytes) override {
    return std::aligned_alloc(64, bytes);  // sizes are multiples of 64 (size classes)
  }
  void raw_free(void* ptr) override { std::free(ptr); }
  std::string device_name() const override { return "cpu"; }
};

}  // namespace

Allocator& cpu_allocator() {
  // Never destroyed: tensors in static objects may be freed after main returns.
  static auto* instance = new CpuCachingAllocator();
  return *instance;
}

}  // namespace staa
