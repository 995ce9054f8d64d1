#!/usr/bin/env bash
# The two commands of README.md, each self-contained on a fresh Debian 12 machine: install what is
# missing (apt-get, when root), configure, build, run.
#   ./dev.sh demo             the main job: the upsample program on the bundled photo
#   ./dev.sh test             the whole test suite
#   ./dev.sh test --sanitize  the suite again, built with -fsanitize=address,undefined
#   ./dev.sh fuzz [RUNS]      the loaders' libFuzzer targets (clang), RUNS inputs each (default 20000)
set -euo pipefail
cd "$(dirname "$0")"

packages=(cmake g++ make libtbb-dev libxsimd-dev libgtest-dev libbenchmark-dev nlohmann-json3-dev
          libcli11-dev libopencv-dev libgif-dev
          libonnx-dev libprotobuf-dev      # strider_onnx: the ONNX loader
          python3-torch python3-numpy      # the ONNX parity test (tests/pytorch/parity.py)
          clang libclang-rt-14-dev         # the fuzz targets (libFuzzer)
          libonnx-testdata                 # the ONNX backend test suite
          pybind11-dev python3-pybind11 python3-pytest python3-distributed python3-opencv  # python/
          libcpp-httplib-dev pkgconf chromium)  # conv-arith serve (found with pkg-config) and its browser test

install_missing() {
  local missing=() p
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "Installing: ${missing[*]}"
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "Not root and no sudo: run  apt-get install ${missing[*]}" >&2; exit 1; }
    sudo=sudo
  fi
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# build DIR [CMAKE_ARGS...]
build() {
  local dir=$1
  shift
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release "$@"
  cmake --build "$dir" -j2
}

case "${1:-}" in
  demo)
    install_missing
    build build
    mkdir -p build/demo
    # No arguments: the bundled photo ×2, written with its comparison picture to the current directory.
    (cd build/demo && ../samples/upsampler/upsample)
    ;;
  test)
    install_missing
    if [ "${2:-}" = "--sanitize" ]; then
      # -g1: line tables, all the sanitizers' reports need. With -g, GCC tracked the variables of the
      # AVX-512 direct kernels twice (past its size limit, then without): 30 min for that one file, 20 with -g1.
      build build-sanitize -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" \
            -DSTRIDER_SANITIZE=ON
      ctest --test-dir build-sanitize -j2 --output-on-failure
    else
      build build
      ctest --test-dir build -j2 --output-on-failure
    fi
    ;;
  fuzz)
    install_missing
    tests/fuzz/run.sh "${2:-20000}"
    ;;
  *)
    echo "usage: $0 demo | test [--sanitize] | fuzz [RUNS]" >&2
    exit 2
    ;;
esac
