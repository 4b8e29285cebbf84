#!/usr/bin/env bash
# Builds, on a machine with the CUDA toolkit and no GPU, what tools/gpu_check.sh runs on a GPU
# machine, into .gpu/ (git-ignored) so that it can be carried there: .gpu/bin/test_cuda and
# .gpu/bin/snn_bench (portable x86-64 code: STAA_NATIVE=OFF; stripped), and .gpu/googletest (a
# GoogleTest source tree, for building there instead: STAA_GTEST_SOURCE=.gpu/googletest).
# Then, on the GPU machine: STAA_GPU_BIN=.gpu/bin tools/gpu_check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
build=${STAA_GPU_PREP_BUILD:-build-gpu-prep}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DSTAA_CUDA=ON -DSTAA_NATIVE=OFF \
  -DCMAKE_COMPILE_WARNING_AS_ERROR=ON > /dev/null
cmake --build "$build" -j "$(nproc)" --target test_cuda snn_bench
mkdir -p .gpu/bin
cp "$build/tests/test_cuda" "$build/tools/bench/snn/snn_bench" .gpu/bin/
strip .gpu/bin/test_cuda .gpu/bin/snn_bench
[ -d /usr/src/googletest ] && rm -rf .gpu/googletest && cp -r /usr/src/googletest .gpu/googletest
du -sh .gpu
echo "gpu_prepare: carry .gpu; on the GPU machine run: STAA_GPU_BIN=.gpu/bin tools/gpu_check.sh"
