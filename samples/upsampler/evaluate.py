"""Y-PSNR / SSIM of bicubic, Lanczos and the bundled models against high-resolution photos, each degraded with the
training pipeline (photos.degrade: crop to a multiple of the scale, cv2.INTER_AREA down), and with --jpeg Q the
low-resolution input then saved as a JPEG of quality Q. Y is BT.601 luma (MATLAB's rgb2ycbcr) of the 8-bit results;
`scale` pixels are ignored on every border, as in the SR literature. ×4 runs the ×2 model twice, rounding to 16 bits
in between as the upsample program does.

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
from model import Upsampler, flops_per_input_pixel, upsample_x2  # noqa: E402
from export_safetensors import load_file  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
BUNDLED = {"default": os.path.join(HERE, "upsampler_x2.safetensors"),
           "real": os.path.join(HERE, "upsampler_x2_real.safetensors")}


def upsample(model, lr, scale):
    """8-bit RGB H×W×3 -> 8-bit RGB (scale·H)×(scale·W)×3."""
    x = torch.from_numpy(lr).permute(2, 0, 1)[None].float() / 255
    with torch.no_grad():
        for stage in range(scale // 2):
            if stage:
                x = (x * 65535).round() / 65535
            x = upsample_x2(model, x)
    return (x[0].permute(1, 2, 0).numpy() * 255).round().clip(0, 255).astype(np.uint8)


def load_models(specs):
    """NAME=WEIGHTS pairs (the bundled models by default) -> {NAME: Upsampler}."""
    models = {}
    for name, path in (spec.split("=", 1) for spec in specs) if specs else BUNDLED.items():
        model = Upsampler()
        model.load_state_dict(load_file(path)[0])
        models[name] = model.eval()
    return models


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", nargs="?", help="high-resolution images (default: the held-out photos)")
    parser.add_argument("--scale", type=int, choices=(2, 4), action="append", help="default: 2 and 4")
    parser.add_argument("--jpeg", type=int, help="save the low-resolution input as a JPEG of this quality first")
    parser.add_argument("--model", action="append", metavar="NAME=WEIGHTS",
                        help="a model to evaluate (repeatable; default: the bundled default and real models)")
    parser.add_argument("--markdown", action="store_true", help="print the README's table")
    args = parser.parse_args()
    torch.set_num_threads(2)

    models = load_models(args.model)
    model = next(iter(models.values()))
    print(f"models: {', '.join(models)}; {sum(p.numel() for p in model.parameters())} parameters, "
          f"{flops_per_input_pixel(model) / 1000:.1f} kFLOP per input pixel per ×2 stage")
    paths = photos.list_images(args.folder) if args.folder else photos.HELD_OUT
    methods = ("bicubic", "Lanczos") + tuple(models)
    for scale in args.scale or (2, 4):
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
            results += [upsample(m, lr, scale) for m in models.values()]
            line = f"{os.path.basename(path):36}"
            for method, result in zip(methods, results):
                score = (photos.y_psnr(result, hr, scale), photos.y_ssim(result, hr, scale))
                scores[method].append(score)
                line += f"{score[0]:>14.2f} / {score[1]:.4f}"
            print(line, flush=True)
        means = {m: np.mean(scores[m], axis=0) for m in methods}
        print(f"{'mean':36}" + "".join(f"{means[m][0]:>14.2f} / {means[m][1]:.4f}" for m in methods))
        for name in models:
            print(f"{name} - bicubic: {means[name][0] - means['bicubic'][0]:+.2f} dB, "
                  f"{name} - Lanczos: {means[name][0] - means['Lanczos'][0]:+.2f} dB")
        if args.markdown:
            print(f"\n| ×{scale} | " + " | ".join(methods) + " |\n|" + "---|" * (len(methods) + 1))
            for i, path in enumerate(paths):
                print(f"| {os.path.basename(path)} | " + " | ".join(
                    f"{scores[m][i][0]:.2f} / {scores[m][i][1]:.4f}" for m in methods) + " |")
            print("| **mean** | " + " | ".join(f"**{means[m][0]:.2f} / {means[m][1]:.4f}**" for m in methods) + " |")


if __name__ == "__main__":
    main()
