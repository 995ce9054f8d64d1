#!/usr/bin/python3
"""Runs the benchmark suite (bench/shapes.json) in PyTorch and in Strider, alternating case by case,
and prints a side-by-side table: median times, ratio PyTorch / Strider per case, geometric mean per
group, the 2-vs-1-thread speed-up on c3, c4 and t1, and the peak memory of the upsampler runs.

  /usr/bin/python3 bench/compare_pytorch.py [--bench build/bench/bench_ops] [--threads 2] [--rounds 5]
                                            [--only c3,t1] [--markdown bench/RESULTS.md]

Both sides use the same thread count, float32 NCHW, no autograd. PyTorch's CPU ConvTranspose2d runs
on BLAS, and Debian's torch uses whichever libblas.so.3 the alternatives system selects: with the
reference BLAS it is about 8x slower than with OpenBLAS. For a fair comparison install
libopenblas0-pthread first; the table names the BLAS it ran with. Each round measures every case once
in PyTorch and once in Strider (a fresh bench_ops process per case); the table reports medians over
rounds, which keeps a shared machine's noise out of the ratios.

Timings run with glibc's allocator keeping freed blocks of up to 32 MiB in the heap (WARM_HEAP, set
for this process and the bench_ops it starts). By default PyTorch returns each large tensor to the
kernel and page-faults it in again on the next call; on this machine's VM that costs more than many
of the operators themselves (measured: c8 5.2 ms instead of 0.51 ms). Strider's own allocations reuse
the heap either way. The peak-memory runs use the default allocator on both sides.
"""
import argparse
import datetime
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
WARM_HEAP = "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=4294967296"


def default_allocator_env():
    env = dict(os.environ)
    env.pop("GLIBC_TUNABLES", None)
    return env


def torch_case(group, c):
    if group == "conv2d":
        m = torch.nn.Conv2d(c["Cin"], c["Cout"], c["k"], c["stride"], c["pad"], c["dilation"], c["groups"])
        shape = (c["N"], c["Cin"], c["H"], c["W"])
    elif group == "conv_transpose2d":
        m = torch.nn.ConvTranspose2d(c["Cin"], c["Cout"], c["k"], c["stride"], c["pad"], c["output_padding"],
                                     c["groups"], True, c["dilation"])
        shape = (c["N"], c["Cin"], c["H"], c["W"])
    elif group == "pool" and c["type"] == "max":
        m = torch.nn.MaxPool2d(c["k"], c["stride"], c["pad"], c["dilation"], ceil_mode=c["ceil_mode"])
        shape = (c["N"], c["C"], c["H"], c["W"])
    else:
        assert c["dilation"] == 1, "PyTorch's AvgPool2d has no dilation"
        m = torch.nn.AvgPool2d(c["k"], c["stride"], c["pad"], c["ceil_mode"], c["count_include_pad"])
        shape = (c["N"], c["C"], c["H"], c["W"])
    return m.eval(), shape


def torch_upsampler(model):
    layers = []
    for i, l in enumerate(model["layers"]):
        if l["type"] == "conv2d":
            layers.append(torch.nn.Conv2d(l["Cin"], l["Cout"], l["k"], l["stride"], l["pad"], l["dilation"],
                                          l["groups"]))
        else:
            layers.append(torch.nn.ConvTranspose2d(l["Cin"], l["Cout"], l["k"], l["stride"], l["pad"],
                                                   l["output_padding"], l["groups"], True, l["dilation"]))
        if i + 1 < len(model["layers"]):
            layers.append(torch.nn.ReLU(inplace=True))
    return torch.nn.Sequential(*layers).eval()


def time_torch(module, shape, min_time):
    x = torch.rand(shape)
    with torch.no_grad():
        module(x)  # warm-up: oneDNN picks and caches its kernels
        times = []
        start = time.perf_counter()
        while time.perf_counter() - start < min_time or len(times) < 3:
            t = time.perf_counter()
            module(x)
            times.append(time.perf_counter() - t)
    return statistics.median(times)


def time_strider(bench, name, threads, min_time):
    """Median wall time of one case in a fresh bench_ops process."""
    cmd = [bench, f"--threads={threads}", f"--benchmark_filter=^{name}/", "--benchmark_format=json",
           f"--benchmark_min_time={min_time}", "--benchmark_repetitions=3",
           "--benchmark_report_aggregates_only=true"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"compare_pytorch: {' '.join(cmd)} failed:\n{proc.stderr}")
    out = proc.stdout
    runs = json.loads(out)["benchmarks"]
    median = next(b for b in runs if b.get("aggregate_name") == "median")
    assert median["time_unit"] == "ms"
    return median["real_time"] / 1e3


def peak_rss_strider(bench, name, threads):
    """Peak resident MiB of a bench_ops process that runs one case once (its own VmHWM)."""
    out = subprocess.run([bench, f"--threads={threads}", f"--benchmark_filter=^{name}/", "--benchmark_min_time=0",
                          "--benchmark_repetitions=1", "--peak-rss"], capture_output=True, text=True, check=True,
                         env=default_allocator_env()).stdout
    return int(out.split("peak_rss_kib")[1].split()[0]) / 1024


def peak_rss_torch(model_json, shape, threads):
    """Peak resident MiB of a Python process that runs the model once, and its peak before the run."""
    code = f"""
import json, sys, torch
sys.path.insert(0, {HERE!r})
import compare_pytorch as c
def hwm():
    return int(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')).split()[1]) / 1024
torch.set_num_threads({threads})
m = c.torch_upsampler(json.loads({json.dumps(json.dumps(model_json))}))
x = torch.rand({tuple(shape)})
before = hwm()
with torch.no_grad():
    m(x)
print(hwm(), before)
"""
    peak, before = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                                  env=default_allocator_env()).stdout.split()
    return float(peak), float(before)


def cpu_model():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor()


def blas_library():
    return os.path.realpath("/usr/lib/x86_64-linux-gnu/libblas.so.3")


def geomean(values):
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else float("nan")


def main():
    if os.environ.get("GLIBC_TUNABLES") != WARM_HEAP:  # glibc reads it at start-up: run again with it
        os.execve(sys.executable, [sys.executable] + sys.argv, {**os.environ, "GLIBC_TUNABLES": WARM_HEAP})
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bench", default=os.path.join(HERE, "..", "build", "bench", "bench_ops"))
    ap.add_argument("--shapes", default=os.path.join(HERE, "shapes.json"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--min-time", type=float, default=0.3, help="seconds per measurement")
    ap.add_argument("--only", help="comma-separated case names")
    ap.add_argument("--markdown", help="also write the table to this file")
    args = ap.parse_args()

    suite = json.load(open(args.shapes))
    cases = []  # (group, bench name, torch module, input shape)
    for group in ("conv2d", "conv_transpose2d", "pool"):
        for c in suite[group]:
            module, shape = torch_case(group, c)
            cases.append((group, f"{group}/{c['name']}", module, shape))
    for model in suite["models"]:
        for size in model["sizes"]:
            cases.append(("model", f"{model['name']}/{size['name']}", torch_upsampler(model),
                          (size["N"], size["C"], size["H"], size["W"])))
    if args.only:
        wanted = set(args.only.split(","))
        cases = [c for c in cases if c[1].split("/")[-1] in wanted]

    def measure(threads, selected):
        torch.set_num_threads(threads)
        samples = {name: ([], []) for _, name, _, _ in selected}
        for r in range(args.rounds):
            for group, name, module, shape in selected:
                samples[name][0].append(time_torch(module, shape, args.min_time))
                samples[name][1].append(time_strider(args.bench, name, threads, args.min_time))
            print(f"  round {r + 1}/{args.rounds} done ({threads} threads)", file=sys.stderr)
        return {name: (statistics.median(t), statistics.median(s)) for name, (t, s) in samples.items()}

    results = measure(args.threads, cases)
    scaling = [c for c in cases if c[1].split("/")[-1] in ("c3", "c4", "t1")]
    single = measure(1, scaling) if args.threads > 1 and scaling else {}

    lines = [f"# Strider vs PyTorch {torch.__version__} (oneDNN), {args.threads} threads",
             "", f"{datetime.date.today()} · {cpu_model()} · medians of {args.rounds} alternating rounds · "
             f"PyTorch's BLAS: {blas_library()} · warm heap (GLIBC_TUNABLES={WARM_HEAP})", "",
             "| case | PyTorch ms | Strider ms | PyTorch / Strider |", "|---|---:|---:|---:|"]
    by_group = {}
    for group, name, _, _ in cases:
        t, s = results[name]
        by_group.setdefault(group, []).append(t / s)
        lines.append(f"| {name} | {t * 1e3:.2f} | {s * 1e3:.2f} | {t / s:.2f} |")
    lines += ["", "| group | geometric mean of PyTorch / Strider | worst case |", "|---|---:|---:|"]
    for group, ratios in by_group.items():
        lines.append(f"| {group} | {geomean(ratios):.2f} | {min(ratios):.2f} |")
    if single:
        lines += ["", f"| case | Strider 1 thread ms | {args.threads} threads ms | speed-up |", "|---|---:|---:|---:|"]
        for name, (_, s1) in single.items():
            lines.append(f"| {name} | {s1 * 1e3:.2f} | {results[name][1] * 1e3:.2f} | {s1 / results[name][1]:.2f} |")
    models = [(n, shape) for g, n, _, shape in cases if g == "model"]
    if models:
        lines += ["", "Peak resident memory (VmHWM) of a process that runs the model once; for PyTorch also the",
                  "part the run itself added over the interpreter, torch and the model.", "",
                  "| upsampler run | PyTorch peak MiB | PyTorch run's share MiB | Strider peak MiB |",
                  "|---|---:|---:|---:|"]
        model_json = suite["models"][0]
        for name, shape in models:
            peak, before = peak_rss_torch(model_json, shape, args.threads)
            lines.append(f"| {name} | {peak:.0f} | {peak - before:.0f} | "
                         f"{peak_rss_strider(args.bench, name, args.threads):.0f} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
