#!/usr/bin/env bash
# Builds the data layer's libFuzzer targets with clang (the main build may use g++): the parser
# sources once with -fsanitize=fuzzer-no-link,address,undefined, then one binary per fuzz_*.cpp.
# Usage: build_fuzzers.sh SOURCE_DIR OUT_DIR "parser sources (relative to data/)"
set -euo pipefail
src=$1
out=$2
sources=$3
cxx=${STAA_FUZZ_CXX:-clang++}
command -v "$cxx" > /dev/null || { echo "build_fuzzers: $cxx not found (apt-get install clang libclang-rt-dev)"; exit 1; }
mkdir -p "$out/obj"
flags=(-std=c++20 -O1 -g -fno-omit-frame-pointer -fno-sanitize-recover=all -I"$src" -I/usr/include/stb
  -DSTAA_DATA_HAS_STB=1)
objs=()
running=0
for s in $sources tensor/shape.cpp; do
  [[ $s == */* ]] || s="data/$s"
  obj="$out/obj/$(tr / _ <<< "${s%.cpp}").o"
  objs+=("$obj")
  extra=()
  # stb_image 2.27 calls memcpy(NULL, p, 0) for an empty PNG IDAT chunk (found by fuzz_image;
  # harmless, since nothing is copied, but UBSan's nonnull check stops there). Our regression
  # test ImageDecode.EmptyIdatChunk covers the input; the other UB checks stay on.
  [[ $s == */stb_image_impl.cpp ]] && extra=(-fno-sanitize=nonnull-attribute)
  "$cxx" "${flags[@]}" -fsanitize=fuzzer-no-link,address,undefined "${extra[@]}" -c "$src/$s" -o "$obj" &
  running=$((running + 1))
  if [ $running -ge 2 ]; then wait -n; running=$((running - 1)); fi
done
while [ $running -gt 0 ]; do wait -n; running=$((running - 1)); done
for target in "$src"/tests/data/fuzz/fuzz_*.cpp; do
  name=$(basename "${target%.cpp}")
  "$cxx" "${flags[@]}" -fsanitize=fuzzer,address,undefined "$target" "${objs[@]}" -lz -o "$out/$name"
done
echo "build_fuzzers: built $(ls "$out"/fuzz_* | wc -l) fuzzers in $out"
