#!/usr/bin/env bash
# Fails when a library header or source includes a layer above or beside its own (design §1), or
# when anything outside tensor/cuda/ includes a CUDA, cuBLAS, cuDNN or NCCL header.
set -u
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root" || exit 2
declare -A allowed=(
  [tensor]="tensor"
  [autograd]="tensor autograd"
  [nn]="tensor autograd nn"
  [snn]="tensor autograd nn snn"
  [data]="tensor data"
  [trainer]="tensor autograd nn data trainer"
)
status=0
for layer in "${!allowed[@]}"; do
  [ -d "$layer" ] || continue
  while IFS= read -r line; do
    file=${line%%:*}
    target=$(sed -E 's/.*#include *"([a-z_]+)\/.*/\1/' <<<"$line")
    if ! grep -qw "$target" <<<"${allowed[$layer]}"; then
      echo "layer violation: $file includes \"$target/...\" but $layer may include only: ${allowed[$layer]}"
      status=1
    fi
  done < <(grep -rnE '#include *"(tensor|autograd|nn|snn|data|trainer)/' "$layer" \
           --include='*.h' --include='*.cpp' --include='*.cu')
done
cuda=$(grep -rlE '#include *[<"](cuda_runtime|cuda\.h|cublas|cudnn|nccl)' tensor autograd nn snn data trainer \
  --include='*.h' --include='*.cpp' --include='*.cu' 2>/dev/null | grep -v '^tensor/cuda/')
if [ -n "$cuda" ]; then
  echo "CUDA headers included outside tensor/cuda/: $cuda"
  status=1
fi
[ $status -eq 0 ] && echo "layers: every include points down or to its own layer"
exit $status
