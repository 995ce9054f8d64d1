#!/usr/bin/env python3
"""Generate the PyTorch golden data used by Strider's parity tests.

Usage (from the repository root, with Debian's PyTorch 1.13):

    /usr/bin/python3 tests/pytorch/make_golden.py [--out tests/data/golden]

Writes, into the output directory (stale *.npy files and manifest.json are
deleted first):

  * <case>_<tensor>.npy   numpy.save'd tensors.  Float tensors are float32
                          ('<f4', C order); MaxPool2d indices are float64
                          ('<f8'), which is exact for these small planes.
  * manifest.json         {"torch_version", "cases", "rejected",
                           "strider_rejects"}; see the format description in
                          the comments of `Golden.write_manifest` in golden_writer.py.

Everything is deterministic: fixed seeds (random.Random, per-case
torch.Generator), one intra-op thread, and error messages that print a Python
set (whose order depends on PYTHONHASHSEED) are canonicalised by sorting the
set's elements.

Every accepted case's output shape is asserted against the formulas of
/work/shared/PYTORCH_SEMANTICS.md, and every rejection record is asserted to
really raise in PyTorch (with the expected message), so a change of PyTorch
behaviour makes this script fail loudly instead of writing wrong data.
"""


import argparse
import glob
import os
import random
import sys
import time
import warnings

import torch

from golden_arith import OPS, SEED
from golden_writer import Golden
from golden_random import random_conv2d, random_convt, random_pool
from golden_cases import avgpool_cases, conv2d_cases, convt_cases, maxpool_cases
from golden_rejections import rejections, strider_rejects


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(here, "..", "data", "golden"),
                    help="output directory (default: tests/data/golden)")
    opts = ap.parse_args()
    t0 = time.time()

    if not torch.__version__.startswith("1.13"):
        print("warning: expected PyTorch 1.13, got %s" % torch.__version__,
              file=sys.stderr)
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore", category=UserWarning)

    out = os.path.normpath(opts.out)
    os.makedirs(out, exist_ok=True)
    for f in glob.glob(os.path.join(out, "*.npy")) + [os.path.join(out, "manifest.json")]:
        if os.path.exists(f):
            os.remove(f)

    G = Golden(out)
    conv2d_cases(G)
    convt_cases(G)
    maxpool_cases(G)
    avgpool_cases(G)

    targets = {"Conv2d": 104, "ConvTranspose2d": 74, "MaxPool2d": 54, "AvgPool2d": 54}
    for i, op in enumerate(OPS):
        rng = random.Random(SEED + i)
        while G.count[op] < targets[op]:
            if op == "Conv2d":
                a, shape = random_conv2d(rng)
                G.add(op, a, shape)
            elif op == "ConvTranspose2d":
                a, shape, out_size = random_convt(rng)
                G.add(op, a, shape, output_size=out_size)
            else:
                a, shape = random_pool(rng, op)
                G.add(op, a, shape)

    rejections(G)
    strider_rejects(G)
    G.write_manifest()

    per_op = ", ".join("%s %d" % (op, G.count[op]) for op in OPS)
    print("cases: %d (%s)" % (len(G.cases), per_op))
    print("rejected: %d, strider_rejects: %d" % (len(G.rejected), len(G.strider_rejects)))
    n_files = len(glob.glob(os.path.join(out, "*.npy")))
    print("wrote %d .npy files + manifest.json to %s in %.1f s"
          % (n_files, out, time.time() - t0))


if __name__ == "__main__":
    main()
