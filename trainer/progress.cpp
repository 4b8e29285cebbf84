// Terminal and plain progress lines (train/progress.h). Layer: train.
#include "trainer/progress.h"

#include <unistd.h>

namespace staa::train {

Progress::Progress(std::FILE* out, int64_t interval, int tty)
    : out_(out),
      interval_(interval > 0 ? interval : 1),
      tty_(tty >= 0 ? tty != 0 : isatty(fileno(out)) != 0) {}

std::string Progress::format(const ProgressLine& l) {
  char eta[32];
  const int64_t s = static_cast<int64_t>(l.eta_s);
  std::snprintf(eta, sizeof eta, "%lld:%02lld:%02lld", static_cast<long long>(s / 3600),
                static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60));
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "%s epoch %lld/%lld step %lld/%lld loss %.4f acc %.2f%% lr %.5f %.1f img/s "
                "eta %s",
                l.phase.c_str(), static_cast<long long>(l.epoch), static_cast<long long>(l.epochs),
                static_cast<long long>(l.step), static_cast<long long>(l.steps), l.loss,
                100.0 * l.accuracy, l.lr, l.images_per_s, eta);
  return buf;
}

void Progress::update(const ProgressLine& line) {
  if (tty_) {
    std::fprintf(out_, "\r\033[K%s", format(line).c_str());
    open_line_ = true;
  } else if (line.step % interval_ == 0 || line.step == line.steps) {
    std::fprintf(out_, "%s\n", format(line).c_str());
  }
  std::fflush(out_);
}

void Progress::finish() {
  if (open_line_) std::fprintf(out_, "\n");
  open_line_ = false;
  std::fflush(out_);
}

}  // namespace staa::train
