// The training report: one self-contained HTML file (inline SVG charts of loss, accuracy,
// learning rate and firing rates per epoch, the energy table, the run's arguments) and PNG copies
// of the charts, written into the run directory. Layer: trainer. Invariants: the HTML loads
// nothing from elsewhere and needs no script; all text taken from files is HTML-escaped; every
// series in the report has its own colour (a screenshot test tells the charts apart by them).
#pragma once

#include <string>
#include <vector>

#include "trainer/plot.h"
#include "trainer/run_record.h"

namespace staa::train {

struct ReportFiles {
  std::string html;               // <run_dir>/report.html
  std::vector<std::string> pngs;  // <run_dir>/report/<chart id>.png, one per chart
};

// The charts of a run, in report order: loss, accuracy, lr, firing_layers, firing_epochs.
std::vector<Chart> report_charts(const RunRecord& run);
std::string report_html(const RunRecord& run, const std::vector<Chart>& charts);

// Reads `run_dir` (see read_run for what must be there) and writes the HTML and the PNGs.
ReportFiles write_report(const std::string& run_dir);

}  // namespace staa::train
