// Progress output of the loop: on a terminal one line redrawn in place; into a pipe or a file a
// plain line every `interval` steps; never both. Layer: train.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace staa::train {

struct ProgressLine {
  std::string phase;  // "train" or "test"
  int64_t epoch = 0, epochs = 0;
  int64_t step = 0, steps = 0;  // within the phase
  double loss = 0, accuracy = 0, lr = 0, images_per_s = 0, eta_s = 0;
};

class Progress {
 public:
  // tty: redraw in place (defaults to isatty of out); interval: steps between plain lines.
  explicit Progress(std::FILE* out = stdout, int64_t interval = 50, int tty = -1);
  // Reports a step; prints now when redrawing, or when the step is a multiple of the interval
  // (or the last of the phase).
  void update(const ProgressLine& line);
  // Ends a redrawn line (before other output).
  void finish();
  bool tty() const { return tty_; }

  static std::string format(const ProgressLine& line);

 private:
  std::FILE* out_;
  int64_t interval_;
  bool tty_;
  bool open_line_ = false;
};

}  // namespace staa::train
