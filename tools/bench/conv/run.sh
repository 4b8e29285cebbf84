#!/usr/bin/env bash
# Builds conv_bench in build/ and runs, in one go and on 2 threads each, staa's conv2d, PyTorch
# with glibc malloc and PyTorch with jemalloc (LD_PRELOAD), in interleaved rounds; report.py prints
# per shape GFLOP/s and the ratios torch time / our time, then the geometric means, the last line
# `ratio pytorch: <geomean of fwd+bwd ratios vs PyTorch + jemalloc>`. Installs python3-torch and
# libjemalloc2 (Debian, as root) when missing. See NOTES.md here.
# Usage: tools/bench/conv/run.sh [reps=5] [rounds=3]   (CONV_BENCH=<binary> skips the build)
set -euo pipefail
cd "$(dirname "$0")/../../.."
here=tools/bench/conv
reps=${1:-5}
rounds=${2:-3}
source tools/bench/torch_peer.sh
bench=$(build_bench conv_bench "${CONV_BENCH:-}" build/tools/bench/conv/conv_bench)

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)
echo "run.sh:$cpu, load: $(cut -d' ' -f1-3 /proc/loadavg)"
results=$(mktemp)
trap 'rm -f "$results"' EXIT
# Rounds alternate the three runs so a slow spell on the shared machine hits all of them.
for round in $(seq "$rounds"); do
  OMP_NUM_THREADS=2 "$bench" "$here/shapes.txt" "$reps" 128 >>"$results"
  OMP_NUM_THREADS=2 "$python" "$here/conv_bench_torch.py" "$here/shapes.txt" torch_stock "$reps" \
    128 2 >>"$results"
  OMP_NUM_THREADS=2 LD_PRELOAD=$jemalloc "$python" "$here/conv_bench_torch.py" "$here/shapes.txt" \
    torch_jemalloc "$reps" 128 2 >>"$results"
done
echo "run.sh: load after: $(cut -d' ' -f1-3 /proc/loadavg)"
"$python" "$here/report.py" "$here/shapes.txt" "$results" 128
