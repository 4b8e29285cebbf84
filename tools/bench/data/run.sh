#!/usr/bin/env bash
# Builds data_bench in build/ and runs it on 2 threads (1 then 2 loader workers). The peer is the
# issue's 5,000 images/s target (torchvision is not installed here): last line
# `ratio target: <images/s with 2 workers / 5000>`. See NOTES.md. Usage: run.sh [batches=200]
set -euo pipefail
cd "$(dirname "$0")/../../.."
bench=${DATA_BENCH:-}
if [ -z "$bench" ]; then
  cmake -S . -B build -DCMAKE_BUILD_TYPE=Release > /dev/null
  cmake --build build --target data_bench -j2 > /dev/null
  bench=build/tools/bench/data/data_bench
fi
echo "run.sh:$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2), load: $(cut -d' ' -f1-3 /proc/loadavg)"
OMP_NUM_THREADS=2 "$bench" "${1:-200}"
