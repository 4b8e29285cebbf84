// Learning-rate schedule per optimisation step: optional linear warmup, then cosine annealing from
// the base rate to a floor over the remaining steps (spec §4: cosine to 0 over the run). Layer:
// train. Pure function of the step, so a resumed run needs only the step count.
#pragma once

#include <cstdint>

namespace staa::train {

struct CosineSchedule {
  double base_lr = 0.1;
  double floor_lr = 0.0;
  int64_t total_steps = 1;   // the whole run
  int64_t warmup_steps = 0;  // linear from base/warmup to base over these

  // The rate for step s (0-based): warmup (s + 1) / warmup * base, then
  // floor + (base - floor) (1 + cos(pi (s - warmup) / (total - warmup))) / 2.
  double lr(int64_t step) const;
};

}  // namespace staa::train
