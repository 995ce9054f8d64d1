"""strider.batch throughput with one and two local Dask workers, on copies of the bundled photo.

    PYTHONPATH=build/python /usr/bin/python3 bench/python_batch.py [--images 16] [--rounds 2]

Each round runs `python3 -m strider.batch` once with --workers 1 and once with --workers 2 (alternating,
into fresh output folders) and reads images/s from its summary, which counts from the first task to the
last result (the cluster's start-up is not included; it is printed separately as the command's wall time).
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PHOTO = os.path.join(ROOT, "samples", "data", "astronaut_256.png")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        inputs = os.path.join(tmp, "in")
        os.mkdir(inputs)
        for i in range(args.images):
            shutil.copy(PHOTO, os.path.join(inputs, f"photo{i:03d}.png"))
        results = {1: [], 2: []}
        for r in range(args.rounds):
            for workers in (1, 2):
                out = os.path.join(tmp, f"out{r}_{workers}")
                start = time.monotonic()
                run = subprocess.run([sys.executable, "-m", "strider.batch", inputs, out, "--workers", str(workers)],
                                     check=True, capture_output=True, text=True)
                wall = time.monotonic() - start
                rate = float(re.search(r"\(([\d.]+) images/s\)", run.stdout).group(1))
                results[workers].append(rate)
                print(f"round {r + 1}, {workers} worker(s): {run.stdout.strip()}; command {wall:.1f} s")
        for workers, rates in results.items():
            print(f"{workers} worker(s): best {max(rates):.2f} images/s of 256×256 -> 512×512")


if __name__ == "__main__":
    main()
