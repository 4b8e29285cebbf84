// report RUN_DIR: writes the training report of a run directory of ./train (report.html, one
// self-contained page, and report/<chart>.png) and prints their paths. Layer: tools. The trainer
// writes the same report at the end of a run; this tool redraws it, e.g. for a run in progress.
#include <cstdio>
#include <exception>
#include <string>

#include "trainer/report.h"

namespace {

constexpr const char* kUsage =
    "usage: report RUN_DIR\n\n"
    "Writes RUN_DIR/report.html (inline SVG charts of loss, accuracy, learning rate and firing\n"
    "rates per epoch, the energy table from energy.json, the run's arguments) and PNG copies of\n"
    "the charts in RUN_DIR/report/. RUN_DIR is a run directory of ./train: it needs summary.csv\n"
    "(written after the first epoch); firing_rates.csv, args.txt, command.txt and energy.json\n"
    "are used when present.\n";

}  // namespace

int main(int argc, char** argv) {
  const std::string first = argc > 1 ? argv[1] : "";
  if (first == "--help" || first == "-h") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (argc != 2 || first.empty() || first[0] == '-') {
    std::fprintf(stderr, "report: expected one argument, a run directory\n\n%s", kUsage);
    return 1;
  }
  try {
    const staa::train::ReportFiles files = staa::train::write_report(first);
    std::printf("report: %s\n", files.html.c_str());
    for (const std::string& png : files.pngs) std::printf("report: %s\n", png.c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "report: %s\n", e.what());
    return 1;
  }
}
