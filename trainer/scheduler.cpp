// The cosine schedule with warmup (train/scheduler.h). Layer: train.
#include "trainer/scheduler.h"

#include <algorithm>
#include <cmath>

namespace staa::train {

double CosineSchedule::lr(int64_t step) const {
  if (step < warmup_steps)
    return base_lr * static_cast<double>(step + 1) / static_cast<double>(warmup_steps);
  const int64_t span = std::max<int64_t>(1, total_steps - warmup_steps);
  const double progress = std::min(1.0, static_cast<double>(step - warmup_steps) / span);
  return floor_lr + (base_lr - floor_lr) * 0.5 * (1.0 + std::cos(M_PI * progress));
}

}  // namespace staa::train
