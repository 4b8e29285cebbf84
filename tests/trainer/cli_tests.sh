#!/usr/bin/env bash
# The trainer end to end (tests/trainer/CMakeLists.txt runs each case as its own CTest):
#   cli_tests.sh <staa-train> <ckpt_equal> <case>
# smoke: a few hundred steps on a Fashion-MNIST subset learn (test top-1 > 40 %, chance is 10 %);
# resume: 8 steps straight == 4 steps, a new process resuming, 4 more (bit-identical weights and
# momentum); kill: 50 kill -9 at random moments of a run that saves every step, each followed by a
# successful load of the newest save; nan: an injected NaN stops the run naming the step and the
# layer; sigint: Ctrl-C saves and exits with 130; options: a bad option (or a device this machine
# lacks) names itself and the allowed values. Fashion-MNIST comes from Debian's
# dataset-fashion-mnist.
set -uo pipefail
bin=$1
equal=$2
case=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} OMP_WAIT_POLICY=passive
fail() { echo "FAIL ($case): $*"; exit 1; }
common=(fashion-mnist tiny output_dir="$work/runs" log_interval=1000 test_subset=64)

case $case in
  smoke)
    out=$("$bin" fashion-mnist small output_dir="$work/runs" batch_size=32 max_steps=200 \
      train_subset=6400 test_subset=1000 log_interval=50 neuron=staa 2>&1) || fail "exit $?: $out"
    echo "$out" | tail -n 3
    ls "$work"/runs/*/report.html "$work"/runs/*/report/loss.png > /dev/null || fail "no report"
    top1=$(echo "$out" | sed -nE 's/.*top-1 ([0-9.]+)%.*/\1/p' | tail -n 1)
    awk -v a="$top1" 'BEGIN { exit !(a > 40) }' || fail "test top-1 $top1% is not above 40%"
    ;;
  resume)
    export OMP_NUM_THREADS=2  # two threads: a kernel whose sums depend on thread timing fails here
    "$bin" "${common[@]}" output_dir="$work/a" batch_size=16 train_subset=320 max_steps=8 \
      workers=2 > "$work/a.log" 2>&1 || fail "straight run: $(tail -n 5 "$work/a.log")"
    "$bin" "${common[@]}" output_dir="$work/b" batch_size=16 train_subset=320 max_steps=4 \
      workers=2 > "$work/b1.log" 2>&1 || fail "first half: $(tail -n 5 "$work/b1.log")"
    "$bin" "${common[@]}" output_dir="$work/b" batch_size=16 train_subset=320 max_steps=8 \
      workers=1 resume=latest > "$work/b2.log" 2>&1 || fail "resumed half: $(tail -n 5 "$work/b2.log")"
    grep -q "resumed .* step 4" "$work/b2.log" || fail "the second process did not resume at step 4"
    "$equal" "$work"/a/*/last.safetensors "$work"/b/*/last.safetensors || fail "weights differ"
    ;;
  kill)
    "$bin" "${common[@]}" batch_size=8 max_steps=1 > "$work/first.log" 2>&1 ||
      fail "first run: $(tail -n 5 "$work/first.log")"
    for i in $(seq 50); do
      "$bin" "${common[@]}" batch_size=8 save_every=1 resume=latest > "$work/run.log" 2>&1 &
      pid=$!
      sleep "0.$((RANDOM % 9 + 1))"
      kill -9 "$pid" 2> /dev/null
      wait "$pid" 2> /dev/null
      "$bin" "${common[@]}" batch_size=8 resume=latest test_only=1 > "$work/check.log" 2>&1 ||
        fail "kill $i: the newest save does not load: $(tail -n 5 "$work/check.log")"
    done
    leftovers=$(find "$work/runs" -name '*.tmp*' | wc -l)
    echo "50 kills, every newest save loaded; temporary files left by the kills: $leftovers"
    ;;
  nan)
    out=$("$bin" "${common[@]}" batch_size=8 debug_nan_step=3 2>&1) && fail "the run did not stop"
    echo "$out" | grep -q "NaN or Inf at step 3" || fail "no step in: $out"
    # Spikes of NaN membranes are 0, so the loss stays finite; the gradient names the layer.
    echo "$out" | grep -q "first in .*stem.0" || fail "no layer in: $out"
    ;;
  sigint)
    "$bin" "${common[@]}" batch_size=8 > "$work/run.log" 2>&1 &
    pid=$!
    sleep 3
    kill -INT "$pid"
    wait "$pid"
    status=$?
    [ "$status" -eq 130 ] || fail "exit $status, expected 130: $(tail -n 5 "$work/run.log")"
    grep -q "interrupted; saved" "$work/run.log" || fail "no save message"
    ls "$work"/runs/*/last.safetensors > /dev/null || fail "no last.safetensors"
    ;;
  options)
    out=$("$bin" fashion-mnist neuron=izhikevich 2>&1) && fail "a bad option was accepted"
    echo "$out" | grep -q "option neuron: expected one of lif, adaptive, staa, got 'izhikevich'" ||
      fail "unclear message: $out"
    out=$("$bin" fashion-mnist device=gpu 2>&1) && fail "a bad device was accepted"
    echo "$out" | grep -q "option device: expected cpu, cuda or cuda:<index> (e.g. cuda:1), got 'gpu'" ||
      fail "unclear message: $out"
    # No machine has 100 GPUs: the message names the option whatever this machine has.
    out=$("$bin" fashion-mnist device=cuda:99 2>&1) && fail "device=cuda:99 was accepted"
    echo "$out" | grep -q "option device=cuda:99: " || fail "unclear message: $out"
    out=$("$bin" cifar11 2>&1) && fail "a bad dataset was accepted"
    echo "$out" | grep -q "unknown dataset 'cifar11'" || fail "unclear message: $out"
    out=$("$bin" cifar10 data_dir="$work/none" 2>&1) && fail "a missing dataset was accepted"
    echo "$out" | grep -q -- "--download" || fail "no --download hint: $out"
    ;;
  *)
    fail "unknown case"
    ;;
esac
echo "ok ($case)"
