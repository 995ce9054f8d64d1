#!/usr/bin/python3
"""Element-wise operators on [1, 64, 256, 256] and the fused convolution epilogues: Strider
(bench_elementwise) against PyTorch, rounds alternating between the two, best of the rounds.

    /usr/bin/python3 bench/compare_elementwise.py [--bench build/bench/bench_elementwise] [--rounds 5]
        [--baseline OTHER/bench_elementwise]

--baseline times a second Strider build in the same alternating rounds (an A/B against, say, main's
build) and adds its column and the speed-up.

Both sides: 2 threads, float32 NCHW, a warm glibc heap (as compare_pytorch.py: freed blocks up to
32 MiB stay in the heap, so an output of up to 32 MiB is not page-faulted anew each call; the 64 MiB
outputs of the ×2 resizes are on both sides). Prints a Markdown table: PyTorch ms, Strider ms, ratio.
"""
import argparse
import os
import subprocess
import sys
import time

WARM_HEAP = "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=4294967296"
if os.environ.get("GLIBC_TUNABLES") != WARM_HEAP:  # glibc reads it at start-up: run again with it
    os.execve(sys.executable, [sys.executable] + sys.argv, {**os.environ, "GLIBC_TUNABLES": WARM_HEAP})

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

TRANSCENDENTAL = {"sigmoid", "tanh", "elu", "gelu", "gelu_tanh", "silu", "softplus"}


def torch_cases():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(1, 64, 256, 256, generator=g) * 6 - 3
    x2 = torch.rand(1, 64, 256, 256, generator=g) * 6 - 3
    channel = torch.rand(64, 1, 1, generator=g) * 1.5 + 0.5
    slopes = torch.rand(64, generator=g) * 0.5
    stat = torch.rand(64, generator=g) * 1.5 + 0.5
    conv = torch.nn.Conv2d(64, 64, 3, padding=1).eval()
    one = torch.tensor([0.25])
    accumulated = x2.clone()  # conv_residual_in_place adds into it, as Strider's writes over its residual
    return {
        "relu": lambda: F.relu(x),
        "leaky_relu": lambda: F.leaky_relu(x, 0.2),
        "prelu_channel": lambda: F.prelu(x, slopes),
        "prelu_scalar": lambda: F.prelu(x, one),
        "sigmoid": lambda: torch.sigmoid(x),
        "tanh": lambda: torch.tanh(x),
        "elu": lambda: F.elu(x),
        "selu": lambda: F.selu(x),
        "celu": lambda: F.celu(x),
        "gelu": lambda: F.gelu(x),
        "gelu_tanh": lambda: F.gelu(x, approximate="tanh"),
        "hardsigmoid": lambda: F.hardsigmoid(x),
        "hardswish": lambda: F.hardswish(x),
        "silu": lambda: F.silu(x),
        "hardtanh": lambda: F.hardtanh(x),
        "softplus": lambda: F.softplus(x),
        "add_tensor": lambda: x + x2,
        "mul_channel": lambda: x * channel,
        "sub_channel": lambda: x - channel,
        "div_scalar": lambda: x / 0.5,
        "cat": lambda: torch.cat([x, x2], 1),
        "nearest_x2": lambda: F.interpolate(x, scale_factor=2, mode="nearest"),
        "bilinear_x2": lambda: F.interpolate(x, scale_factor=2, mode="bilinear"),
        "pixel_shuffle": lambda: F.pixel_shuffle(x, 2),
        "batch_norm": lambda: F.batch_norm(x, slopes, stat, slopes, slopes),
        "conv": lambda: conv(x),
        "conv_prelu_fused": lambda: F.prelu(conv(x), slopes),
        "conv_residual_fused": lambda: x2 + 0.1 * conv(x),
        "conv_residual_in_place": lambda: accumulated.add_(conv(x), alpha=0.1),
        "conv_then_prelu": lambda: F.prelu(conv(x), slopes),
    }


def time_torch(cases, reps):
    best = {}
    with torch.inference_mode():
        for name, run in cases.items():
            for _ in range(10):  # warm-up, as bench_elementwise: the heap settles
                run()
            t = float("inf")
            for _ in range(reps):
                t0 = time.perf_counter()
                run()
                t = min(t, time.perf_counter() - t0)
            best[name] = t * 1e3
    return best


def time_strider(binary, reps):
    out = subprocess.run([binary, f"--reps={reps}", "--threads=2"], check=True, capture_output=True, text=True).stdout
    return {name: float(ms) for name, ms in (line.split() for line in out.splitlines())}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bench", default="build/bench/bench_elementwise")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--baseline", help="a second bench_elementwise, timed in the same rounds")
    a = p.parse_args()
    torch.set_num_threads(2)
    cases = torch_cases()
    best_t, best_s, best_b = {}, {}, {}
    for _ in range(a.rounds):  # alternate the sides, keep each case's best round
        for name, ms in time_strider(a.bench, a.reps).items():
            best_s[name] = min(best_s.get(name, float("inf")), ms)
        if a.baseline:
            for name, ms in time_strider(a.baseline, a.reps).items():
                best_b[name] = min(best_b.get(name, float("inf")), ms)
        for name, ms in time_torch(cases, a.reps).items():
            best_t[name] = min(best_t.get(name, float("inf")), ms)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, best of {a.rounds} alternating rounds "
          f"of {a.reps} runs; warm heap (GLIBC_TUNABLES={WARM_HEAP})\n")
    base_head, base_rule = (" baseline ms | baseline / Strider |", "---:|---:|") if a.baseline else ("", "")

    def base(name):
        if not a.baseline:
            return ""
        if name not in best_b:
            return " — | — |"
        return f" {best_b[name]:.2f} | {best_b[name] / best_s[name]:.2f} |"

    print(f"| op on [1, 64, 256, 256] | PyTorch ms | Strider ms | PyTorch / Strider | target |{base_head}")
    print(f"|---|---:|---:|---:|---:|{base_rule}")
    for name in best_s:
        if name.startswith("conv") or name not in best_t:
            continue
        target = 1.5 if name in TRANSCENDENTAL else 1.0
        print(f"| {name} | {best_t[name]:.2f} | {best_s[name]:.2f} | {best_t[name] / best_s[name]:.2f} | {target} |"
              f"{base(name)}")
    print(f"\n| Conv2d 64→64 3×3 on 256² | PyTorch ms | Strider ms | Strider / its conv alone |{base_head}")
    print(f"|---|---:|---:|---:|{base_rule}")
    for name in ("conv", "conv_prelu_fused", "conv_residual_fused", "conv_residual_in_place", "conv_then_prelu"):
        print(f"| {name} | {best_t[name]:.2f} | {best_s[name]:.2f} | {best_s[name] / best_s['conv']:.2f} |{base(name)}")
    print("\n| Conv2d 32→32 3×3 on 256², direct (the upsampler's) | Strider ms | Strider / its conv alone |"
          + base_head)
    print(f"|---|---:|---:|{base_rule}")
    for name in ("direct32", "direct32_leaky_fused"):
        print(f"| {name} | {best_s[name]:.2f} | {best_s[name] / best_s['direct32']:.2f} |{base(name)}")


if __name__ == "__main__":
    main()
