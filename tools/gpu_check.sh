#!/usr/bin/env bash
# The GPU check, in one go on a machine with an NVIDIA GPU (an H200 here; under 8 minutes):
#   1. the CUDA tests (test_cuda: the op matrix on CUDA against the CPU, cuDNN conv and batch norm,
#      the allocator and copies, CPU == CUDA over 10 SGD steps of a small STAA network);
#   2. one training step of ResNet-20 with STAA-LIF, T = 4, B = 128, 32x32, synthetic data:
#      images/s and peak device memory, staa (snn_bench) and PyTorch (snn_bench_torch.py) side by
#      side; the last line is `ratio pytorch: <PyTorch step time / staa step time>`.
# Binaries: prebuilt ones in $STAA_GPU_BIN (tools/gpu_prepare.sh builds them on a machine with the
# toolkit and no GPU, to carry over), else it configures and builds build-gpu/ here (cuDNN from
# CUDNN_ROOT or from PyTorch's nvidia-cudnn package; GoogleTest from the system or from
# STAA_GTEST_SOURCE). cuDNN / cuBLAS libraries are looked up in PyTorch's nvidia packages too.
# Usage: tools/gpu_check.sh [reps=20] [batch=128]
set -euo pipefail
cd "$(dirname "$0")/.."
reps=${1:-20}
batch=${2:-128}
python=${PYTHON:-python3}

# PyTorch's CUDA libraries (cuDNN 9, cuBLAS), for the build and for the loader.
nvidia_dirs=$("$python" - <<'PY' 2>/dev/null || true
import glob, os, site
roots = site.getsitepackages() + [site.getusersitepackages()]
for r in roots:
    for lib in sorted(glob.glob(os.path.join(r, "nvidia", "*", "lib"))):
        print(lib)
PY
)
for d in $nvidia_dirs; do LD_LIBRARY_PATH="$d:${LD_LIBRARY_PATH:-}"; done
export LD_LIBRARY_PATH
if [ -z "${CUDNN_ROOT:-}" ]; then
  for d in $nvidia_dirs; do
    case "$d" in */nvidia/cudnn/lib) export CUDNN_ROOT="${d%/lib}" ;; esac
  done
fi

echo "gpu_check: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo 'nvidia-smi not found')"
start=$(date +%s)
# Prebuilt binaries come from another machine's image: if they do not start here (a missing or
# older system library), say why and build here instead.
if [ -n "${STAA_GPU_BIN:-}" ] && ! err=$("$STAA_GPU_BIN/test_cuda" --gtest_list_tests 2>&1 >/dev/null); then
  echo "gpu_check: the binaries in $STAA_GPU_BIN do not start here ($err); building here instead"
  unset STAA_GPU_BIN
  [ -z "${STAA_GTEST_SOURCE:-}" ] && [ -d .gpu/googletest ] && export STAA_GTEST_SOURCE=$PWD/.gpu/googletest
fi
if [ -n "${STAA_GPU_BIN:-}" ]; then
  test_bin=$STAA_GPU_BIN/test_cuda
  bench_bin=$STAA_GPU_BIN/snn_bench
else
  build=build-gpu
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DSTAA_CUDA=ON -DSTAA_BUILD_TOOLS=ON \
    ${STAA_GTEST_SOURCE:+-DSTAA_GTEST_SOURCE="$STAA_GTEST_SOURCE"} > "$build.configure.log" \
    || { cat "$build.configure.log"; exit 1; }
  cmake --build "$build" -j "$(nproc)" --target test_cuda snn_bench
  test_bin=$build/tests/test_cuda
  bench_bin=$build/tools/bench/snn/snn_bench
  echo "gpu_check: built in $(( $(date +%s) - start )) s"
fi

echo "== CUDA tests"
status=0
"$test_bin" --gtest_brief=1 || status=$?

echo "== ResNet-20, STAA-LIF, T = 4, B = $batch, one training step (median of $reps)"
results=$(mktemp)
trap 'rm -f "$results"' EXIT
"$bench_bin" staa train "$reps" "$batch" 4 cuda | tee -a "$results"
"$python" tools/bench/snn/snn_bench_torch.py torch_cuda staa train "$reps" "$batch" 4 4 cuda \
  | tee -a "$results"
"$python" - "$results" "$batch" <<'PY'
import sys
rows = {}
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) > 3 and f[0] in ("staa", "torch_cuda"):
        rows[f[0]] = dict(x.split("=") for x in f[3:])
s, t = rows["staa"], rows["torch_cuda"]
print(f"| | images/s | peak device MB (in use / reserved) |\n| --- | ---: | ---: |")
for name, r in (("staa", s), ("PyTorch", t)):
    print(f"| {name} | {float(r['images_per_s']):.1f} | {r['peak_device_mb']} / {r['reserved_device_mb']} |")
print(f"ratio pytorch: {float(t['median_s']) / float(s['median_s']):.3f}")
PY
echo "gpu_check: $(( $(date +%s) - start )) s; CUDA tests $([ $status -eq 0 ] && echo passed || echo FAILED)"
exit $status
