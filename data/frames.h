// Events -> frames (spec §5): T frames of [2, H, W] event counts per polarity. Layer: data.
// Split by count: d = floor(N / T), frame j takes events [j*d, (j+1)*d), the last frame runs to N.
// Split by time: equal windows of floor((t_last - t_first) / T) microseconds from t_first, the last
// frame runs to t_last. Events must lie inside the H x W sensor; one outside is an error.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/aedat.h"

namespace staa::data {

enum class SplitBy { kCount, kTime };

struct FrameOptions {
  int64_t frames = 16;  // T
  SplitBy split_by = SplitBy::kCount;
  int64_t height = 128;
  int64_t width = 128;
};

// [T, 2, H, W] counts, row-major; `source` names the recording in errors.
std::vector<float> events_to_frames(const std::vector<Event>& events, const FrameOptions& options,
                                    const std::string& source);

const char* split_by_name(SplitBy split_by);  // "count" or "time"

}  // namespace staa::data
