// CUDA memory: one caching allocator per GPU, the thread's current GPU, pinned staging for host
// -> device copies, synchronisation and the public device API (tensor/cuda_api.h). Layer:
// tensor/cuda. Invariants: every kernel and copy of staa runs on the legacy default stream of
// its GPU, in issue order; so a block freed on the host while queued kernels still read it can
// be handed out again at once (whatever uses it next is queued after them), and a staging buffer
// is rewritten only after the event recorded behind its copy has completed.
#include <cuda_runtime.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "tensor/allocator.h"
#include "tensor/backend.h"
#include "tensor/cuda/cuda_check.h"
#include "tensor/cuda/memory.h"
#include "tensor/cuda_api.h"

namespace staa {
namespace {

thread_local int t_current_device = -1;  // what cuda_set_device last selected on this thread

class CudaCachingAllocator final : public CachingAllocator {
 public:
  explicit CudaCachingAllocator(int index) : index_(index) {}

 protected:
  void* raw_allocate(size_t bytes) override {
    cuda_set_device(index_);
    void* ptr = nullptr;
    const cudaError_t err = cudaMalloc(&ptr, bytes);
    if (err == cudaErrorMemoryAllocation) {
      (void)cudaGetLastError();  // clear it, or the next launch check would report it
      return nullptr;
    }
    STAA_CUDA_CHECK(err);
    return ptr;
  }
  // cudaFree waits for the GPU, so no queued kernel still uses the block.
  void raw_free(void* ptr) override {
    cuda_set_device(index_);
    STAA_CUDA_CHECK(cudaFree(ptr));
  }
  std::string device_name() const override { return "cuda:" + std::to_string(index_); }
  std::string memory_info() const override {
    size_t free = 0, total = 0;
    if (cudaMemGetInfo(&free, &total) != cudaSuccess) {
      (void)cudaGetLastError();
      return "";
    }
    return "; the GPU has " + std::to_string(free) + " of " + std::to_string(total) +
           " bytes free";
  }

 private:
  int index_;
};

// Pinned host buffers, each with the event recorded after the copy that reads it. A ring: the
// oldest slot is reused when its copy has finished; while it has not, a new slot is added (up to
// max_slots, so the host may run that many copies ahead of the GPU), after that the host waits
// for the oldest copy.
class StagingRing {
 public:
  StagingRing(size_t max_slots, size_t min_capacity)
      : max_slots_(max_slots), min_capacity_(min_capacity) {}

  // A slot whose previous copy has finished and that holds at least `bytes`.
  void* acquire(size_t bytes, cudaEvent_t& done) {
    size_t i = next_;
    if (slots_.empty() || (slots_[i].pending && !finished(slots_[i]) &&
                           slots_.size() < max_slots_)) {
      slots_.insert(slots_.begin() + static_cast<std::ptrdiff_t>(i), Slot{});  // newest
    }
    Slot& s = slots_[i];
    next_ = (i + 1) % slots_.size();
    if (s.pending) STAA_CUDA_CHECK(cudaEventSynchronize(s.done));
    s.pending = false;
    if (s.capacity < bytes) {
      if (s.host != nullptr) STAA_CUDA_CHECK(cudaFreeHost(s.host));
      s.host = nullptr;
      s.capacity = 0;  // until the new buffer exists: a failed allocation leaves an empty slot
      const size_t capacity = std::max(min_capacity_, std::bit_ceil(bytes));
      STAA_CUDA_CHECK(cudaHostAlloc(&s.host, capacity, cudaHostAllocPortable));
      s.capacity = capacity;
    }
    if (s.done == nullptr) STAA_CUDA_CHECK(cudaEventCreateWithFlags(&s.done, cudaEventDisableTiming));
    s.pending = true;  // the caller records s.done right after queueing its copy
    done = s.done;
    return s.host;
  }

 private:
  struct Slot {
    void* host = nullptr;
    size_t capacity = 0;
    cudaEvent_t done = nullptr;
    bool pending = false;  // an event was recorded behind a copy reading host
  };
  static bool finished(const Slot& s) {
    const cudaError_t err = cudaEventQuery(s.done);
    if (err == cudaErrorNotReady) return false;
    STAA_CUDA_CHECK(err);
    return true;
  }

  std::vector<Slot> slots_;
  size_t next_ = 0;  // the oldest slot
  size_t max_slots_, min_capacity_;
};

// Copies up to kSmallCopy bytes (labels, masks, scalars: many per step) take one of up to 256
// small slots; larger ones (input batches) go in chunks of at most kChunk through up to 8 large
// slots. Pinned memory stays bounded: 256 x 64 KiB + 8 x 32 MiB per GPU at most.
constexpr size_t kSmallCopy = size_t{64} << 10;
constexpr size_t kChunk = size_t{32} << 20;

struct DeviceMemory {
  explicit DeviceMemory(int index) : allocator(index) {}
  CudaCachingAllocator allocator;
  std::mutex staging_mutex;
  StagingRing small{256, kSmallCopy}, large{8, size_t{1} << 20};
};

// One per GPU, made on first use and never destroyed (tensors in static objects may be freed
// after main returns).
const std::vector<DeviceMemory*>& devices() {
  static const auto* all = [] {
    auto* v = new std::vector<DeviceMemory*>();
    for (int i = 0; i < cuda::device_count(); ++i) v->push_back(new DeviceMemory(i));
    return v;
  }();
  return *all;
}

DeviceMemory& device_memory(int index) {
  const auto& all = devices();
  STAA_CHECK(index >= 0 && index < static_cast<int>(all.size()), "device cuda:", index,
             ": no such GPU (this machine has ", all.size(), ")");
  return *all[index];
}

}  // namespace

// ---- the hooks of the public API (tensor/backend.cpp) -----------------------------------------

namespace cuda {

int device_count() {
  static const int count = [] {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
      (void)cudaGetLastError();  // no driver or no GPU: not an error of a later call
      return 0;
    }
    return n;
  }();
  return count;
}

void set_device(int index) {
  if (index == t_current_device) return;
  const int count = device_count();
  STAA_CHECK(index >= 0 && index < count, "device cuda:", index, ": no such GPU (this machine has ",
             count, ")");
  STAA_CUDA_CHECK(cudaSetDevice(index));
  t_current_device = index;
}

void synchronize(int index) {
  set_device(index);
  STAA_CUDA_CHECK(cudaDeviceSynchronize());
}

Allocator* allocator(int index) {
  if (device_count() == 0) return nullptr;
  return &device_memory(index).allocator;
}

}  // namespace cuda

// ---- copies -----------------------------------------------------------------------------------

namespace cuda {

int current_device() {
  if (t_current_device < 0) {
    int index = 0;
    STAA_CUDA_CHECK(cudaGetDevice(&index));
    t_current_device = index;
  }
  return t_current_device;
}

void copy_from_host(const void* src, void* dst, size_t bytes) {
  if (bytes == 0) return;
  DeviceMemory& mem = device_memory(current_device());
  std::lock_guard<std::mutex> lock(mem.staging_mutex);
  StagingRing& ring = bytes <= kSmallCopy ? mem.small : mem.large;
  for (size_t at = 0; at < bytes; at += kChunk) {
    const size_t n = std::min(kChunk, bytes - at);
    cudaEvent_t done = nullptr;
    void* staging = ring.acquire(n, done);
    std::memcpy(staging, static_cast<const char*>(src) + at, n);
    STAA_CUDA_CHECK(cudaMemcpyAsync(static_cast<char*>(dst) + at, staging, n,
                                    cudaMemcpyHostToDevice, cudaStreamLegacy));
    STAA_CUDA_CHECK(cudaEventRecord(done, cudaStreamLegacy));
  }
}

void copy_to_host(const void* src, void* dst, size_t bytes) {
  if (bytes == 0) return;
  // A copy into pageable memory on the legacy stream: it runs after every queued kernel and
  // returns when the bytes are in dst.
  STAA_CUDA_CHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost));
}

}  // namespace cuda
}  // namespace staa
