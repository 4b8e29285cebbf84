#!/usr/bin/env bash
# Builds snn_bench in build/ and runs, on 2 threads each and each configuration in its own process
# (so peak RSS is its own), staa's ResNet-20 step and PyTorch's (snn_bench_torch.py) with glibc
# malloc and with jemalloc (LD_PRELOAD): LIF training, STAA-LIF training, STAA-LIF inference, at
# B = 32, T = 4, 32x32, 10 classes, in interleaved rounds. report.py prints the table; its last line
# is `ratio pytorch: <geomean of the speed ratios vs PyTorch + jemalloc>`. Installs python3-torch
# and libjemalloc2 (Debian, as root) when missing. See NOTES.md here.
# Usage: tools/bench/snn/run.sh [reps=5] [rounds=2] [batch=32]   (SNN_BENCH=<binary> skips the build)
set -euo pipefail
cd "$(dirname "$0")/../../.."
here=tools/bench/snn
reps=${1:-5}
rounds=${2:-2}
batch=${3:-32}
source tools/bench/torch_peer.sh
bench=$(build_bench snn_bench "${SNN_BENCH:-}" build/tools/bench/snn/snn_bench)

echo "run.sh:$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2), load: $(cut -d' ' -f1-3 /proc/loadavg)"
results=$(mktemp)
trap 'rm -f "$results"' EXIT
configs=("lif train" "staa train" "staa infer")
for round in $(seq "$rounds"); do
  for config in "${configs[@]}"; do
    # shellcheck disable=SC2086
    OMP_NUM_THREADS=2 "$bench" $config "$reps" "$batch" 4 | tee -a "$results"
    OMP_NUM_THREADS=2 "$python" "$here/snn_bench_torch.py" torch_stock $config "$reps" "$batch" 4 2 \
      | tee -a "$results"
    OMP_NUM_THREADS=2 LD_PRELOAD=$jemalloc "$python" "$here/snn_bench_torch.py" torch_jemalloc \
      $config "$reps" "$batch" 4 2 | tee -a "$results"
  done
done
echo "run.sh: load after: $(cut -d' ' -f1-3 /proc/loadavg)"
"$python" "$here/report.py" "$results" "$batch"
