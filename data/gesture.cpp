// DVS128 Gesture (see gesture.h). Layer: data. CSV rows are validated one by one (three
// integers, class in 1..11, start < end) and errors give the line number.
#include "data/gesture.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <sstream>

#include "data/download.h"
#include "data/io.h"
#include "tensor/error.h"

namespace staa::data {
namespace {

namespace fs = std::filesystem;

std::string strip(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t\r\n");
  if (a == std::string::npos) return "";
  const size_t b = s.find_last_not_of(" \t\r\n");
  return s.substr(a, b - a + 1);
}

bool parse_int(const std::string& text, int64_t& value) {
  const std::string t = strip(text);
  const char* end = t.data() + t.size();
  const auto [ptr, ec] = std::from_chars(t.data(), end, value);
  return !t.empty() && ec == std::errc() && ptr == end;
}

std::string folder_of(const std::string& root, const std::string& hint) {
  const fs::path inner = fs::path(root) / "DvsGesture";
  std::error_code ec;
  if (fs::is_directory(inner, ec)) return inner.string();
  require_directory(root, "DVS128 Gesture folder", hint);
  return root;
}

}  // namespace

std::vector<GestureSegment> parse_gesture_labels(const std::string& text, const std::string& path) {
  std::istringstream in(text);
  std::string line;
  STAA_CHECK(std::getline(in, line) && strip(line).rfind("class", 0) == 0, path,
             ": expected the header 'class,startTime_usec,endTime_usec', found '",
             strip(line).substr(0, 40), "'");
  std::vector<GestureSegment> out;
  for (int64_t number = 2; std::getline(in, line); ++number) {
    if (strip(line).empty()) continue;
    std::vector<std::string> fields;
    std::istringstream row(line);
    for (std::string f; std::getline(row, f, ',');) fields.push_back(f);
    GestureSegment s;
    int64_t cls = 0;
    STAA_CHECK(fields.size() == 3 && parse_int(fields[0], cls) &&
                   parse_int(fields[1], s.start_us) && parse_int(fields[2], s.end_us),
               path, ": line ", number, ": expected three integers 'class,start,end', found '",
               strip(line).substr(0, 60), "'");
    STAA_CHECK(cls >= 1 && cls <= kGestureClasses, path, ": line ", number,
               ": expected a class in [1, 11], found ", cls);
    STAA_CHECK(s.start_us >= 0 && s.start_us < s.end_us, path, ": line ", number,
               ": expected 0 <= start < end, found start ", s.start_us, ", end ", s.end_us);
    s.label = cls - 1;
    out.push_back(s);
  }
  STAA_CHECK(!out.empty(), path, ": expected at least one gesture row, found none");
  return out;
}

std::vector<std::string> parse_trial_list(const std::string& text, const std::string& path) {
  std::istringstream in(text);
  std::vector<std::string> out;
  std::string line;
  for (int64_t number = 1; std::getline(in, line); ++number) {
    const std::string name = strip(line);
    if (name.empty()) continue;
    STAA_CHECK(name.size() > 6 && name.substr(name.size() - 6) == ".aedat" &&
                   name.find('/') == std::string::npos,
               path, ": line ", number, ": expected a file name ending in .aedat, found '",
               name.substr(0, 60), "'");
    out.push_back(name);
  }
  STAA_CHECK(!out.empty(), path, ": expected at least one trial, found none");
  return out;
}

std::vector<std::vector<Event>> slice_events(const std::vector<Event>& events,
                                             const std::vector<GestureSegment>& segments) {
  std::vector<std::vector<Event>> out;
  for (const GestureSegment& s : segments) {
    std::vector<Event> part;
    for (const Event& e : events) {
      if (e.t >= s.start_us && e.t < s.end_us) part.push_back(e);
    }
    out.push_back(std::move(part));
  }
  return out;
}

std::shared_ptr<FrameCache> dvs128_gesture(const std::string& root, bool train,
                                           const GestureOptions& options) {
  const std::string hint = how_to_get("dvs128-gesture", root);
  const std::string folder = folder_of(root, hint);
  const std::string list_path =
      (fs::path(folder) / (train ? "trials_to_train.txt" : "trials_to_test.txt")).string();
  const Bytes list_bytes = read_file(list_path, hint);
  const std::vector<std::string> trials =
      parse_trial_list(std::string(list_bytes.begin(), list_bytes.end()), list_path);
  auto segments = std::make_shared<std::vector<std::vector<GestureSegment>>>();
  EventSource source;
  for (const std::string& trial : trials) {
    const std::string csv =
        (fs::path(folder) / (trial.substr(0, trial.size() - 6) + "_labels.csv")).string();
    const Bytes bytes = read_file(csv, hint);
    segments->push_back(parse_gesture_labels(std::string(bytes.begin(), bytes.end()), csv));
    source.group_sizes.push_back(static_cast<int64_t>(segments->back().size()));
  }
  const FrameOptions& f = options.frames;
  source.key = std::string("dvs128-gesture ") + (train ? "train " : "test ") +
               fs::absolute(folder).string() + " T=" + std::to_string(f.frames) +
               " split=" + split_by_name(f.split_by);
  source.num_classes = kGestureClasses;
  source.frames = f;
  source.read_group = [folder, trials, segments, hint](int64_t g) {
    const std::string path = (fs::path(folder) / trials[static_cast<size_t>(g)]).string();
    const std::vector<Event> events = read_aedat3(path, hint);
    const auto& segs = (*segments)[static_cast<size_t>(g)];
    std::vector<std::vector<Event>> parts = slice_events(events, segs);
    std::vector<EventSource::Item> items;
    for (size_t k = 0; k < parts.size(); ++k) {
      items.push_back(
          {segs[k].label, std::move(parts[k]), path + " (CSV row " + std::to_string(k + 2) + ")"});
    }
    return items;
  };
  const std::string dir =
      !options.cache_dir.empty()
          ? options.cache_dir
          : (fs::path(root) / ("frames_" + std::string(train ? "train" : "test") + "_T" +
                               std::to_string(f.frames) + "_" + split_by_name(f.split_by)))
                .string();
  return std::make_shared<FrameCache>(dir, source, options.threads);
}

}  // namespace staa::data
