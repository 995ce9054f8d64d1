"""Trains the upsampler (model.py) on the training photos of photos.py and writes its weights. CPU, fixed seeds and
deterministic algorithms, so that the same command should give the same weights.

    /usr/bin/python3 samples/upsampler/train.py [--iterations 20000] [--out upsampler_x2.safetensors]
    /usr/bin/python3 samples/upsampler/train.py --degradation real --out upsampler_x2_real.safetensors
    /usr/bin/python3 samples/upsampler/train.py --scale 4 --init upsampler_x2.safetensors --out upsampler_x4.safetensors

--degradation real trains on low-resolution patches through photos.degrade_real (JPEG, noise, blur).
--init WEIGHTS starts from trained weights (those of the same shape: a ×4 model takes every layer of a ×2 one but base
and tail; the rest starts as without --init, base at the least-squares filter). Every --checkpoint-every
iterations the run saves a checkpoint (model, optimizer, schedule and random states, written atomically
next to --out); --resume continues from it, so a run can span several sittings.
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
from model import Upsampler, upsample  # noqa: E402
from export_safetensors import load_file, save_file  # noqa: E402


def training_pairs(scale, patch):
    """(HR, LR) 8-bit RGB pairs of every training photo at 1, 0.75 and 0.5 of its size (and 0.25 for the large
    wallpapers; copies whose LR image is smaller than a patch are left out), and the probability of drawing each:
    more scales give more distinct detail per photo, and downscaling softens the JPEG artifacts of the sources. Every
    photo is drawn equally often, its scaled copies in proportion to their area: the wallpapers have up to 80× the
    pixels of the opencv-doc photos."""
    pairs, weights = [], []
    for path in photos.TRAIN:
        rgb = photos.read_rgb(path)
        factors = (1.0, 0.75, 0.5) + ((0.25,) if rgb.shape[0] * rgb.shape[1] > 2e6 else ())
        copies = []
        for factor in factors:
            size = (round(rgb.shape[1] * factor), round(rgb.shape[0] * factor))
            scaled = rgb if factor == 1.0 else cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
            hr, lr = photos.degrade(scaled, scale)
            if min(lr.shape[:2]) >= patch:
                copies.append((hr, lr))
        areas = np.array([lr.shape[0] * lr.shape[1] for _, lr in copies], dtype=np.float64)
        pairs += copies
        weights += list(areas / areas.sum() / len(photos.TRAIN))
    return pairs, np.array(weights)


def to_tensor(rgb):
    """8-bit RGB H×W×3 -> float32 [3, H, W] in [0, 1]."""
    return torch.from_numpy(np.ascontiguousarray(rgb)).permute(2, 0, 1).float() / 255


def sample_batch(pairs, weights, rng, batch, patch, scale, real):
    """Random LR patches and their HR patches, each under one of the 8 flips / rotations (INTER_AREA ×s is an
    s × s box mean, which commutes with them). Flat patches (LR standard deviation under 2 of 255), most of a
    wallpaper's sky or bokeh, are kept one time in five: they teach little. With `real`, the LR patch is cut with
    a margin of up to 8 pixels, so that JPEG blocks fall at any offset, degraded, then cropped."""
    lrs, hrs = [], []
    while len(lrs) < batch:
        hr, lr = pairs[rng.choice(len(pairs), p=weights)]
        i = int(rng.integers(0, lr.shape[0] - patch + 1))
        j = int(rng.integers(0, lr.shape[1] - patch + 1))
        lr_patch = lr[i:i + patch, j:j + patch]
        if lr_patch.std() < 2.0 and rng.random() >= 0.2:
            continue
        if real:
            top, left = min(i, int(rng.integers(0, 8))), min(j, int(rng.integers(0, 8)))
            region = lr[i - top:i + patch + 8, j - left:j + patch + 8]
            lr_patch = photos.degrade_real(region, rng)[top:top + patch, left:left + patch]
        hr_patch = hr[scale * i:scale * (i + patch), scale * j:scale * (j + patch)]
        lr_patch, hr_patch = to_tensor(lr_patch), to_tensor(hr_patch)
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
    training pairs of at most 0.1 M LR pixels (larger ones would need gigabytes of windows), shared by the three
    channels: the network then learns only what no linear filter can. Each output phase (r_h, r_w) is its own
    least-squares problem over the input taps it reads (base.phase_index)."""
    s, index, k = base.stride[0], base.phase_index, base.kernel_size[0]
    window, before = index.shape[1], -base.low  # window offsets low .. low + window - 1
    phases = [(rh, rw, (index[rh] < k).nonzero()[:, 0], (index[rw] < k).nonzero()[:, 0])
              for rh in range(s) for rw in range(s)]
    normal = [0.0] * len(phases)
    right = [0.0] * len(phases)
    for hr, lr in pairs:
        if lr.shape[0] * lr.shape[1] > 1e5:
            continue
        hr, lr = to_tensor(hr), to_tensor(lr)
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
    """Mean Y-PSNR of the model and of bicubic over (HR, LR) pairs (monitoring only; nothing is selected by it)."""
    model.eval()
    ours, cubic = [], []
    with torch.no_grad():
        for hr, lr in held_out:
            ours.append(photos.y_psnr(to_uint8(upsample(model, to_tensor(lr)[None])), hr, model.scale))
            bicubic = cv2.resize(lr, (hr.shape[1], hr.shape[0]), interpolation=cv2.INTER_CUBIC)
            cubic.append(photos.y_psnr(bicubic, hr, model.scale))
    model.train()
    return float(np.mean(ours)), float(np.mean(cubic))


def save_checkpoint(path, state):
    """torch.save through a temporary file and a rename: an interrupted save leaves the previous checkpoint."""
    torch.save(state, path + ".tmp")
    os.replace(path + ".tmp", path)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--iterations", type=int, default=20000)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--patch", type=int, default=48, help="LR patch side")
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--scale", type=int, choices=(2, 4), default=2)
    parser.add_argument("--degradation", choices=("clean", "real"), default="clean")
    parser.add_argument("--init", help="start from these weights (safetensors) instead of the least-squares base")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--eval-every", type=int, default=2000)
    parser.add_argument("--checkpoint-every", type=int, default=500)
    parser.add_argument("--resume", action="store_true", help="continue from OUT.checkpoint")
    parser.add_argument("--out", help="default: upsampler_xSCALE.safetensors beside this script")
    args = parser.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    args.out = args.out or os.path.join(here, f"upsampler_x{args.scale}.safetensors")
    checkpoint_path = args.out + ".checkpoint"
    real = args.degradation == "real"

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    torch.use_deterministic_algorithms(True)
    rng = np.random.default_rng(0)

    pairs, weights = training_pairs(args.scale, args.patch)
    pixels = sum(lr.shape[0] * lr.shape[1] for _, lr in pairs)
    # Monitoring: the six small held-out photos (the wallpapers take minutes), JPEG-75 inputs for the real model.
    held_out = [photos.degrade(photos.read_rgb(p), args.scale) for p in photos.HELD_OUT[:6]]
    if real:
        held_out = [(hr, photos.jpeg(lr, 75)) for hr, lr in held_out]
    print(f"{len(photos.TRAIN)} training photos ({len(pairs)} scaled copies, {pixels / 1e6:.1f} M LR pixels), "
          f"monitored on {len(held_out)} held-out photos{' with JPEG-75 inputs' if real else ''}", flush=True)

    model = Upsampler(scale=args.scale)
    loaded = {}
    if args.init:
        own = model.state_dict()
        loaded = {k: v for k, v in load_file(args.init)[0].items() if k in own and v.shape == own[k].shape}
        model.load_state_dict(loaded, strict=False)
        print(f"from {args.init}: {', '.join(sorted(set(own) - set(loaded))) or 'nothing'} left as initialised",
              flush=True)
    if "base.weight" not in loaded and not args.resume:  # a resumed run loads its base from the checkpoint
        least_squares_base(pairs, model.base)
    model = model.to(memory_format=torch.channels_last)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    # Cosine decay to 1% of the initial rate.
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda it: 0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * it / args.iterations)))
    first, seconds = 1, 0.0
    if args.resume:
        state = torch.load(checkpoint_path)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        schedule.load_state_dict(state["schedule"])
        rng.bit_generator.state = state["rng"]
        torch.set_rng_state(state["torch_rng"])
        first, seconds = state["iteration"] + 1, state["seconds"]
        print(f"resumed at iteration {first} after {seconds / 60:.0f} min", flush=True)
    else:
        ours, cubic = held_out_gain(model, held_out)
        print(f"start: held-out Y-PSNR {ours:.2f} dB (bicubic {cubic:.2f}, {ours - cubic:+.2f})", flush=True)

    start, running = time.time() - seconds, 0.0
    for it in range(first, args.iterations + 1):
        lr, hr = sample_batch(pairs, weights, rng, args.batch, args.patch, args.scale, real)
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
        if it % args.checkpoint_every == 0:
            save_checkpoint(checkpoint_path, {
                "model": model.state_dict(), "optimizer": optimizer.state_dict(), "schedule": schedule.state_dict(),
                "rng": rng.bit_generator.state, "torch_rng": torch.get_rng_state(), "iteration": it,
                "seconds": time.time() - start})
    minutes = (time.time() - start) / 60
    save_file({k: v.detach() for k, v in model.state_dict().items()}, args.out,
              {"model": f"Upsampler(channels={model.head.out_channels}, scale={args.scale}, "
                        f"stage_channels={model.conv2.out_channels})",
               "degradation": args.degradation, "iterations": str(args.iterations),
               "init": os.path.basename(args.init) if args.init else "least squares", "minutes": f"{minutes:.0f}"})
    print(f"wrote {args.out} after {minutes:.0f} min", flush=True)


if __name__ == "__main__":
    main()
