#!/usr/bin/python3
"""Whole networks side by side: Strider (strider-run), PyTorch and OpenCV's cv2.dnn on the published
architectures of bench/network_models.py, exported with torch.onnx.export.

  /usr/bin/python3 bench/networks.py [--strider-run build/samples/strider_run/strider-run] [--threads 2]
                                     [--rounds 5] [--repeat 5] [--only ESPCN,U-Net] [--markdown bench/RESULTS.md]

Parity first: Strider's and cv2.dnn's outputs are compared with PyTorch's (|a - b| <= 1e-3 + 1e-3·|b|)
and a side that differs is reported, not timed. Then each round times every network once on each side,
alternating sides, and the table reports medians over rounds:
  - Strider: strider-run --repeat N; the median of its runs after the first (which builds the plan).
  - PyTorch: torch.inference_mode(), the best of NCHW and channels_last, median of N runs.
  - cv2.dnn: in a subprocess (it crashes on some models), median of N runs after one warm-up.
All sides use --threads threads and glibc's allocator keeping freed blocks in the heap (WARM_HEAP, as
compare_pytorch.py: otherwise PyTorch and OpenCV page-fault their fresh tensors on every call).
"""
import argparse
import datetime
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

from compare_pytorch import WARM_HEAP, cpu_model
from network_models import NETWORKS, build

HERE = os.path.dirname(os.path.abspath(__file__))
ATOL = RTOL = 1e-3

CV2_RUNNER = r"""
import statistics, sys, time
import cv2, numpy as np
model, x_path, y_path, threads, repeat = sys.argv[1:6]
cv2.setNumThreads(int(threads))
net = cv2.dnn.readNetFromONNX(model)
x = np.load(x_path)
net.setInput(x)
y = net.forward()
np.save(y_path, y)
times = []
for _ in range(int(repeat)):
    start = time.perf_counter()
    net.setInput(x)
    net.forward()
    times.append((time.perf_counter() - start) * 1e3)
print("median_ms", statistics.median(times))
"""


def loaded_blas():
    """The BLAS libraries mapped into this process once PyTorch has run a BLAS-backed operator."""
    torch.nn.functional.conv_transpose2d(torch.rand(1, 4, 8, 8), torch.rand(4, 4, 3, 3))
    torch.rand(64, 64) @ torch.rand(64, 64)
    with open("/proc/self/maps") as f:
        libs = {line.split()[-1] for line in f if "blas" in line.lower() and "/" in line}
    return ", ".join(sorted(os.path.realpath(l) for l in libs)) or "none found"


def close(actual, expected):
    return actual.shape == expected.shape and bool(np.all(np.abs(actual - expected) <= ATOL + RTOL * np.abs(expected)))


def export(name, folder):
    model, shape = build(name)
    x = torch.rand(shape, generator=torch.Generator().manual_seed(1))
    path = os.path.join(folder, re.sub(r"\W+", "_", name) + ".onnx")
    with torch.inference_mode():
        y = model(x)
    torch.onnx.export(model, x, path, opset_version=13, input_names=["x"], output_names=["y"])
    np.save(path + ".x.npy", x.numpy())
    np.save(path + ".y.npy", y.numpy())
    return model, x, path


def time_strider(runner, path, threads, repeat):
    out = subprocess.run([runner, path, path + ".x.npy", "--threads", str(threads), "--repeat", str(repeat + 1)],
                         capture_output=True, text=True, check=True).stdout
    return float(re.search(r"median ([0-9.e+-]+) ms", out).group(1))


def strider_parity(runner, path, threads):
    r = subprocess.run([runner, path, path + ".x.npy", "--threads", str(threads), "--compare", path + ".y.npy",
                        "--atol", str(ATOL), "--rtol", str(RTOL)], capture_output=True, text=True)
    return r.returncode == 0, (r.stdout + r.stderr).strip().splitlines()[-1] if (r.stdout + r.stderr).strip() else ""


def time_torch(model, x, repeat):
    best = None
    for layout in (torch.contiguous_format, torch.channels_last):
        m, xi = model.to(memory_format=layout), x.contiguous(memory_format=layout)
        with torch.inference_mode():
            m(xi)
            times = []
            for _ in range(repeat):
                start = time.perf_counter()
                m(xi)
                times.append((time.perf_counter() - start) * 1e3)
        t = statistics.median(times)
        best = t if best is None else min(best, t)
    model.to(memory_format=torch.contiguous_format)
    return best


def run_cv2(path, threads, repeat):
    """(median ms, parity ok, note); None for the time when cv2.dnn cannot run the model."""
    y_path = path + ".cv2.npy"
    r = subprocess.run([sys.executable, "-c", CV2_RUNNER, path, path + ".x.npy", y_path, str(threads), str(repeat)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        last = (r.stderr.strip().splitlines() or ["exit code %d" % r.returncode])[-1]
        return None, False, "fails: " + last[:120]
    ok = close(np.load(y_path), np.load(path + ".y.npy"))
    return float(r.stdout.split()[-1]), ok, "" if ok else "output differs from PyTorch"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--strider-run", default=os.path.join(HERE, "..", "build", "samples", "strider_run", "strider-run"))
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--repeat", type=int, default=5, help="runs per side per round")
    p.add_argument("--only", default="", help="comma-separated network names (prefixes)")
    p.add_argument("--markdown", help="append the table to this file")
    args = p.parse_args()
    if os.environ.get("GLIBC_TUNABLES") != WARM_HEAP:  # glibc reads it at start-up: run again with it
        os.execve(sys.executable, [sys.executable] + sys.argv, {**os.environ, "GLIBC_TUNABLES": WARM_HEAP})
    torch.set_num_threads(args.threads)
    names = [n for n in NETWORKS if not args.only or any(n.startswith(o) for o in args.only.split(","))]
    blas = loaded_blas()
    print(f"PyTorch {torch.__version__}, BLAS loaded: {blas}; {args.threads} threads; {cpu_model()}", flush=True)

    folder = tempfile.mkdtemp(prefix="strider_networks_")
    cases = {}
    for name in names:
        model, x, path = export(name, folder)
        s_ok, s_note = strider_parity(args.strider_run, path, args.threads)
        c_time, c_ok, c_note = run_cv2(path, args.threads, 1)
        cases[name] = dict(model=model, x=x, path=path, s_ok=s_ok, s_note=s_note, c_ok=c_ok, c_note=c_note,
                           strider=[], torch=[], cv2=[])
        print(f"{name}: Strider parity {'ok' if s_ok else 'FAILS: ' + s_note}; cv2.dnn "
              f"{'ok' if c_ok else c_note}", flush=True)

    for r in range(args.rounds):
        for name, c in cases.items():
            if c["s_ok"]:
                c["strider"].append(time_strider(args.strider_run, c["path"], args.threads, args.repeat))
            c["torch"].append(time_torch(c["model"], c["x"], args.repeat))
            if c["c_ok"]:
                c["cv2"].append(run_cv2(c["path"], args.threads, args.repeat)[0])
        print(f"round {r + 1}/{args.rounds} done", flush=True)

    rows = ["| network | input | Strider ms | PyTorch ms | cv2.dnn ms | best peer / Strider |", "|---|---|---|---|---|---|"]
    for name, c in cases.items():
        med = {k: statistics.median(c[k]) if c[k] else None for k in ("strider", "torch", "cv2")}
        peers = [v for v in (med["torch"], med["cv2"]) if v is not None]
        fmt = lambda v: f"{v:.2f}" if v is not None else "—"
        ratio = f"{min(peers) / med['strider']:.2f}" if med["strider"] and peers else "—"
        cv2_cell = fmt(med["cv2"]) if c["c_ok"] else c["c_note"].replace("|", "/")
        strider_cell = fmt(med["strider"]) if c["s_ok"] else "parity fails"
        shape = "×".join(str(d) for d in c["x"].shape)
        rows.append(f"| {name} | {shape} | {strider_cell} | {fmt(med['torch'])} | {cv2_cell} | {ratio} |")
    header = (f"{datetime.date.today()} · {cpu_model()} · {args.threads} threads · medians of {args.rounds} rounds "
              f"× {args.repeat} runs · PyTorch {torch.__version__} (best of NCHW and channels_last), BLAS: "
              f"{blas} · warm heap (GLIBC_TUNABLES={WARM_HEAP})")
    table = "\n".join(rows)
    print("\n" + header + "\n\n" + table)
    if args.markdown:
        with open(args.markdown, "a") as f:
            f.write("\n## Networks (bench/networks.py)\n\n" + header + "\n\n" + table + "\n")


if __name__ == "__main__":
    main()
