#!/bin/sh
# The upsample program on folders and hostile images: run.sh CASE UPSAMPLE PHOTO WORK
# (PHOTO: a small PNG). Each case prints what it checks and exits non-zero on the first failure.
set -u
case_name=$1 upsample=$2 photo=$3 work=$4/$1
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1

fail() { echo "FAILED: $*"; exit 1; }
# expect CODE PATTERN COMMAND...: runs COMMAND, checks its exit code and that its output matches PATTERN.
expect() {
  code=$1 pattern=$2
  shift 2
  "$@" >out.txt 2>err.txt
  status=$?
  cat out.txt err.txt
  [ "$status" -eq "$code" ] || fail "exit $status, expected $code: $*"
  cat out.txt err.txt | grep -q -- "$pattern" || fail "no '$pattern' in the output of: $*"
}
# A PNG whose header claims WIDTH x HEIGHT, with no pixel data: the size check must come first.
png_header() {
  printf '\211PNG\r\n\032\n\000\000\000\015IHDR' >"$3"
  printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $(($1 >> 24 & 255)) $(($1 >> 16 & 255)) $(($1 >> 8 & 255)) $(($1 & 255)))" >>"$3"
  printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $(($2 >> 24 & 255)) $(($2 >> 16 & 255)) $(($2 >> 8 & 255)) $(($2 & 255)))" >>"$3"
  printf '\010\002\000\000\000\000\000\000\000' >>"$3"
}

mkdir photos
cp "$photo" photos/a.png
case $case_name in
  folder_naming)  # photos/ -> photos_x2/, not photos/_x2/
    expect 0 "1 done, 0 failed" "$upsample" photos/
    [ -f photos_x2/a_x2.png ] || fail "photos_x2/a_x2.png missing"
    [ ! -e photos/_x2 ] || fail "photos/_x2 written" ;;
  folder_keeps_going)  # unreadable and truncated files are reported; the others are done; exit 1
    echo "not an image" >photos/bad.png
    "$upsample" "$photo" -o whole.jpg -q || fail "cannot write a JPEG"
    head -c 2000 whole.jpg >photos/cut.jpg
    cp "$photo" photos/z.png
    expect 1 "2 done, 2 failed (bad.png, cut.jpg)" "$upsample" photos
    grep -q "cut.jpg': the JPEG is truncated" err.txt || fail "truncated JPEG not named"
    [ -f photos_x2/a_x2.png ] && [ -f photos_x2/z_x2.png ] || fail "good images not done" ;;
  name_collisions)  # h.jpg and h.png both upsampled, under names of their own
    "$upsample" "$photo" -o photos/h.jpg -q && mv photos/a.png photos/h.png
    expect 0 "2 done, 0 failed" "$upsample" photos
    [ -f photos_x2/h_jpg_x2.png ] && [ -f photos_x2/h_png_x2.png ] || fail "a result was lost" ;;
  same_folder)  # -o INPUT: outputs are never read back, existing files never overwritten
    expect 0 "1 done, 0 failed" "$upsample" photos -o photos
    before=$(cksum <photos/a_x2.png)
    expect 1 "a_x2.png exists and is not overwritten" "$upsample" photos -o photos
    grep -q "0 done, 1 failed" out.txt || fail "a_x2.png was read back as an input"
    [ "$(cksum <photos/a_x2.png)" = "$before" ] || fail "a_x2.png overwritten"
    [ ! -e photos/a_x2_x2.png ] || fail "an output was upsampled again"
    expect 0 "1 done, 0 failed" "$upsample" photos -o photos --overwrite ;;
  output_checked_first)  # a missing output folder fails before any tile is computed
    expect 2 "the folder 'missing' does not exist" "$upsample" photos/a.png -o missing/x.png
    ! grep -q tiles err.txt || fail "work was done before the output was checked"
    expect 2 "no encoder" "$upsample" photos/a.png -o x.unknown
    mkdir folder.png
    expect 2 "cannot write 'folder.png': it is a folder" "$upsample" photos/a.png -o folder.png ;;
  plain_progress)  # stderr is no terminal here: plain lines; --quiet: nothing
    expect 0 "a.png: 100% (1/1 tiles" "$upsample" photos/a.png -o x.png
    ! grep -q "$(printf '\r')" err.txt || fail "carriage returns in a log"
    "$upsample" photos/a.png -o y.png --quiet >out.txt 2>err.txt || fail "--quiet failed"
    [ ! -s out.txt ] && [ ! -s err.txt ] || fail "--quiet printed something"
    expect 0 "upsample [0-9]" "$upsample" --version ;;
  huge_png)  # header dimensions are checked before decoding: a clear message, no allocation
    png_header 100000 100000 huge.png
    expect 2 "huge.png': it is 100000x100000 = 10000000000 pixels, above the limit" "$upsample" huge.png
    png_header 30000 30000 big.png
    expect 2 "above the limit of 100000000 (" "$upsample" big.png
    expect 2 "above the limit of 1000 (" "$upsample" photos/a.png --max-pixels 1000
    expect 2 "big.png': OpenCV's decoder returned no image from this PNG (damaged?)" "$upsample" big.png --max-pixels 1000000000 ;;
  signal_removes_temporary)  # SIGTERM in the middle of writing: neither the output nor its temporary remains
    "$upsample" photos/a.png -o out.png -q &
    pid=$!
    mkfifo "out.png.part$pid"  # the temporary's name: opening it for writing blocks until the signal
    for _ in $(seq 600); do
      [ "$(cat /proc/$pid/wchan 2>/dev/null)" = wait_for_partner ] && break
      sleep 0.1
    done
    [ "$(cat /proc/$pid/wchan 2>/dev/null)" = wait_for_partner ] || fail "upsample never reached the write"
    kill -TERM $pid
    wait $pid
    status=$?
    [ $status -eq 143 ] || fail "exit $status, expected 143 (SIGTERM)"
    [ ! -e "out.png.part$pid" ] && [ ! -e out.png ] || fail "a file was left behind" ;;
  models)  # --model default|real: two bundled models, different results; anything else is refused
    expect 0 "wrote" "$upsample" photos/a.png -o default.png --model default
    expect 0 "wrote" "$upsample" photos/a.png -o real.png --model real
    ! cmp -s default.png real.png || fail "--model real gave the default model's image"
    "$upsample" photos/a.png -o plain.png -q && cmp -s default.png plain.png || fail "the default is not --model default"
    expect 2 "model" "$upsample" photos/a.png -o x.png --model nonexistent ;;
  exact_tiles)  # --exact: the direct kernel, and the same file for any tile size (x4: two stages). A 96x72
    # crop (3 x 2 tiles of 40) keeps the sanitizer build well inside the timeout.
    crop=$(dirname "$0")/crop_96x72.png
    for scale in 2 4; do
      "$upsample" "$crop" -o "whole$scale.png" --scale $scale --tile 4096 --exact -q || fail "--exact failed"
      "$upsample" "$crop" -o "tiled$scale.png" --scale $scale --tile 40 --exact -q || fail "--exact --tile 40 failed"
      cmp -s "whole$scale.png" "tiled$scale.png" || fail "x$scale: --exact tiles of 40 differ from the whole image"
    done ;;
  *) fail "unknown case $case_name" ;;
esac
echo "ok: $case_name"
