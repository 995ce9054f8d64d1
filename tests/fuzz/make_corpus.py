#!/usr/bin/env python3
"""Writes the fuzzers' seed corpus (tests/fuzz/corpus/): a few tiny valid files per loader.

    /usr/bin/python3 tests/fuzz/make_corpus.py      (Debian's PyTorch 1.13; deterministic)
"""

import io
import os
import sys
import warnings

import numpy as np
import torch
import torch.nn as nn

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "pytorch"))
from export_safetensors import save_file  # noqa: E402

warnings.filterwarnings("ignore")
torch.manual_seed(0)


def out(target, name):
    os.makedirs(os.path.join(here, "corpus", target), exist_ok=True)
    return os.path.join(here, "corpus", target, name)


np.save(out("fuzz_npy", "f4_2x3.npy"), np.arange(6, dtype="<f4").reshape(2, 3))
np.save(out("fuzz_npy", "f8_1x1x2x2.npy"), np.ones((1, 1, 2, 2), dtype="<f8"))
save_file({"w": torch.ones(2, 3), "b": torch.zeros(2, dtype=torch.float16)}, out("fuzz_safetensors", "two.safetensors"))
save_file({"x": torch.arange(4, dtype=torch.bfloat16), "n": torch.tensor(3)}, out("fuzz_safetensors", "mixed.safetensors"))


class Small(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 2, 3, padding=1)
        self.up = nn.ConvTranspose2d(2, 2, 2, stride=2)

    def forward(self, x):
        y = torch.relu(self.conv(x))
        y = nn.functional.max_pool2d(y, 2)
        y = nn.functional.interpolate(self.up(y), size=x.shape[2:], mode="bilinear")
        return torch.cat([y, x], 1).flatten(1)


torch.onnx.export(Small().eval(), torch.zeros(1, 2, 4, 4), out("fuzz_onnx", "small.onnx"), opset_version=13)
