#!/usr/bin/env bash
# tools/energy end to end: energy_cli.sh <staa-train> <energy>
# A few steps of ./train on Fashion-MNIST (Debian's dataset-fashion-mnist) leave a checkpoint and,
# at the end of the run, energy.csv / energy.json; the energy tool then measures the checkpoint's
# firing rates, runs the analytic mode (ResNet-20 STAA-LIF without SA at the paper's Table 7
# point), and names bad keys.
set -uo pipefail
train=$1
energy=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} OMP_WAIT_POLICY=passive
fail() { echo "FAIL (energy): $*"; exit 1; }

out=$("$train" fashion-mnist tiny output_dir="$work/runs" batch_size=16 train_subset=64 \
  test_subset=32 max_steps=4 energy_images=8 log_interval=1000 2>&1) || fail "train: $out"
run=$(ls -d "$work"/runs/*/)
for f in energy.csv energy.json; do [ -s "$run/$f" ] || fail "the run wrote no $f"; done
grep -q '"mode": "measured", "images": 8' "$run/energy.json" || fail "energy.json: $(head -c 300 "$run/energy.json")"
echo "$out" | grep -q "train: energy .* mJ per image" || fail "no energy line: $out"
# The training report, written after the energy step, shows the energy table.
grep -q '<tr class="total"><th>total</th>' "$run/report.html" || fail "no energy table in the report"

out=$("$energy" checkpoint="$run/best.safetensors" images=4 out="$work/e" 2>&1) || fail "$out"
echo "$out" | grep -q "measured firing rates of 4 images" || fail "$out"
echo "$out" | grep -Eq "^body.1 +AvgPool2d +spikes [0-9.]+%" || fail "no spike-input row: $out"
[ "$(wc -l < "$work/e/energy.csv")" -eq 17 ] || fail "energy.csv rows: $(cat "$work/e/energy.csv")"

out=$("$energy" resnet20 neuron=staa sa=0 rate=0.12 precision=fp32 2>&1) || fail "$out"
echo "$out" | grep -q "parameters 12.69 M, FLOPs 0.876 G" || fail "Table 7 point: $out"
echo "$out" | grep -Eq "^energy 0\.3[5-9][0-9]+ mJ" || fail "energy: $out"

out=$("$energy" resnet20 rate=0.1 colour=red 2>&1) && fail "a bad key was accepted"
echo "$out" | grep -q "energy: unknown key 'colour'" || fail "unclear message: $out"
out=$("$energy" resnet20 2>&1) && fail "no rate was accepted"
echo "$out" | grep -q "needs rate=R (analytic) or dataset=NAME" || fail "unclear message: $out"

out=$("$energy" tiny dataset=fashion-mnist images=3 T=2 neuron=lif 2>&1) || fail "$out"
echo "$out" | grep -q "tiny, T = 2, input \[1,1,28,28\]: measured firing rates of 3 images" ||
  fail "measured on a dataset: $out"
out=$("$energy" checkpoint="$work/none.safetensors" 2>&1) && fail "a missing file was accepted"
echo "$out" | grep -q "none.safetensors" || fail "unclear message: $out"
echo "ok (energy)"
