"""The Python path's overhead over C++: strider.upsample on a 256×256 BGR image (target < 3 %) and one
call of a small op, Conv2d(8, 8, 3) and ReLU on [1, 8, 16, 16] (target < 20 µs per call).

    PYTHONPATH=build/python /usr/bin/python3 bench/python_overhead.py [--rounds 7]

Each round times a batch of calls in C++ (build/bench/python_peer, the same calls without Python) and
then in Python, so that both sides see the same load on a shared machine; the medians and the best
rounds are compared.
"""
import argparse
import os
import statistics
import subprocess
import time

import numpy as np

import strider

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CALLS = {"upsample": 3, "conv": 2000, "relu": 5000}


def python_call(what):
    rng = np.random.default_rng(0)
    if what == "upsample":
        image = rng.integers(0, 256, (256, 256, 3), dtype=np.uint8)
        return lambda: strider.upsample(image)
    x = rng.uniform(-1, 1, (1, 8, 16, 16)).astype(np.float32)
    module = strider.nn.Conv2d(8, 8, 3, padding=1) if what == "conv" else strider.nn.ReLU()
    return lambda: module(x)


def python_round(fn, calls):
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls * 1e6


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--peer", default=os.path.join(ROOT, "build", "bench", "python_peer"))
    args = parser.parse_args()
    print(f"threads {strider.get_num_threads()}, SIMD {strider.simd_level()}; per call, µs: median (best) of "
          f"{args.rounds} alternating rounds")
    for what, calls in CALLS.items():
        fn = python_call(what)
        fn(), fn()  # warm-up, as the peer does
        cpp, py = [], []
        for _ in range(args.rounds):
            time.sleep(0.2)  # this process's oneTBB workers spin a while after work: let them sleep first
            out = subprocess.run([args.peer, what, "1", str(calls)], check=True, capture_output=True, text=True)
            cpp.append(float(out.stdout.split()[0]))
            py.append(python_round(fn, calls))
        c, p = statistics.median(cpp), statistics.median(py)
        print(f"{what:9s} C++ {c:12.2f} ({min(cpp):.2f})   Python {p:12.2f} ({min(py):.2f})   "
              f"overhead {p - c:+9.2f} µs ({(p - c) / c:+.1%}); best vs best {min(py) - min(cpp):+.2f} µs "
              f"({(min(py) - min(cpp)) / min(cpp):+.1%})")


if __name__ == "__main__":
    main()
