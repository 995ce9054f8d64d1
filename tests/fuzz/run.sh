#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (AddressSanitizer + UBSan) in build-fuzz/ and runs each for a
# fixed number of inputs from its committed seed corpus (tests/fuzz/corpus/<target>/). Any crash, leak,
# sanitizer report or timeout fails. Usage: tests/fuzz/run.sh [RUNS]   (default 20000 per target)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-20000}
flags="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTRIDER_FUZZ=ON \
  -DSTRIDER_BUILD_TESTS=OFF -DSTRIDER_BUILD_SAMPLES=OFF -DSTRIDER_BUILD_BENCHMARKS=OFF \
  -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" > /dev/null
targets="fuzz_npy fuzz_safetensors fuzz_onnx fuzz_onnx_run fuzz_image fuzz_conv_arith"
cmake --build build-fuzz -j2 --target $targets
for target in $targets; do
  work=build-fuzz/corpus/$target
  mkdir -p "$work"
  echo "== $target: $runs runs"
  # A scratch copy of the seeds: new inputs the fuzzer finds do not land in the repository.
  log=build-fuzz/$target.log
  # conv-arith's and the ONNX run's targets run convolutions on oneTBB's worker threads, whose thread-local
  # panels live until the process ends: LeakSanitizer would report them at exit, so those two targets check
  # crashes and UB only.
  leaks=1
  case $target in fuzz_conv_arith | fuzz_onnx_run) leaks=0 ;; esac
  seeds=("tests/fuzz/corpus/$target")
  # Models that run: the loader's seeds and, when installed, the small models of the ONNX backend suite
  # (read recursively; its .pb tensors are just more inputs that fail to parse).
  if [ "$target" = fuzz_onnx_run ]; then
    seeds=(tests/fuzz/corpus/fuzz_onnx)
    [ -d /usr/share/libonnx-testdata/data/node ] && seeds+=(/usr/share/libonnx-testdata/data/node)
  fi
  if ! ./build-fuzz/tests/fuzz/$target -runs="$runs" -seed=1 -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
       -detect_leaks=$leaks -print_final_stats=1 "$work" "${seeds[@]}" > "$log" 2>&1; then
    tail -40 "$log"
    echo "fuzz: $target failed (the input is saved as crash-*/oom-*/timeout-* in the current directory)"
    exit 1
  fi
  grep -E "^Done" "$log"
done
echo "fuzz: $(echo $targets | wc -w) targets, $runs runs each, no crash"
