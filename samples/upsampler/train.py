"""Trains the ×2 upsampler (model.py) on the training photos of photos.py and writes
upsampler_x2.safetensors. CPU, 2 threads, fixed seeds and deterministic algorithms, so that the same
command should give the same weights.

    /usr/bin/python3 samples/upsampler/train.py [--iterations 20000] [--out samples/upsampler/upsampler_x2.safetensors]

About 37 minutes on 2 cores (AMD Zen 4) with nothing else running.
"""
import argparse
import math
import os
import sys
import time

import cv2
import numpy as np
import torch
from torch.nn import functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# The project's safetensors writer / reader (plain PyTorch: the safetensors package is not in Debian).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../tests/pytorch"))
import photos  # noqa: E402
from model import Upsampler, upsample_x2  # noqa: E402
from export_safetensors import save_file  # noqa: E402


def training_pairs():
    """(HR, LR) float32 [3, H, W] pairs of every training photo at 1, 0.75 and 0.5 of its size: more scales
    give more distinct detail per photo, and downscaling also softens the JPEG artifacts of the sources."""
    pairs = []
    for path in photos.TRAIN:
        rgb = photos.read_rgb(path)
        for factor in (1.0, 0.75, 0.5):
            size = (round(rgb.shape[1] * factor), round(rgb.shape[0] * factor))
            hr = rgb if factor == 1.0 else cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
            hr, lr = photos.degrade(hr, 2)
            pairs.append((torch.from_numpy(hr).permute(2, 0, 1).float() / 255,
                          torch.from_numpy(lr).permute(2, 0, 1).float() / 255))
    return pairs


def sample_batch(pairs, weights, rng, batch, patch):
    """Random LR patches and their HR patches, each under one of the 8 flips / rotations (INTER_AREA ×2 is a
    2 × 2 box mean, which commutes with them)."""
    lrs, hrs = [], []
    for index in rng.choice(len(pairs), size=batch, p=weights):
        hr, lr = pairs[index]
        i = rng.integers(0, lr.shape[1] - patch + 1)
        j = rng.integers(0, lr.shape[2] - patch + 1)
        lr_patch = lr[:, i:i + patch, j:j + patch]
        hr_patch = hr[:, 2 * i:2 * (i + patch), 2 * j:2 * (j + patch)]
        k, flip = int(rng.integers(4)), bool(rng.integers(2))
        lr_patch, hr_patch = (torch.rot90(t, k, (1, 2)) for t in (lr_patch, hr_patch))
        if flip:
            lr_patch, hr_patch = lr_patch.flip(2), hr_patch.flip(2)
        lrs.append(lr_patch)
        hrs.append(hr_patch)
    # Channels-last, as the model: PyTorch 1.13's oneDNN convolutions train 1.2× faster in it.
    return (torch.stack(t).contiguous(memory_format=torch.channels_last) for t in (lrs, hrs))


def least_squares_base(pairs, base):
    """Sets the depthwise linear ×2 filter `base` (a model.ConvTranspose2d) to the one of least squared error over the
    training pairs, shared by the three channels: the network then learns only what no linear filter can. Each output
    phase (r_h, r_w) is its own least-squares problem over the input taps it reads (base.phase_index)."""
    s, index, k = base.stride[0], base.phase_index, base.kernel_size[0]
    window, before = index.shape[1], -base.low  # window offsets low .. low + window - 1
    phases = [(rh, rw, (index[rh] < k).nonzero()[:, 0], (index[rw] < k).nonzero()[:, 0])
              for rh in range(s) for rw in range(s)]
    normal = [0.0] * len(phases)
    right = [0.0] * len(phases)
    for hr, lr in pairs:
        # Only outputs whose taps are all inside the photo: zero padding is rare but would weigh heavily.
        c, h, w = lr.shape[0], lr.shape[1] - window + 1, lr.shape[2] - window + 1
        columns = F.unfold(lr[:, None].double(), window).reshape(c, window, window, h, w)
        for p, (rh, rw, rows, cols) in enumerate(phases):
            a = columns[:, rows][:, :, cols].permute(0, 3, 4, 1, 2).reshape(c * h * w, -1)
            b = hr[:, rh::s, rw::s][:, before:before + h, before:before + w].double().reshape(-1)
            normal[p] = normal[p] + a.T @ a
            right[p] = right[p] + a.T @ b
    with torch.no_grad():
        for p, (rh, rw, rows, cols) in enumerate(phases):
            taps = torch.linalg.solve(normal[p], right[p]).reshape(len(rows), len(cols))
            base.weight[:, :, index[rh, rows][:, None], index[rw, cols][None, :]] = taps.float()


def to_uint8(t):
    return (t.squeeze(0).permute(1, 2, 0).numpy() * 255).round().clip(0, 255).astype(np.uint8)


def held_out_gain(model, held_out):
    """Mean held-out Y-PSNR of the model and of bicubic at ×2 (monitoring only; nothing is selected by it)."""
    model.eval()
    ours, cubic = [], []
    with torch.no_grad():
        for hr, lr in held_out:
            x = torch.from_numpy(lr).permute(2, 0, 1)[None].float() / 255
            ours.append(photos.y_psnr(to_uint8(upsample_x2(model, x)), hr, 2))
            bicubic = cv2.resize(lr, (hr.shape[1], hr.shape[0]), interpolation=cv2.INTER_CUBIC)
            cubic.append(photos.y_psnr(bicubic, hr, 2))
    model.train()
    return float(np.mean(ours)), float(np.mean(cubic))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--iterations", type=int, default=20000)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--patch", type=int, default=48, help="LR patch side")
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--eval-every", type=int, default=2000)
    parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                      "upsampler_x2.safetensors"))
    args = parser.parse_args()

    torch.set_num_threads(2)
    torch.manual_seed(0)
    torch.use_deterministic_algorithms(True)
    rng = np.random.default_rng(0)

    pairs = training_pairs()
    areas = np.array([lr.shape[1] * lr.shape[2] for _, lr in pairs], dtype=np.float64)
    weights = areas / areas.sum()
    held_out = [photos.degrade(photos.read_rgb(p), 2) for p in photos.HELD_OUT]
    print(f"{len(photos.TRAIN)} training photos ({len(pairs)} scaled copies, {areas.sum() / 1e6:.2f} M LR pixels), "
          f"{len(held_out)} held out", flush=True)

    model = Upsampler()
    least_squares_base(pairs, model.base)
    model = model.to(memory_format=torch.channels_last)
    ours, cubic = held_out_gain(model, held_out)
    print(f"untrained, least-squares base: held-out Y-PSNR {ours:.2f} dB (bicubic {cubic:.2f}, {ours - cubic:+.2f})",
          flush=True)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    # Cosine decay to 1% of the initial rate.
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda it: 0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * it / args.iterations)))

    start, running = time.time(), 0.0
    for it in range(1, args.iterations + 1):
        lr, hr = sample_batch(pairs, weights, rng, args.batch, args.patch)
        loss = F.l1_loss(model(lr), hr)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        running += loss.item()
        if it % args.eval_every == 0 or it == args.iterations:
            ours, cubic = held_out_gain(model, held_out)
            print(f"iteration {it}/{args.iterations}  L1 {running / args.eval_every:.5f}  held-out Y-PSNR "
                  f"{ours:.2f} dB (bicubic {cubic:.2f}, {ours - cubic:+.2f})  {time.time() - start:.0f} s", flush=True)
            running = 0.0
    save_file({k: v.detach() for k, v in model.state_dict().items()}, args.out,
              {"model": f"Upsampler(channels={model.head.out_channels})", "iterations": str(args.iterations)})
    print(f"wrote {args.out} in {time.time() - start:.0f} s", flush=True)


if __name__ == "__main__":
    main()
