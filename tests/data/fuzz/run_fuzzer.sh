#!/usr/bin/env bash
# Runs one fuzz target for SECONDS on a copy of its seed corpus; a crash leaves its input in
# OUT_DIR/artifacts/ and fails the test (turn it into a regression test in tests/data/).
# Usage: run_fuzzer.sh OUT_DIR NAME SECONDS
set -euo pipefail
out=$1
name=$2
seconds=$3
work="$out/work/$name"
rm -rf "$work"
mkdir -p "$work/corpus" "$out/artifacts"
"$out/$name" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$out/artifacts/$name-" "$work/corpus" "$out/seeds/$name" 2>&1 | tail -n 25
