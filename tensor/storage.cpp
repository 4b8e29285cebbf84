// Storage: owns one block from the device's caching allocator. Layer: tensor.
#include "tensor/storage.h"

#include "tensor/allocator.h"

namespace staa {

Storage::Storage(size_t bytes, Device device) : bytes_(bytes), device_(device) {
  data_ = allocator_for(device).allocate(bytes);
}

Storage::~Storage() {
  allocator_for(device_).deallocate(data_, bytes_);
}

}  // namespace staa
