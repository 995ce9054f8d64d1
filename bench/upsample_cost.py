#!/usr/bin/python3
"""The README's cost table of the bundled upsampler models: wall time and peak resident memory of the
`upsample` program, end to end (decode, tiles, PNG encode), for 1920×1080 -> 3840×2160 (×2) and
960×540 -> 3840×2160 (×4), with an optional baseline binary alternating with it in every round.

  /usr/bin/python3 bench/upsample_cost.py [--upsample build/samples/upsampler/upsample]
                                          [--baseline OTHER/upsample] [--image PHOTO] [--rounds 3] [--threads 2]

The input is PHOTO (default: the bundled astronaut_256.png, enlarged bicubically: the convolutions' time
does not depend on the content) resized to 1920×1080 and 960×540. Prints a Markdown table: min–max
time and the largest peak memory (ru_maxrss of each run) over the rounds, and with --baseline the
ratio of the medians.
"""
import argparse
import os
import statistics
import subprocess
import tempfile
import time

import cv2

HERE = os.path.dirname(os.path.abspath(__file__))
RUNS = [  # (row, input, arguments)
    ("default ×2", "1080", []),
    ("real ×2", "1080", ["--model", "real"]),
    ("default ×4", "540", ["--scale", "4"]),
    ("real ×4 (×2 twice)", "540", ["--model", "real", "--scale", "4"]),
]


def run(binary, args):
    """(wall seconds, peak resident MB) of one run."""
    start = time.perf_counter()
    child = subprocess.Popen([binary, "-q"] + args)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"{binary} {' '.join(args)} failed with status {status}")
    return seconds, usage.ru_maxrss / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--upsample", default=os.path.join(HERE, "..", "build", "samples", "upsampler", "upsample"))
    parser.add_argument("--baseline", help="another upsample binary, timed alternately")
    parser.add_argument("--image", default=os.path.join(HERE, "..", "samples", "data", "astronaut_256.png"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    photo = cv2.imread(args.image, cv2.IMREAD_COLOR)
    if photo is None:
        raise SystemExit(f"cannot read {args.image}")
    sides = {"this": args.upsample} | ({"baseline": args.baseline} if args.baseline else {})
    results = {(side, row): [] for side in sides for row, _, _ in RUNS}
    with tempfile.TemporaryDirectory() as tmp:
        inputs = {}
        for name, size in (("1080", (1920, 1080)), ("540", (960, 540))):
            inputs[name] = os.path.join(tmp, f"in{name}.png")
            cv2.imwrite(inputs[name], cv2.resize(photo, size, interpolation=cv2.INTER_CUBIC))
        out = os.path.join(tmp, "out.png")
        for r in range(args.rounds):
            for row, image, extra in RUNS:
                order = list(sides.items()) if r % 2 == 0 else list(reversed(sides.items()))
                for side, binary in order:
                    results[side, row].append(run(binary, [inputs[image], "-o", out, "--threads", str(args.threads)]
                                                   + extra))
    header = "| model | input → output | time | peak memory |"
    if args.baseline:
        header += " baseline time | baseline peak | baseline / this (medians) |"
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    for row, image, _ in RUNS:
        size = "1920×1080" if image == "1080" else "960×540"
        cells = [row, f"{size} → 3840×2160"]
        for side in sides:
            times = [t for t, _ in results[side, row]]
            cells += [f"{min(times):.2f}–{max(times):.2f} s", f"{max(m for _, m in results[side, row]):.0f} MB"]
        if args.baseline:
            ratio = statistics.median(t for t, _ in results["baseline", row]) / statistics.median(
                t for t, _ in results["this", row])
            cells.append(f"{ratio:.2f}")
        print("| " + " | ".join(cells) + " |")
    print(f"\n{args.rounds} rounds, --threads {args.threads}, sides alternating")


if __name__ == "__main__":
    main()
