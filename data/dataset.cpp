// Subset and class counts (see dataset.h). Layer: data.
#include "data/dataset.h"

#include "tensor/error.h"

namespace staa::data {

Subset::Subset(std::shared_ptr<const Dataset> base, std::vector<int64_t> indices)
    : base_(std::move(base)), indices_(std::move(indices)) {
  STAA_CHECK(base_ != nullptr, "Subset: expected a dataset, found null");
  for (const int64_t i : indices_) {
    STAA_CHECK(i >= 0 && i < base_->size(), "Subset: expected indices in [0, ", base_->size(),
               "), found ", i);
  }
}

int64_t Subset::base_index(int64_t index) const {
  STAA_CHECK(index >= 0 && index < size(), "Subset: expected an index in [0, ", size(), "), found ",
             index);
  return indices_[static_cast<size_t>(index)];
}

Sample Subset::get(int64_t index) const {
  return base_->get(base_index(index));
}
int64_t Subset::label(int64_t index) const {
  return base_->label(base_index(index));
}

std::vector<int64_t> class_counts(const Dataset& dataset) {
  std::vector<int64_t> counts(static_cast<size_t>(dataset.num_classes()), 0);
  for (int64_t i = 0; i < dataset.size(); ++i) {
    const int64_t c = dataset.label(i);
    STAA_CHECK(c >= 0 && c < dataset.num_classes(), "class_counts: expected labels in [0, ",
               dataset.num_classes(), "), sample ", i, " has ", c);
    ++counts[static_cast<size_t>(c)];
  }
  return counts;
}

}  // namespace staa::data
