#!/usr/bin/env bash
# The report tool end to end (tests/trainer/CMakeLists.txt runs each case as its own CTest):
#   report_tests.sh <report> <screenshot_check> <case>
# cli: --help, a missing argument and a directory without summary.csv (messages, exit codes).
# chromium: a generated 12-epoch run directory is rendered by `report`, then headless Chromium
# (Debian's chromium; ./run_tests installs it) takes a screenshot and dumps the DOM, and
# screenshot_check finds the page not blank and every chart both in the DOM and on screen.
set -uo pipefail
report=$1
check=$2
case=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL (report $case): $*"; exit 1; }
charts=(loss accuracy lr firing_layers firing_epochs)

# A plausible run: losses fall, accuracies rise, a cosine learning rate, six spiking layers.
make_run() {
  local run=$1
  mkdir -p "$run"
  awk 'BEGIN {
    print "epoch,step,lr,train_loss,train_acc,test_loss,test_top1,test_top5,seconds,images_per_s,firing_rate"
    for (e = 1; e <= 12; e++)
      printf "%d,%d,%.6g,%.4f,%.4f,%.4f,%.4f,%.4f,%.1f,%.1f,%.4f\n", e, 100 * e,
        0.05 * (1 + cos(3.14159265 * e / 12)), 0.4 + 1.9 * exp(-e / 3), 0.9 - 0.6 * exp(-e / 3),
        0.5 + 1.8 * exp(-e / 3.5), 0.85 - 0.6 * exp(-e / 3.5), 0.99 - 0.3 * exp(-e / 2),
        30, 410 + e, 0.2 - 0.005 * e
  }' > "$run/summary.csv"
  for e in 11 12; do
    for l in stem.0.lif body.0.lif body.1.lif body.2.lif body.3.lif head.lif; do
      echo "$e,$l,0.$((RANDOM % 80 + 10))"
    done
  done > "$run/firing_rates.csv"
  printf 'model = tiny  (command line)\nlr = 0.1  (default)\nepochs = 12  (preset fashion-mnist)\n' \
    > "$run/args.txt"
  echo "./train fashion-mnist tiny epochs=12" > "$run/command.txt"
  cat > "$run/energy.json" << 'JSON'
{"model": "tiny", "time_steps": 4, "input": [1, 1, 28, 28], "mode": "measured", "images": 16,
 "assumed_rate": null, "precision": "fp32", "pj_per_mac": 4.6, "pj_per_ac": 0.9,
 "layers": [{"name": "stem.0", "type": "Conv2d", "input": "dense", "firing_rate": null,
             "params": 144, "flops": 225792, "macs": 112896, "acs": 0, "energy_uj": 0.52},
            {"name": "body.0", "type": "Conv2d", "input": "spikes", "firing_rate": 0.12,
             "params": 2304, "flops": 3612672, "macs": 0, "acs": 216760, "energy_uj": 0.2}],
 "total": {"params": 2448, "flops": 3838464, "macs": 112896, "acs": 216760,
           "energy_mj": 0.00072, "ann_energy_mj": 0.0088}}
JSON
}

case $case in
  cli)
    "$report" --help | grep -q "usage: report RUN_DIR" || fail "--help prints no usage"
    out=$("$report" 2>&1) && fail "no argument was accepted"
    echo "$out" | grep -q "expected one argument, a run directory" || fail "unclear message: $out"
    mkdir "$work/empty"
    out=$("$report" "$work/empty" 2> "$work/err") && fail "a directory without summary.csv passed"
    grep -q "summary.csv: not found; a training run writes summary.csv after its first epoch" \
      "$work/err" || fail "unclear message: $(cat "$work/err")"
    make_run "$work/run"
    out=$("$report" "$work/run") || fail "exit $?: $out"
    for id in "${charts[@]}"; do
      echo "$out" | grep -q "report/$id.png" || fail "the output names no $id.png: $out"
      [ -s "$work/run/report/$id.png" ] || fail "no $id.png"
    done
    ;;
  chromium)
    browser=$(command -v chromium || command -v chromium-browser) ||
      fail "chromium is not installed; install it with" \
        "'apt-get install --no-install-recommends chromium' (./run_tests installs it)"
    make_run "$work/run"
    "$report" "$work/run" > "$work/report.log" 2>&1 || fail "report: $(cat "$work/report.log")"
    flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
      --disable-background-networking --disable-component-update --disable-sync
      --disable-dev-shm-usage --hide-scrollbars --window-size=1280,2400)
    url="file://$work/run/report.html"
    HOME=$work timeout 60 "$browser" "${flags[@]}" --user-data-dir="$work/profile1" \
      --screenshot="$work/shot.png" "$url" > "$work/shot.log" 2>&1 ||
      fail "chromium --screenshot exit $?: $(tail -n 5 "$work/shot.log")"
    HOME=$work timeout 60 "$browser" "${flags[@]}" --user-data-dir="$work/profile2" \
      --dump-dom "$url" > "$work/dom.html" 2> "$work/dom.log" ||
      fail "chromium --dump-dom exit $?: $(tail -n 5 "$work/dom.log")"
    "$check" "$work/run/report.html" "$work/shot.png" "$work/dom.html" "${charts[@]}" ||
      fail "screenshot_check (above)"
    ;;
  *)
    fail "unknown case"
    ;;
esac
echo "report $case: ok"
