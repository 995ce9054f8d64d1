"""Y-PSNR / SSIM of bicubic, Lanczos and the bundled models against high-resolution photos, each degraded with the
training pipeline (photos.degrade: crop to a multiple of the scale, cv2.INTER_AREA down), and with --jpeg Q the
low-resolution input then saved as a JPEG of quality Q. Y is BT.601 luma (MATLAB's rgb2ycbcr) of the 8-bit results;
`scale` pixels are ignored on every border, as in the SR literature. ×4 runs the ×2 model twice, rounding to 16 bits
in between as the upsample program does; a ×4 model (train.py --scale 4) runs once.

    /usr/bin/python3 samples/upsampler/evaluate.py                 # the held-out photos, ×2 and ×4
    /usr/bin/python3 samples/upsampler/evaluate.py --jpeg 75 --scale 2
    /usr/bin/python3 samples/upsampler/evaluate.py FOLDER --scale 2 --model default=my_weights.safetensors
"""
import argparse
import os
import sys

import cv2
import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# The project's safetensors writer / reader (plain PyTorch: the safetensors package is not in Debian).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../tests/pytorch"))
import photos  # noqa: E402
from model import Upsampler, flops_per_input_pixel, upsample  # noqa: E402
from export_safetensors import load_file  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
BUNDLED = {"default": "upsampler_x2.safetensors", "real": "upsampler_x2_real.safetensors",
           "x4": "upsampler_x4.safetensors"}


def enlarge(model, lr, scale):
    """8-bit RGB H×W×3 -> 8-bit RGB (scale·H)×(scale·W)×3."""
    x = torch.from_numpy(lr).permute(2, 0, 1)[None].float() / 255
    with torch.no_grad():
        for stage in range(1 if model.scale == scale else 2):
            if stage:
                x = (x * 65535).round() / 65535
            x = upsample(model, x)
    return (x[0].permute(1, 2, 0).numpy() * 255).round().clip(0, 255).astype(np.uint8)


def load_models(specs):
    """NAME=WEIGHTS pairs (the bundled models by default) -> {NAME: Upsampler}, ×2 or ×4 as the weights say."""
    pairs = [spec.split("=", 1) for spec in specs] if specs else [
        (name, os.path.join(HERE, file)) for name, file in BUNDLED.items() if os.path.exists(os.path.join(HERE, file))]
    models = {}
    for name, path in pairs:
        weights = load_file(path)[0]
        models[name] = Upsampler(scale=weights["base.weight"].shape[-1] // 4)
        models[name].load_state_dict(weights)
        models[name].eval()
    return models


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", nargs="?", help="high-resolution images (default: the held-out photos)")
    parser.add_argument("--scale", type=int, choices=(2, 4), action="append", help="default: 2 and 4")
    parser.add_argument("--jpeg", type=int, help="save the low-resolution input as a JPEG of this quality first")
    parser.add_argument("--model", action="append", metavar="NAME=WEIGHTS",
                        help="a model to evaluate (repeatable; default: the bundled ones)")
    parser.add_argument("--markdown", action="store_true", help="print the README's table")
    args = parser.parse_args()
    torch.set_num_threads(2)

    models = load_models(args.model)
    for name, model in models.items():
        print(f"{name}: ×{model.scale}, {sum(p.numel() for p in model.parameters())} parameters, "
              f"{flops_per_input_pixel(model) / 1000:.1f} kFLOP per input pixel")
    paths = photos.list_images(args.folder) if args.folder else photos.HELD_OUT
    for scale in args.scale or (2, 4):
        # A ×2 model runs once for ×2 and twice for ×4; a ×4 model only for ×4.
        runs = {name: model for name, model in models.items() if model.scale <= scale}
        methods = ("bicubic", "Lanczos") + tuple(runs)
        scores = {m: [] for m in methods}
        source = f"INTER_AREA-downscaled input{f', then JPEG quality {args.jpeg}' if args.jpeg else ''}"
        print(f"\n×{scale}: Y-PSNR dB / SSIM, {source}, {scale}-pixel border ignored")
        print(f"{'image':36}" + "".join(f"{m:>22}" for m in methods))
        for path in paths:
            hr, lr = photos.degrade(photos.read_rgb(path), scale)
            if args.jpeg:
                lr = photos.jpeg(lr, args.jpeg)
            size = (hr.shape[1], hr.shape[0])
            results = [cv2.resize(lr, size, interpolation=cv2.INTER_CUBIC),
                       cv2.resize(lr, size, interpolation=cv2.INTER_LANCZOS4)]
            results += [enlarge(model, lr, scale) for model in runs.values()]
            line = f"{photos.label(path):36}"
            for method, result in zip(methods, results):
                score = (photos.y_psnr(result, hr, scale), photos.y_ssim(result, hr, scale))
                scores[method].append(score)
                line += f"{score[0]:>14.2f} / {score[1]:.4f}"
            print(line, flush=True)
        means = {m: np.mean(scores[m], axis=0) for m in methods}
        print(f"{'mean':36}" + "".join(f"{means[m][0]:>14.2f} / {means[m][1]:.4f}" for m in methods))
        for name in runs:
            print(f"{name} - bicubic: {means[name][0] - means['bicubic'][0]:+.2f} dB, "
                  f"{name} - Lanczos: {means[name][0] - means['Lanczos'][0]:+.2f} dB")
        if args.markdown:
            print(f"\n| ×{scale} | " + " | ".join(methods) + " |\n|" + "---|" * (len(methods) + 1))
            for i, path in enumerate(paths):
                print(f"| {photos.label(path)} | " + " | ".join(
                    f"{scores[m][i][0]:.2f} / {scores[m][i][1]:.4f}" for m in methods) + " |")
            print("| **mean** | " + " | ".join(f"**{means[m][0]:.2f} / {means[m][1]:.4f}**" for m in methods) + " |")


if __name__ == "__main__":
    main()
