// Events -> frames (see frames.h). Layer: data. Events are assumed in file order (timestamps
// non-decreasing); the time split assigns each event by its own timestamp, so it stays correct
// even where a file is not sorted.
#include "data/frames.h"

#include "tensor/error.h"

namespace staa::data {

const char* split_by_name(SplitBy split_by) {
  return split_by == SplitBy::kCount ? "count" : "time";
}

std::vector<float> events_to_frames(const std::vector<Event>& events, const FrameOptions& options,
                                    const std::string& source) {
  const int64_t T = options.frames, H = options.height, W = options.width;
  STAA_CHECK(T > 0 && H > 0 && W > 0, "events_to_frames: expected positive T, H, W, found T=", T,
             " H=", H, " W=", W);
  std::vector<float> frames(static_cast<size_t>(T * 2 * H * W), 0.0f);
  const int64_t n = static_cast<int64_t>(events.size());
  if (n == 0) return frames;
  int64_t t0 = events.front().t, t1 = events.front().t;
  for (const Event& e : events) {
    t0 = std::min(t0, e.t);
    t1 = std::max(t1, e.t);
  }
  const int64_t per_frame = n / T;
  const int64_t window = (t1 - t0) / T;
  for (int64_t i = 0; i < n; ++i) {
    const Event& e = events[static_cast<size_t>(i)];
    STAA_CHECK(e.x >= 0 && e.x < W && e.y >= 0 && e.y < H && (e.p == 0 || e.p == 1), source,
               ": expected events inside the ", W, "x", H, " sensor with polarity 0/1, event ", i,
               " is (x=", e.x, ", y=", e.y, ", p=", e.p, ")");
    int64_t j;
    if (options.split_by == SplitBy::kCount) {
      j = per_frame > 0 ? std::min(i / per_frame, T - 1) : T - 1;
    } else {
      j = window > 0 ? std::min((e.t - t0) / window, T - 1) : T - 1;
    }
    frames[static_cast<size_t>(((j * 2 + e.p) * H + e.y) * W + e.x)] += 1.0f;
  }
  return frames;
}

}  // namespace staa::data
