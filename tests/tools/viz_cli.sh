#!/usr/bin/env bash
# tools/gradcam and tools/raster end to end: viz_cli.sh <staa-train> <gradcam> <raster>
# A few steps of ./train on Fashion-MNIST (Debian's dataset-fashion-mnist) with LIF and with
# STAA-LIF leave two checkpoints; gradcam compares them on two samples and raster draws one layer;
# every PNG must start with the PNG signature and have the size the tool printed; bad keys and
# layers are named.
set -uo pipefail
train=$1
gradcam=$2
raster=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} OMP_WAIT_POLICY=passive
fail() { echo "FAIL (viz): $*"; exit 1; }

for neuron in lif staa; do
  out=$("$train" fashion-mnist tiny neuron=$neuron output_dir="$work/$neuron" batch_size=16 \
    train_subset=64 test_subset=32 max_steps=4 energy_images=0 log_interval=1000 2>&1) ||
    fail "train $neuron: $out"
done
lif=$(ls -d "$work"/lif/*/)best.safetensors
staa=$(ls -d "$work"/staa/*/)best.safetensors

# "path (W x H)" lines: the file is a PNG whose IHDR holds W and H.
check_pngs() {
  local lines=$1 count=0
  while read -r path w x h; do
    [ "$x" = "x" ] || continue
    h=${h%)}
    w=${w#(}
    [ "$(head -c 8 "$path" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] ||
      fail "$path is not a PNG"
    local ihdr
    ihdr=$(od -An -tu1 -j16 -N8 "$path" | tr -s ' ' | sed 's/^ //')
    read -r a b c d e f g k <<<"$ihdr"
    [ $(((a << 24) | (b << 16) | (c << 8) | d)) -eq "$w" ] || fail "$path: width is not $w"
    [ $(((e << 24) | (f << 16) | (g << 8) | k)) -eq "$h" ] || fail "$path: height is not $h"
    count=$((count + 1))
  done <<<"$lines"
  echo $count
}

out=$("$gradcam" checkpoint="$lif" checkpoint2="$staa" layer=last samples=0,5 out="$work/v" 2>&1) ||
  fail "gradcam: $out"
[ "$(check_pngs "$out")" = 2 ] || fail "gradcam PNGs: $out"
echo "$out" | grep -q "gradcam_5.png" || fail "gradcam output: $out"

out=$("$raster" checkpoint="$staa" layer=body.0 sample=3 neurons=64 out="$work/v" 2>&1) ||
  fail "raster: $out"
[ "$(check_pngs "$out")" = 2 ] || fail "raster PNGs: $out"
echo "$out" | grep -q "raster_body.0_3.png" || fail "raster output: $out"

out=$("$gradcam" checkpoint="$lif" layer=body.2 samples=0 out="$work/v" 2>&1) &&
  fail "a layer that does not spike was accepted"
echo "$out" | grep -q "'body.2' is not a spiking layer of Tiny; its spiking layers are: body.0 body.4" ||
  fail "unclear message: $out"
out=$("$raster" checkpoint="$lif" layer=last sample=0 out="$work/v" colour=red 2>&1) &&
  fail "a bad key was accepted"
echo "$out" | grep -q "raster: unknown key 'colour'" || fail "unclear message: $out"
out=$("$gradcam" checkpoint="$lif" layer=last samples=0,x out="$work/v" 2>&1) &&
  fail "a bad sample list was accepted"
echo "$out" | grep -q "samples expects integers" || fail "unclear message: $out"
echo "ok (viz)"
