#!/usr/bin/env bash
# Builds and runs gemm_bench: staa's sgemm against OpenBLAS, both on 2 threads, in one run.
# Installs libopenblas-dev when missing (Debian, as root), builds the bench target in build/, and
# picks OpenBLAS's kernels for this CPU explicitly: SkylakeX (AVX-512) only where /proc/cpuinfo
# has avx512f (elsewhere they die with SIGILL), else Zen on AMD / Haswell on Intel (AVX2 + FMA).
# Usage: tools/bench/gemm/run.sh [reps] [threads]   (defaults 7 and 2)
set -euo pipefail
cd "$(dirname "$0")/../../.."

have_openblas() {
  dpkg -s libopenblas-dev >/dev/null 2>&1
}
if ! have_openblas; then
  echo "run.sh: installing libopenblas-dev"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq libopenblas-dev >/dev/null 2>&1 ||
    { apt-get update -qq && apt-get install -y -qq libopenblas-dev >/dev/null; }
fi

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build --target gemm_bench -j2 >/dev/null

flags=$(grep -m1 '^flags' /proc/cpuinfo)
if grep -qw avx512f <<<"$flags"; then
  coretype=SkylakeX
elif grep -qw avx2 <<<"$flags" && grep -qw fma <<<"$flags"; then
  if grep -qm1 AuthenticAMD /proc/cpuinfo; then coretype=Zen; else coretype=Haswell; fi
else
  coretype=Sandybridge
fi
export OPENBLAS_CORETYPE=$coretype
# Per-core L2 in KiB, as OpenBLAS reads it (VMs sometimes report it wrong to cpuid).
l2=$(cat /sys/devices/system/cpu/cpu0/cache/index2/size 2>/dev/null || echo 512K)
case $l2 in
  *M) l2=$((${l2%M} * 1024)) ;;
  *K) l2=${l2%K} ;;
esac
export OPENBLAS_L2_SIZE=$l2
echo "run.sh: OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE OPENBLAS_L2_SIZE=$OPENBLAS_L2_SIZE" \
  "load: $(cut -d' ' -f1-3 /proc/loadavg)"

bench=$(find build -name gemm_bench -type f -perm -u+x | head -n1)
[ -n "$bench" ] || { echo "run.sh: gemm_bench was not built (OpenBLAS not found?)" >&2; exit 1; }
"$bench" "${1:-7}" "${2:-2}"
