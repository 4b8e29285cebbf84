// CPU caching allocator: size-class free lists in front of aligned_alloc. Layer: tensor.
// Blocks are never returned to the system until empty_cache(); a mutex guards the lists (the
// data-loader threads allocate too). Statistics count bytes by size class.
#include "tensor/allocator.h"

#include <cstdlib>
#include <mutex>
#include <unordered_map>
#include <vector>

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

class CpuCachingAllocator final : public Allocator {
 public:
  ~CpuCachingAllocator() override { empty_cache(); }

  void* allocate(size_t bytes) override {
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
      ptr = std::aligned_alloc(64, size);
      STAA_CHECK(ptr != nullptr, "cpu allocator: out of memory allocating ", size, " bytes (",
                 stats_.reserved_bytes, " bytes already reserved)");
      stats_.reserved_bytes += size;
    }
    stats_.current_bytes += size;
    stats_.peak_bytes = std::max(stats_.peak_bytes, stats_.current_bytes);
    return ptr;
  }

  void deallocate(void* ptr, size_t bytes) override {
    if (ptr == nullptr) return;
    const size_t size = allocator_size_class(bytes);
    std::lock_guard<std::mutex> lock(mutex_);
    free_[size].push_back(ptr);
    stats_.current_bytes -= size;
    stats_.cached_bytes += size;
  }

  AllocatorStats stats() const override {
    std::lock_guard<std::mutex> lock(mutex_);
    return stats_;
  }

  void reset_peak() override {
    std::lock_guard<std::mutex> lock(mutex_);
    stats_.peak_bytes = stats_.current_bytes;
  }

  void empty_cache() override {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& [size, blocks] : free_) {
      for (void* p : blocks) std::free(p);
      stats_.reserved_bytes -= size * blocks.size();
    }
    free_.clear();
    stats_.cached_bytes = 0;
  }

 private:
  mutable std::mutex mutex_;
  std::unordered_map<size_t, std::vector<void*>> free_;
  AllocatorStats stats_;
};

}  // namespace

Allocator& cpu_allocator() {
  // Never destroyed: tensors in static objects may be freed after main returns.
  static auto* instance = new CpuCachingAllocator();
  return *instance;
}

}  // namespace staa
