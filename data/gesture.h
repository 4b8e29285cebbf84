// DVS128 Gesture (spec §5): AEDAT 3.1 recordings userXX_<lighting>.aedat, each with a labels CSV
// (class 1..11, startTime_usec, endTime_usec) whose rows slice it into samples, and the trial
// lists trials_to_train.txt / trials_to_test.txt. Layer: data. The real set gives 1176 train /
// 288 test samples of 11 classes; frames go through the frame cache.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/frame_cache.h"

namespace staa::data {

struct GestureSegment {
  int64_t label = 0;  // class - 1, in [0, 11)
  int64_t start_us = 0;
  int64_t end_us = 0;  // exclusive
};

inline constexpr int64_t kGestureClasses = 11;

// The labels CSV: a header line "class,startTime_usec,endTime_usec", then one row per gesture.
std::vector<GestureSegment> parse_gesture_labels(const std::string& text, const std::string& path);
// A trial list: one .aedat file name per line (blank lines ignored).
std::vector<std::string> parse_trial_list(const std::string& text, const std::string& path);
// The events of `events` with start_us <= t < end_us, for each segment, in CSV order.
std::vector<std::vector<Event>> slice_events(const std::vector<Event>& events,
                                             const std::vector<GestureSegment>& segments);

struct GestureOptions {
  FrameOptions frames{16, SplitBy::kCount, 128, 128};
  std::string cache_dir;  // empty: <root>/frames_<train|test>_T<T>_<split>
  int threads = 2;        // threads that build the cache
};

// root: the folder holding DvsGesture/ (or DvsGesture/ itself).
std::shared_ptr<FrameCache> dvs128_gesture(const std::string& root, bool train,
                                           const GestureOptions& options = {});

}  // namespace staa::data
