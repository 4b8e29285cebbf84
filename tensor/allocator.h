// Caching allocators. Freed blocks are kept in per-size-class free lists and handed out again,
// because first-touching fresh pages costs ~100x warm memory on these machines. Layer: tensor.
// Invariant: every block returned by allocate() is 64-byte aligned and was sized to its class.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "tensor/device.h"

namespace staa {

struct AllocatorStats {
  size_t current_bytes = 0;   // bytes handed out and not yet freed
  size_t peak_bytes = 0;      // max of current_bytes since the last reset_peak()
  size_t cached_bytes = 0;    // bytes held in free lists
  size_t reserved_bytes = 0;  // bytes obtained from the system and not yet returned
  uint64_t allocations = 0;   // allocate() calls
  uint64_t cache_hits = 0;    // allocate() calls served from a free list
};

class Allocator {
 public:
  virtual ~Allocator() = default;
  virtual void* allocate(size_t bytes) = 0;
  virtual void deallocate(void* ptr, size_t bytes) = 0;
  virtual AllocatorStats stats() const = 0;
  virtual void reset_peak() = 0;
  // Returns every cached block to the system.
  virtual void empty_cache() = 0;
};

// "current 1.0 MiB, peak 2.0 MiB, cached 512 B, reserved 2.5 MiB, 12 allocations (3 from the
// cache)": the statistics as out-of-memory errors and tools print them.
std::string allocator_stats_str(const AllocatorStats& s);

// Size-class free lists in front of a device's raw allocation calls; subclasses supply those.
// A mutex guards the lists (data-loader threads allocate too). Blocks go back to the device only
// in empty_cache(), and when a raw allocation fails: then the cache is returned and the
// allocation tried once more before the out-of-memory error (which names the device, the request
// and the statistics).
class CachingAllocator : public Allocator {
 public:
  ~CachingAllocator() override = default;  // subclasses call empty_cache() in their destructor
  void* allocate(size_t bytes) override;
  void deallocate(void* ptr, size_t bytes) override;
  AllocatorStats stats() const override;
  void reset_peak() override;
  void empty_cache() override;

 protected:
  // Null when the device is out of memory (the caller then empties the cache and retries once);
  // throws on any other failure.
  virtual void* raw_allocate(size_t bytes) = 0;
  virtual void raw_free(void* ptr) = 0;
  // Names the device in errors ("cpu", "cuda:1").
  virtual std::string device_name() const = 0;
  // Extra words for the out-of-memory error (CUDA: the device's free and total memory).
  virtual std::string memory_info() const { return ""; }

 private:
  void release_cached_locked();  // empty_cache() with mutex_ held

  mutable std::mutex mutex_;
  std::unordered_map<size_t, std::vector<void*>> free_;
  AllocatorStats stats_;
};

// The size class a request of `bytes` is rounded up to: 64-byte granularity below 4 KiB, then
// four classes per power of two (at most 25% waste).
size_t allocator_size_class(size_t bytes);

// Process-wide allocator for a device. CPU always exists; CUDA exists when the backend is built
// (one per GPU; allocator_for also makes device.index the calling thread's current GPU).
Allocator& allocator_for(Device device);
Allocator& cpu_allocator();
// The caching allocator of GPU `index` when the CUDA backend is built, else null. Throws when
// index is not a GPU of this machine.
Allocator* cuda_allocator(int index);

}  // namespace staa
