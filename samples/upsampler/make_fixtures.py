"""The parity fixtures of tests/upsampler_test.cpp: a crop of the bundled photo and PyTorch's output for
it with each bundled model's committed weights (unclamped, float32): output_x2.npy, output_x2_real.npy,
output_x4.npy.

    /usr/bin/python3 samples/upsampler/make_fixtures.py
"""
import os
import sys

import cv2
import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
# The project's safetensors reader (plain PyTorch: the safetensors package is not in Debian).
sys.path.insert(0, os.path.join(ROOT, "tests/pytorch"))
from model import Upsampler  # noqa: E402
from export_safetensors import load_file  # noqa: E402


def main():
    # Rows 96..135, columns 80..131 of the bundled photo: the face, with edges and texture.
    rgb = cv2.cvtColor(cv2.imread(os.path.join(ROOT, "samples/data/astronaut_256.png")), cv2.COLOR_BGR2RGB)
    x = torch.from_numpy(rgb[96:136, 80:132]).permute(2, 0, 1)[None].float() / 255  # [1, 3, 40, 52]
    folder = os.path.join(ROOT, "tests/data/upsampler")
    os.makedirs(folder, exist_ok=True)
    np.save(os.path.join(folder, "input.npy"), x.numpy())
    for name, scale in (("x2", 2), ("x2_real", 2), ("x4", 4)):
        model = Upsampler(scale=scale)
        model.load_state_dict(load_file(os.path.join(HERE, f"upsampler_{name}.safetensors"))[0])
        with torch.no_grad():
            y = model.eval()(x)
        np.save(os.path.join(folder, f"output_{name}.npy"), y.numpy())
        print(f"wrote {folder}/output_{name}.npy {tuple(y.shape)}")


if __name__ == "__main__":
    main()
