# Sourced by the benchmarks that run PyTorch beside staa (tools/bench/conv, tools/bench/snn):
# installs Debian's python3-torch and libjemalloc2 when missing (as root), sets $python (Debian's
# interpreter, which has torch) and $jemalloc (the library to LD_PRELOAD), and defines
# build_bench <target> <override> <path>: echoes the benchmark binary, building it in build/
# unless the override (a prebuilt binary) is set.
python=/usr/bin/python3
if ! dpkg -s python3-torch libjemalloc2 >/dev/null 2>&1; then
  echo "run.sh: installing python3-torch libjemalloc2"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq python3-torch libjemalloc2 >/dev/null
fi
jemalloc=$(ls /usr/lib/*/libjemalloc.so.2 2>/dev/null | head -n1)
[ -n "$jemalloc" ] || { echo "run.sh: libjemalloc.so.2 not found" >&2; exit 1; }

build_bench() {
  local target=$1 override=$2 path=$3
  if [ -z "$override" ]; then
    cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build build --target "$target" -j2 >/dev/null
    override=$path
  fi
  [ -x "$override" ] || { echo "run.sh: $target was not built" >&2; exit 1; }
  echo "$override"
}
