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
                          the comments of `Golden.write_manifest` below.

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
import json
import math
import os
import random
import re
import sys
import time
import warnings
import zlib

import numpy as np
import torch
import torch.nn as nn

SEED = 1729
FLOAT_FILE_LIMIT = 992  # float32 elements that fit a 4 KiB block with the npy header
INDEX_FILE_LIMIT = 496  # float64 elements likewise

OPS = ("Conv2d", "ConvTranspose2d", "MaxPool2d", "AvgPool2d")
PREFIX = {"Conv2d": "conv2d", "ConvTranspose2d": "convtranspose2d",
          "MaxPool2d": "maxpool2d", "AvgPool2d": "avgpool2d"}
DEFAULTS = {
    "Conv2d": dict(stride=1, padding=0, dilation=1, groups=1, bias=True,
                   padding_mode="zeros"),
    "ConvTranspose2d": dict(stride=1, padding=0, output_padding=0, groups=1,
                            bias=True, dilation=1),
    "MaxPool2d": dict(stride=None, padding=0, dilation=1, return_indices=False,
                      ceil_mode=False),
    "AvgPool2d": dict(stride=None, padding=0, ceil_mode=False,
                      count_include_pad=True, divisor_override=None),
}
PAIR_KEYS = ("kernel_size", "stride", "padding", "dilation", "output_padding")
INF = float("inf")
NAN = float("nan")


# ----------------------------------------------------------------------------
# Shape arithmetic (PYTORCH_SEMANTICS.md §1-§3), used to validate random draws
# and to assert every output shape PyTorch produces.
# ----------------------------------------------------------------------------

def pair(v):
    if isinstance(v, (list, tuple)):
        assert len(v) == 2, v
        return int(v[0]), int(v[1])
    return int(v), int(v)


def full_args(op, args):
    a = dict(DEFAULTS[op])
    a.update(args)
    return a


def conv_pads(a):
    """(top, bottom, left, right) padding of a Conv2d."""
    p = a["padding"]
    if p == "valid":
        return 0, 0, 0, 0
    if p == "same":
        (kh, kw), (dh, dw) = pair(a["kernel_size"]), pair(a["dilation"])
        th, tw = dh * (kh - 1), dw * (kw - 1)
        return th // 2, th - th // 2, tw // 2, tw - tw // 2
    ph, pw = pair(p)
    return ph, ph, pw, pw


def conv2d_out(a, h, w):
    (kh, kw), (sh, sw), (dh, dw) = (pair(a["kernel_size"]), pair(a["stride"]),
                                    pair(a["dilation"]))
    pt, pb, pl, pr = conv_pads(a)
    num_h = h + pt + pb - dh * (kh - 1) - 1
    num_w = w + pl + pr - dw * (kw - 1) - 1
    if num_h < 0 or num_w < 0:
        return None
    return num_h // sh + 1, num_w // sw + 1


def conv2d_valid(a, h, w):
    """True when PyTorch accepts the configuration (sizes and padding_mode)."""
    if conv2d_out(a, h, w) is None:
        return False
    pt, pb, pl, pr = conv_pads(a)
    mode = a["padding_mode"]
    if mode == "reflect" and (max(pt, pb) >= h or max(pl, pr) >= w):
        return False
    if mode == "circular" and (max(pt, pb) > h or max(pl, pr) > w):
        return False
    return True


def convt_min(a, h, w):
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = (
        pair(a["kernel_size"]), pair(a["stride"]), pair(a["padding"]),
        pair(a["dilation"]))
    return ((h - 1) * sh - 2 * ph + dh * (kh - 1) + 1,
            (w - 1) * sw - 2 * pw + dw * (kw - 1) + 1)


def convt_range(a, h, w):
    (mh, mw), (sh, sw) = convt_min(a, h, w), pair(a["stride"])
    return (mh, mw), (mh + sh - 1, mw + sw - 1)


def convt_out(a, h, w):
    (mh, mw), (oph, opw) = convt_min(a, h, w), pair(a["output_padding"])
    return mh + oph, mw + opw


def convt_op_ok(a):
    (oph, opw), (sh, sw), (dh, dw) = (pair(a["output_padding"]),
                                      pair(a["stride"]), pair(a["dilation"]))
    return (oph >= 0 and opw >= 0 and (oph < sh or oph < dh)
            and (opw < sw or opw < dw))


def pool_params(op, a):
    k = pair(a["kernel_size"])
    s = k if a["stride"] is None else pair(a["stride"])
    p = pair(a["padding"])
    d = pair(a["dilation"]) if op == "MaxPool2d" else (1, 1)
    return k, s, p, d


def pool_dim(n, k, s, p, d, ceil):
    num = n + 2 * p - d * (k - 1) - 1
    if ceil:
        o = -(-num // s) + 1
        if (o - 1) * s >= n + p:
            o -= 1
    else:
        o = num // s + 1
    return o


def pool_out(op, a, h, w):
    k, s, p, d = pool_params(op, a)
    return (pool_dim(h, k[0], s[0], p[0], d[0], a["ceil_mode"]),
            pool_dim(w, k[1], s[1], p[1], d[1], a["ceil_mode"]))


def pool_args_ok(op, a):
    k, s, p, d = pool_params(op, a)
    return all(k[i] >= 1 and s[i] >= 1 and d[i] >= 1 and 0 <= p[i] <= k[i] // 2
               for i in range(2))


def empty_taps(n, k, s, p, d, o_count):
    """Output positions of one dim whose dilated window has no in-range tap."""
    return [o for o in range(o_count)
            if not any(0 <= o * s - p + i * d < n for i in range(k))]


def maxpool_has_empty_window(a, h, w):
    k, s, p, d = pool_params("MaxPool2d", a)
    oh, ow = pool_out("MaxPool2d", a, h, w)
    return bool(empty_taps(h, k[0], s[0], p[0], d[0], oh)
                or empty_taps(w, k[1], s[1], p[1], d[1], ow))


def numel(shape):
    return int(np.prod(shape)) if len(shape) else 1


# ----------------------------------------------------------------------------
# Tensor factories: fn(generator, shape) -> float32 tensor
# ----------------------------------------------------------------------------

def uniform_input(g, shape):
    return torch.rand(shape, generator=g, dtype=torch.float32) * 2 - 1


def integer_input(lo, hi):
    """Integers lo..hi (inclusive) as float32: frequent ties for max-pool."""
    def make(g, shape):
        return torch.randint(lo, hi + 1, shape, generator=g).to(torch.float32)
    return make


def constant_input(v):
    def make(g, shape):
        return torch.full(shape, v, dtype=torch.float32)
    return make


def negative_input(g, shape):
    """All values in [-2, -1): padding must never win a max."""
    return torch.rand(shape, generator=g, dtype=torch.float32) - 2


def with_values(base, points):
    """base input, then x[idx] = value for each (idx, value) in points."""
    def make(g, shape):
        x = base(g, shape)
        for idx, v in points:
            x[idx] = v
        return x
    return make


def to_torch(v):
    return tuple(v) if isinstance(v, list) else v


def canonical_message(msg):
    """Sort the elements of printed Python sets, e.g. {'valid', 'same'}."""
    def sort_set(m):
        items = [s.strip() for s in m.group(1).split(",")]
        return "{" + ", ".join(sorted(items)) + "}"
    return re.sub(r"\{('[^']*'(?:, '[^']*')*)\}", sort_set, msg)


def build_module(op, a):
    kw = {k: to_torch(v) for k, v in a.items()}
    return getattr(nn, op)(**kw)


def run_forward(module, x, output_size):
    if output_size is not None:
        return module(x, output_size=list(output_size))
    return module(x)


# ----------------------------------------------------------------------------
# The generator
# ----------------------------------------------------------------------------

class Golden:
    def __init__(self, out_dir):
        self.out = out_dir
        self.cases = []
        self.rejected = []
        self.strider_rejects = []
        self.count = {op: 0 for op in OPS}

    # -- files ---------------------------------------------------------------
    def save(self, name, key, t, dtype="<f4"):
        fname = "%s_%s.npy" % (name, key)
        arr = np.ascontiguousarray(t.detach().cpu().numpy().astype(dtype))
        np.save(os.path.join(self.out, fname), arr, allow_pickle=False)
        return fname

    def generator(self, name):
        g = torch.Generator()
        g.manual_seed(SEED * 1000003 + zlib.crc32(name.encode()))
        return g

    # -- accepted cases --------------------------------------------------------
    def add(self, op, args, input_shape, inp=None, output_size=None,
            expect_hw=None):
        """Run one accepted configuration and save its tensors.

        expect_hw: optional (oh, ow) the output must have (a hand-derived
        value from the docs, checked in addition to the formulas)."""
        a = full_args(op, args)
        name = "%s_%03d" % (PREFIX[op], self.count[op])
        self.count[op] += 1
        g = self.generator(name)
        module = build_module(op, a)
        tensors = {}
        with torch.no_grad():
            if op in ("Conv2d", "ConvTranspose2d"):
                cin, groups = a["in_channels"], a["groups"]
                kh, kw = pair(a["kernel_size"])
                bound = 1.0 / math.sqrt((cin // groups) * kh * kw)
                module.weight.uniform_(-bound, bound, generator=g)
                if module.bias is not None:
                    module.bias.uniform_(-bound, bound, generator=g)
            x = (inp or uniform_input)(g, list(input_shape)).to(torch.float32)
            res = run_forward(module, x, output_size)
        idx = None
        if isinstance(res, tuple):
            res, idx = res

        # --- shape checks against the documented formulas ---
        h, w = input_shape[-2], input_shape[-1]
        if op == "Conv2d":
            assert conv2d_valid(a, h, w), (name, a, input_shape)
            hw = conv2d_out(a, h, w)
            c = a["out_channels"]
        elif op == "ConvTranspose2d":
            if output_size is not None:
                lo, hi = convt_range(a, h, w)
                hw = tuple(output_size[-2:])
                assert all(lo[i] <= hw[i] <= hi[i] for i in range(2)), name
            else:
                assert convt_op_ok(a), (name, a)
                hw = convt_out(a, h, w)
            c = a["out_channels"]
        else:
            assert pool_args_ok(op, a), (name, a)
            hw = pool_out(op, a, h, w)
            c = input_shape[-3]
            if op == "MaxPool2d":
                assert not maxpool_has_empty_window(a, h, w), (name, a)
        assert hw[0] >= 1 and hw[1] >= 1, (name, hw)
        if expect_hw is not None:
            assert tuple(expect_hw) == tuple(hw), (name, expect_hw, hw)
        want = list(input_shape[:-3]) + [c, hw[0], hw[1]]
        assert list(res.shape) == want, (name, a, input_shape, list(res.shape), want)
        if op == "MaxPool2d":
            assert (idx is not None) == bool(a["return_indices"]), name
            # values must not depend on return_indices
            a2 = dict(a, return_indices=not a["return_indices"])
            with torch.no_grad():
                other = build_module(op, a2)(x)
            other = other[0] if isinstance(other, tuple) else other
            assert torch.equal(torch.nan_to_num(other, nan=7e7),
                               torch.nan_to_num(res, nan=7e7)), name

        tensors["input"] = self.save(name, "input", x)
        if op in ("Conv2d", "ConvTranspose2d"):
            tensors["weight"] = self.save(name, "weight", module.weight)
            if a["bias"]:
                tensors["bias"] = self.save(name, "bias", module.bias)
        tensors["output"] = self.save(name, "output", res)
        if idx is not None:
            assert idx.dtype == torch.int64
            assert idx.numel() == 0 or int(idx.max()) < 2 ** 53
            tensors["indices"] = self.save(name, "indices", idx, "<f8")

        case = {"name": name, "op": op, "args": a, "tensors": tensors}
        if output_size is not None:
            case["output_size"] = list(output_size)
        self.cases.append(case)
        return res, idx

    # -- rejections -------------------------------------------------------------
    def measure(self, op, args, input_shape, output_size):
        """Returns (stage, "Type: message") or (None, (output, indices))."""
        a = full_args(op, args)
        try:
            module = build_module(op, a)
        except Exception as e:  # noqa: BLE001 - we record whatever PyTorch raises
            return "constructor", "%s: %s" % (type(e).__name__,
                                              canonical_message(str(e)))
        g = self.generator("reject")
        x = uniform_input(g, list(input_shape))
        try:
            with torch.no_grad():
                res = run_forward(module, x, output_size)
        except Exception as e:  # noqa: BLE001
            return "forward", "%s: %s" % (type(e).__name__,
                                          canonical_message(str(e)))
        return None, res

    def reject(self, op, args, input_shape, argument, expect, stage=None,
               output_size=None):
        """Record a configuration PyTorch rejects.  `expect` is a substring the
        message must contain; `stage` (if given) the stage it must fail at."""
        got_stage, msg = self.measure(op, args, input_shape, output_size)
        rec = {"name": "rej_%03d" % len(self.rejected), "op": op,
               "args": full_args(op, args), "input_shape": list(input_shape)}
        assert got_stage is not None, (
            "PyTorch ACCEPTED a configuration recorded as rejected: %r" % rec)
        assert expect in msg, ("unexpected PyTorch error", rec, msg, expect)
        assert stage is None or stage == got_stage, (rec, got_stage, msg)
        assert "\n" not in msg, msg
        if output_size is not None:
            rec["output_size"] = list(output_size)
        rec.update(stage=got_stage, torch_error=msg, argument=argument)
        self.rejected.append(rec)

    def strider_reject(self, op, args, input_shape, argument, check,
                       output_size=None):
        """Record a configuration PyTorch accepts but Strider rejects on
        purpose.  check(result) -> description of what PyTorch returned; it
        must assert the behaviour the record documents."""
        got_stage, res = self.measure(op, args, input_shape, output_size)
        rec = {"name": "srej_%03d" % len(self.strider_rejects), "op": op,
               "args": full_args(op, args), "input_shape": list(input_shape)}
        assert got_stage is None, ("PyTorch rejected", rec, res)
        if output_size is not None:
            rec["output_size"] = list(output_size)
        rec.update(stage="forward", torch_error="accepted: " + check(rec, res),
                   argument=argument)
        self.strider_rejects.append(rec)

    # -- output ---------------------------------------------------------------
    def write_manifest(self):
        # manifest.json:
        #  "torch_version": torch.__version__
        #  "cases": [{"name", "op", "args" (every constructor arg by PyTorch
        #      name; pairs as [h, w] lists or ints, stride may be null for the
        #      pools), "output_size" (ConvTranspose2d forward(x, output_size=)
        #      only), "tensors": {"input", "output", "weight", "bias",
        #      "indices"} -> .npy file names (weight/bias for the convs, bias
        #      only if args.bias, indices only if args.return_indices)}]
        #  "rejected": [{"name", "op", "args", "input_shape", "output_size"
        #      (optional), "stage": "constructor" | "forward", "torch_error":
        #      "<ExceptionType>: <message>", "argument": the Strider argument
        #      the C++ error must name}]
        #  "strider_rejects": same records for configurations PyTorch accepts
        #      (stage "forward", torch_error "accepted: <what it returned>").
        names = [c["name"] for c in self.cases] + \
                [r["name"] for r in self.rejected + self.strider_rejects]
        assert len(names) == len(set(names))
        manifest = {
            "torch_version": torch.__version__,
            "cases": self.cases,
            "rejected": self.rejected,
            "strider_rejects": self.strider_rejects,
        }
        with open(os.path.join(self.out, "manifest.json"), "w") as f:
            json.dump(manifest, f, indent=1, sort_keys=True, allow_nan=False)
            f.write("\n")


# ----------------------------------------------------------------------------
# Random configurations
# ----------------------------------------------------------------------------

def maybe_pair(rng, h, w, p_int=0.7):
    """An int when h == w (usually), otherwise the [h, w] list."""
    if h == w and rng.random() < p_int:
        return h
    return [h, w]


def batch_shape(rng, c, h, w, unbatched_p=0.15):
    r = rng.random()
    if r < unbatched_p:
        return [c, h, w]
    return [1 if r < 0.7 else 2, c, h, w]


def channels(rng, limit=8):
    g = rng.choice([1, 1, 1, 1, 2, 2, 3, 4])
    cin = g * rng.randint(1, max(1, limit // g))
    cout = g * rng.randint(1, max(1, limit // g))
    return g, cin, cout


def random_conv2d(rng):
    while True:
        g, cin, cout = channels(rng)
        kh, kw = rng.randint(1, 5), rng.randint(1, 5)
        sh, sw = rng.randint(1, 4), rng.randint(1, 4)
        dh, dw = rng.randint(1, 4), rng.randint(1, 4)
        mode = rng.choice(["zeros"] * 5 + ["reflect", "replicate", "circular"])
        r = rng.random()
        if r < 0.15:
            sh = sw = 1
            padding = "same"
        elif r < 0.25:
            padding = "valid"
        else:
            padding = maybe_pair(rng, rng.randint(0, kh), rng.randint(0, kw))
        h, w = rng.randint(1, 13), rng.randint(1, 13)
        a = full_args("Conv2d", dict(
            in_channels=cin, out_channels=cout, kernel_size=maybe_pair(rng, kh, kw),
            stride=maybe_pair(rng, sh, sw), padding=padding,
            dilation=maybe_pair(rng, dh, dw), groups=g, bias=rng.random() < 0.35,
            padding_mode=mode))
        shape = batch_shape(rng, cin, h, w)
        if not conv2d_valid(a, h, w):
            continue
        oh, ow = conv2d_out(a, h, w)
        n = shape[0] if len(shape) == 4 else 1
        if (numel(shape) > FLOAT_FILE_LIMIT or n * cout * oh * ow > FLOAT_FILE_LIMIT
                or cout * (cin // g) * kh * kw > FLOAT_FILE_LIMIT):
            continue
        return a, shape


def random_convt(rng):
    while True:
        g, cin, cout = channels(rng)
        kh, kw = rng.randint(1, 5), rng.randint(1, 5)
        sh, sw = rng.randint(1, 4), rng.randint(1, 4)
        dh, dw = rng.randint(1, 4), rng.randint(1, 4)
        ph = rng.randint(0, max(0, dh * (kh - 1)))
        pw = rng.randint(0, max(0, dw * (kw - 1)))
        oph = rng.randint(0, max(sh, dh) - 1) if rng.random() < 0.4 else 0
        opw = rng.randint(0, max(sw, dw) - 1) if rng.random() < 0.4 else 0
        h, w = rng.randint(1, 7), rng.randint(1, 7)
        a = full_args("ConvTranspose2d", dict(
            in_channels=cin, out_channels=cout, kernel_size=maybe_pair(rng, kh, kw),
            stride=maybe_pair(rng, sh, sw), padding=maybe_pair(rng, ph, pw),
            output_padding=maybe_pair(rng, oph, opw), groups=g,
            bias=rng.random() < 0.35, dilation=maybe_pair(rng, dh, dw)))
        shape = batch_shape(rng, cin, h, w)
        out_size = None
        if rng.random() < 0.2:
            lo, hi = convt_range(a, h, w)
            out_size = [rng.randint(lo[0], hi[0]), rng.randint(lo[1], hi[1])]
            if len(shape) == 4 and rng.random() < 0.5:
                out_size = [shape[0], cout] + out_size
            oh, ow = out_size[-2:]
        else:
            if not convt_op_ok(a):
                continue
            oh, ow = convt_out(a, h, w)
        if oh < 1 or ow < 1 or min(convt_min(a, h, w)) < 1:
            continue
        n = shape[0] if len(shape) == 4 else 1
        if (numel(shape) > FLOAT_FILE_LIMIT or n * cout * oh * ow > FLOAT_FILE_LIMIT
                or cin * (cout // g) * kh * kw > FLOAT_FILE_LIMIT):
            continue
        return a, shape, out_size


def random_pool(rng, op):
    while True:
        kh, kw = rng.randint(1, 5), rng.randint(1, 5)
        a = {"kernel_size": maybe_pair(rng, kh, kw)}
        if rng.random() < 0.25:
            a["stride"] = None
        else:
            a["stride"] = maybe_pair(rng, rng.randint(1, 4), rng.randint(1, 4))
        a["padding"] = maybe_pair(rng, rng.randint(0, kh // 2), rng.randint(0, kw // 2))
        a["ceil_mode"] = rng.random() < 0.5
        if op == "MaxPool2d":
            a["dilation"] = maybe_pair(rng, rng.choice([1, 1, 2, 3, 4]),
                                       rng.choice([1, 1, 2, 3, 4]))
            a["return_indices"] = rng.random() < 0.5
        else:
            a["count_include_pad"] = rng.random() < 0.5
            a["divisor_override"] = (rng.choice([-3, -1, 1, 2, 5, 7, 9])
                                     if rng.random() < 0.2 else None)
        a = full_args(op, a)
        c = rng.randint(1, 4)
        h, w = rng.randint(1, 13), rng.randint(1, 13)
        shape = batch_shape(rng, c, h, w)
        oh, ow = pool_out(op, a, h, w)
        if oh < 1 or ow < 1:
            continue
        if op == "MaxPool2d" and maxpool_has_empty_window(a, h, w):
            continue
        n = shape[0] if len(shape) == 4 else 1
        if numel(shape) > FLOAT_FILE_LIMIT:
            continue
        limit = INDEX_FILE_LIMIT if a.get("return_indices") else FLOAT_FILE_LIMIT
        if n * c * oh * ow > limit:
            continue
        return a, shape


# ----------------------------------------------------------------------------
# Deliberate cases
# ----------------------------------------------------------------------------

def conv2d_cases(G):
    def C(cin, cout, k, shape, **kw):
        G.add("Conv2d", dict(in_channels=cin, out_channels=cout, kernel_size=k, **kw),
              shape)

    def CE(cin, cout, k, shape, expect_hw, **kw):
        # the figure examples of ARITHMETIC.md, without bias
        G.add("Conv2d", dict(in_channels=cin, out_channels=cout, kernel_size=k,
                             bias=False, **kw), shape, expect_hw=expect_hw)

    # basics, odd sizes
    C(1, 1, 3, [1, 1, 5, 5])
    C(2, 3, 3, [1, 2, 7, 9])
    C(3, 2, 2, [1, 3, 9, 7], bias=False)
    # ARITHMETIC.md relations 1-6 and 15 (figure examples)
    CE(1, 1, 3, [1, 1, 4, 4], (2, 2))                              # Fig 2.1
    CE(1, 1, 4, [1, 1, 5, 5], (6, 6), padding=2)                   # Fig 2.2
    CE(1, 1, 3, [1, 1, 5, 5], (5, 5), padding=1)                   # Fig 2.3
    CE(1, 1, 3, [1, 1, 5, 5], (7, 7), padding=2)                   # Fig 2.4
    CE(1, 1, 3, [1, 1, 5, 5], (2, 2), stride=2)                    # Fig 2.5
    CE(1, 1, 3, [1, 1, 5, 5], (3, 3), stride=2, padding=1)         # Fig 2.6
    CE(1, 1, 3, [1, 1, 6, 6], (3, 3), stride=2, padding=1)         # Fig 2.7
    CE(1, 1, 3, [1, 1, 7, 7], (3, 3), dilation=2)                  # Fig 5.1
    # 1xN / Nx1 kernels, asymmetric tuples
    C(3, 4, [1, 5], [1, 3, 6, 9])
    C(3, 4, [5, 1], [1, 3, 9, 6])
    C(2, 4, [1, 3], [1, 2, 5, 8], stride=[1, 2], padding=[0, 1])
    C(2, 2, [3, 1], [1, 2, 7, 4], stride=[3, 1], dilation=[2, 1], bias=False)
    C(2, 2, [3, 2], [2, 2, 9, 11], stride=[2, 3], padding=[1, 2], dilation=[2, 1])
    C(1, 3, [2, 5], [1, 1, 8, 12], stride=[1, 4], padding=[2, 0], dilation=[3, 2])
    C(2, 1, [4, 3], [1, 2, 11, 7], stride=[3, 2], padding=[1, 3], dilation=[1, 2])
    C(1, 2, [1, 3], [1, 1, 1, 7])                                   # single-row input
    C(2, 2, 1, [1, 2, 1, 1])                                        # 1x1 everything
    C(2, 3, 1, [1, 2, 7, 6], stride=2)
    C(2, 2, 5, [1, 2, 5, 5])                                        # kernel == input
    # strides 1-4
    C(2, 2, 3, [1, 2, 13, 13], stride=4)
    C(2, 2, 2, [1, 2, 11, 10], stride=3, bias=False)
    C(1, 2, 3, [1, 1, 10, 9], stride=[4, 3], padding=1)
    # dilations 1-4
    C(2, 2, 3, [1, 2, 11, 11], dilation=4)
    C(2, 2, 3, [1, 2, 9, 12], dilation=[1, 3], padding=[0, 2])
    C(2, 3, [2, 3], [1, 2, 9, 10], dilation=[4, 2], stride=2)
    C(1, 1, 2, [1, 1, 6, 6], dilation=3, padding=1)
    # groups and depthwise
    C(4, 6, 3, [1, 4, 6, 7], groups=2)
    C(6, 4, [2, 3], [1, 6, 7, 5], groups=2, stride=[2, 1])
    C(8, 8, 3, [1, 8, 5, 5], groups=4, padding=1, bias=False)
    C(6, 3, 1, [1, 6, 4, 5], groups=3)
    C(3, 3, 3, [1, 3, 7, 7], groups=3, padding=1)                   # depthwise, m=1
    C(3, 6, 3, [2, 3, 6, 5], groups=3)                              # depthwise, m=2
    C(4, 8, [3, 1], [1, 4, 7, 6], groups=4, stride=2)               # depthwise, m=2
    C(2, 6, 3, [1, 2, 8, 9], groups=2, dilation=2, padding="same")  # depthwise, m=3
    # padding 'same' (odd / even kernels, dilation, even k + odd d)
    C(2, 2, 3, [1, 2, 6, 7], padding="same")
    C(2, 2, 2, [1, 2, 5, 6], padding="same")                        # pads 0/1
    C(2, 2, 4, [1, 2, 7, 5], padding="same")                        # pads 1/2
    C(1, 2, [2, 4], [1, 1, 6, 8], padding="same", bias=False)
    C(2, 1, 2, [1, 2, 7, 7], padding="same", dilation=3)            # even k, odd d: 1/2
    C(1, 1, 4, [1, 1, 9, 10], padding="same", dilation=3)           # 4/5
    C(2, 2, 3, [1, 2, 7, 6], padding="same", dilation=2)
    C(1, 2, [5, 2], [1, 1, 8, 9], padding="same", dilation=[2, 3])
    C(2, 2, [4, 1], [2, 2, 3, 4], padding="same", dilation=[1, 4])
    C(1, 1, 5, [1, 1, 2, 3], padding="same")                        # pad > input (zeros)
    # 'valid'
    C(2, 2, 3, [1, 2, 6, 5], padding="valid")
    C(2, 3, [2, 5], [1, 2, 7, 9], padding="valid", stride=2)
    # zero padding larger than the kernel: border outputs are just the bias
    C(2, 2, 2, [1, 2, 4, 5], padding=3)
    C(1, 2, 1, [1, 1, 3, 3], padding=2)
    C(2, 1, [3, 1], [1, 2, 4, 4], padding=[4, 2], stride=[2, 1])
    # bias False, batch > 1
    C(3, 2, 3, [3, 3, 5, 6], bias=False, padding=1)
    C(2, 4, [3, 2], [2, 2, 7, 5], stride=2, padding=[1, 0])
    # unbatched 3-D inputs
    C(2, 3, 3, [2, 6, 7], padding=1)
    C(4, 2, [2, 3], [4, 5, 8], groups=2, stride=[1, 2], bias=False)
    C(2, 2, 3, [2, 5, 4], padding_mode="reflect", padding=1)
    # batch 0
    C(2, 3, 3, [0, 2, 5, 5], padding=1)
    # padding modes
    C(2, 2, 3, [1, 2, 5, 5], padding=1, padding_mode="reflect")
    C(2, 2, 3, [1, 2, 4, 3], padding=[3, 2], padding_mode="reflect")   # pad = size - 1
    C(1, 2, [2, 3], [1, 1, 5, 6], padding=[1, 2], padding_mode="reflect", stride=2)
    C(2, 2, 3, [1, 2, 5, 6], padding="same", padding_mode="reflect")
    C(2, 1, 4, [1, 2, 4, 3], padding="same", padding_mode="reflect")   # 1/2 split
    C(1, 1, 2, [1, 1, 5, 4], padding="same", dilation=3, padding_mode="reflect")
    C(2, 2, 3, [1, 2, 7, 8], padding=2, dilation=2, stride=2, padding_mode="reflect")
    C(2, 2, 3, [1, 2, 6, 6], padding="valid", padding_mode="reflect")
    C(2, 2, 3, [1, 2, 3, 3], padding=4, padding_mode="replicate")      # pad > input
    C(1, 1, 3, [1, 1, 1, 1], padding=1, padding_mode="replicate")
    C(2, 3, [5, 3], [1, 2, 2, 3], padding=[2, 4], padding_mode="replicate")
    C(2, 2, 4, [1, 2, 2, 2], padding="same", padding_mode="replicate")
    C(4, 4, 3, [1, 4, 6, 5], padding=2, dilation=2, stride=[2, 1],
      groups=2, padding_mode="replicate")
    C(2, 2, 3, [1, 2, 3, 3], padding=3, padding_mode="circular")       # pad == size
    C(1, 2, [3, 5], [1, 1, 2, 3], padding=[2, 3], padding_mode="circular")
    C(2, 2, 3, [1, 2, 5, 6], padding=1, padding_mode="circular")
    C(2, 2, 4, [1, 2, 4, 5], padding="same", padding_mode="circular")
    C(1, 1, 4, [1, 1, 2, 2], padding="same", padding_mode="circular")  # right pad 2 == size
    C(3, 3, 3, [1, 3, 6, 7], padding=[1, 2], dilation=[1, 2], stride=2,
      groups=3, padding_mode="circular", bias=False)
    C(2, 2, 3, [1, 2, 4, 4], padding="same", dilation=[1, 2], padding_mode="replicate")
    # a few larger ones
    C(8, 8, 3, [1, 8, 13, 13], padding=1)
    C(4, 6, 5, [2, 4, 12, 11], stride=2, padding=2, dilation=[1, 2])


def convt_cases(G):
    def T(cin, cout, k, shape, output_size=None, expect_hw=None, **kw):
        G.add("ConvTranspose2d",
              dict(in_channels=cin, out_channels=cout, kernel_size=k, **kw),
              shape, output_size=output_size, expect_hw=expect_hw)

    T(1, 1, 3, [1, 1, 4, 4])
    T(2, 3, 3, [1, 2, 3, 4], stride=2)
    T(3, 2, 2, [1, 3, 5, 3], bias=False)
    # ARITHMETIC.md relations 8-14 (i' = input size of the transpose)
    T(1, 1, 3, [1, 1, 2, 2], bias=False, expect_hw=(4, 4))  # Fig 4.1
    T(1, 1, 4, [1, 1, 6, 6], padding=2, bias=False, expect_hw=(5, 5))  # Fig 4.2
    T(1, 1, 3, [1, 1, 5, 5], padding=1, bias=False, expect_hw=(5, 5))  # Fig 4.3
    T(1, 1, 3, [1, 1, 7, 7], padding=2, bias=False, expect_hw=(5, 5))  # Fig 4.4
    T(1, 1, 3, [1, 1, 2, 2], stride=2, bias=False, expect_hw=(5, 5))  # Fig 4.5
    T(1, 1, 3, [1, 1, 3, 3], stride=2, padding=1, bias=False, expect_hw=(5, 5))  # Fig 4.6
    T(1, 1, 3, [1, 1, 3, 3], stride=2, padding=1, output_padding=1,
      bias=False, expect_hw=(6, 6))  # Fig 4.7
    # strides, 1xN / Nx1, asymmetric
    T(2, 2, 3, [1, 2, 4, 3], stride=3)
    T(2, 2, 2, [1, 2, 3, 4], stride=4)                                # gaps: bias only
    T(2, 2, 1, [1, 2, 3, 3], stride=3)                                # k=1: gaps
    T(2, 3, [1, 4], [1, 2, 5, 4], stride=[1, 3])
    T(2, 3, [4, 1], [1, 2, 4, 5], stride=[2, 1], bias=False)
    T(2, 2, [3, 2], [2, 2, 4, 5], stride=[2, 3], padding=[1, 0], dilation=[1, 2])
    T(1, 2, [2, 5], [1, 1, 3, 3], stride=[4, 1], padding=[0, 3], dilation=[3, 1],
      output_padding=[2, 0])
    T(2, 1, 1, [1, 2, 1, 1])
    T(2, 2, 3, [1, 2, 1, 1], stride=2)
    # dilation 2-4
    T(2, 2, 3, [1, 2, 4, 4], dilation=2)
    T(2, 2, 3, [1, 2, 3, 3], dilation=3, stride=2)
    T(1, 2, 2, [1, 1, 4, 5], dilation=4, padding=1)
    T(2, 2, [3, 2], [1, 2, 3, 4], dilation=[1, 2], stride=[1, 2])
    # output_padding
    T(2, 2, 3, [1, 2, 4, 4], stride=2, output_padding=1)
    T(2, 2, 3, [1, 2, 4, 4], stride=2, padding=1, output_padding=1)   # op rows carry data
    T(2, 3, 3, [1, 2, 3, 4], stride=[2, 3], output_padding=[1, 2], padding=[1, 1])
    T(2, 2, 3, [1, 2, 4, 4], stride=1, dilation=3, output_padding=2,
      expect_hw=(12, 12))                                             # s=1 d=3 op=2
    T(1, 1, 2, [1, 1, 3, 4], stride=1, dilation=2, output_padding=1)  # op < d
    T(2, 2, 3, [1, 2, 3, 3], stride=[1, 4], output_padding=[0, 3])
    T(2, 2, 2, [1, 2, 3, 3], stride=[3, 1], dilation=[1, 4], output_padding=[2, 3],
      padding=[1, 2])
    # padding larger than k/2 while output >= 1
    T(2, 2, 3, [1, 2, 3, 3], padding=2, expect_hw=(1, 1))
    T(2, 2, 2, [1, 2, 3, 3], stride=4, padding=3, expect_hw=(4, 4))
    T(2, 1, [3, 1], [1, 2, 4, 5], padding=[2, 1], stride=[2, 3])
    T(1, 1, 3, [1, 1, 4, 4], padding=4, dilation=3)
    # groups / depthwise
    T(4, 6, 3, [1, 4, 4, 5], groups=2)
    T(6, 4, [2, 3], [1, 6, 3, 4], groups=2, stride=2)
    T(3, 3, 3, [1, 3, 4, 4], groups=3, padding=1)
    T(3, 6, 3, [1, 3, 3, 4], groups=3, stride=2)
    T(4, 8, 2, [1, 4, 3, 3], groups=4, dilation=2, bias=False)
    T(8, 4, 3, [1, 8, 3, 3], groups=4, stride=[1, 2], output_padding=[0, 1])
    # batch > 1, bias False
    T(3, 2, 3, [3, 3, 3, 4], bias=False, stride=2)
    T(2, 4, [2, 3], [2, 2, 4, 3], padding=[0, 1])
    # unbatched 3-D
    T(2, 3, 3, [2, 4, 5], stride=2)
    T(4, 2, 3, [4, 3, 3], groups=2, dilation=2, bias=False)
    # forward(x, output_size=...): min/max, 2- and 4-element forms
    T(2, 2, 3, [1, 2, 4, 4], stride=2, output_size=[9, 9])            # min
    T(2, 2, 3, [1, 2, 4, 4], stride=2, output_size=[10, 10])          # max
    T(2, 2, 3, [1, 2, 4, 4], stride=2, output_size=[9, 10])           # mixed
    T(2, 3, 3, [2, 2, 4, 3], stride=3, padding=1, output_size=[2, 3, 10, 7])   # min
    T(2, 3, 3, [2, 2, 4, 3], stride=3, padding=1, output_size=[2, 3, 12, 9])   # max
    T(3, 2, 3, [2, 3, 4, 3], stride=[3, 2], output_size=[1, 7, 12, 8])  # wrong N, C
    T(2, 2, 3, [1, 2, 3, 3], stride=3, output_size=[10, 11])          # middle / max
    T(2, 2, 3, [1, 2, 4, 4], stride=2, output_padding=1, output_size=[9, 9])  # op overridden
    T(2, 2, 3, [1, 2, 4, 4], dilation=3, output_size=[10, 10])        # s=1: range [10,10]
    T(2, 2, 3, [1, 2, 4, 4], dilation=3, output_padding=2, output_size=[10, 10])
    T(2, 2, [2, 3], [1, 2, 3, 3], stride=[2, 4], dilation=[3, 2], output_size=[8, 14])
    T(2, 3, 3, [2, 3, 4], stride=2, padding=1, output_size=[6, 8])    # unbatched
    T(4, 4, 3, [1, 4, 3, 3], stride=2, groups=2, output_size=[1, 4, 8, 7])
    # a few larger ones
    T(4, 4, 4, [1, 4, 8, 8], stride=2, padding=1)
    T(8, 6, 3, [2, 8, 5, 6], stride=2, groups=2, dilation=[1, 2])


def maxpool_cases(G):
    def M(k, shape, inp=None, expect_hw=None, **kw):
        return G.add("MaxPool2d", dict(kernel_size=k, **kw), shape, inp=inp,
                     expect_hw=expect_hw)

    M(2, [1, 2, 6, 6])                                   # default stride (None)
    M(3, [1, 2, 7, 9], stride=None, return_indices=True)
    M(2, [1, 2, 5, 7], stride=1, return_indices=True)
    M([2, 3], [1, 2, 7, 8], stride=[1, 2], padding=[1, 1], dilation=[2, 1])
    M([1, 3], [1, 1, 5, 9], stride=[1, 2], padding=[0, 1], return_indices=True)
    M([3, 1], [1, 1, 9, 5], stride=[2, 1])
    M(3, [1, 2, 11, 11], stride=1, dilation=2, return_indices=True)
    M(3, [1, 2, 13, 13], stride=2, dilation=3, padding=1)
    M(2, [1, 2, 9, 12], stride=[2, 3], dilation=[1, 4], return_indices=True)
    M(3, [1, 1, 12, 12], stride=4, dilation=4, padding=1, return_indices=True)
    M(2, [1, 2, 7, 7], stride=4)                          # stride > kernel
    M(1, [1, 2, 5, 6], stride=2, return_indices=True)     # k=1
    # ceil_mode: the table rows of PYTORCH_SEMANTICS.md §3
    M(2, [1, 1, 5, 5], stride=2, padding=0, ceil_mode=True, expect_hw=(3, 3))
    M(3, [1, 1, 6, 6], stride=3, padding=1, ceil_mode=True, expect_hw=(3, 3),
      return_indices=True)
    M(2, [1, 1, 7, 7], stride=3, padding=1, ceil_mode=True, expect_hw=(3, 3))
    M(2, [1, 1, 1, 1], stride=2, padding=1, ceil_mode=True, expect_hw=(1, 1),
      return_indices=True)
    M([2, 3], [1, 2, 5, 6], stride=[2, 3], padding=[0, 1], ceil_mode=True,
      expect_hw=(3, 3), return_indices=True)
    M(2, [1, 2, 7, 1], stride=[3, 2], padding=1, ceil_mode=True, expect_hw=(3, 1))
    M(3, [1, 1, 4, 4], stride=2, padding=1, ceil_mode=True, expect_hw=(3, 3),
      return_indices=True)                                # the 4x4 example
    M(3, [1, 2, 8, 9], stride=2, dilation=2, padding=1, ceil_mode=True)
    # kernel larger than the input with ceil_mode
    M(3, [1, 1, 2, 2], ceil_mode=True, expect_hw=(1, 1), return_indices=True)
    M([4, 5], [1, 2, 3, 4], ceil_mode=True, expect_hw=(1, 1))
    M(5, [1, 1, 4, 3], stride=3, padding=2, ceil_mode=True, return_indices=True)
    # batches and unbatched
    M(3, [2, 3, 6, 5], stride=2, padding=1, return_indices=True)
    M(2, [3, 5, 5], stride=2, return_indices=True)
    M([3, 2], [2, 6, 7], stride=[1, 2], padding=[1, 0], ceil_mode=True)
    # special values (indices included for most)
    nan_in = with_values(uniform_input, [
        ((0, 0, 0, 0), NAN),                                     # one NaN
        ((0, 0, 2, 2), NAN), ((0, 0, 3, 3), NAN),                # two NaN: last wins
        ((0, 0, 0, 4), INF), ((0, 0, 1, 5), NAN),                # [inf, nan] -> nan
        ((0, 1, 5, 5), NAN)])
    M(2, [1, 2, 6, 6], inp=nan_in, return_indices=True)
    M(3, [1, 2, 6, 6], stride=1, padding=1, inp=nan_in, return_indices=True)
    M(2, [1, 2, 6, 6], stride=1, inp=nan_in)
    inf_in = with_values(uniform_input, [
        ((0, 0, 1, 1), INF), ((0, 0, 4, 2), -INF), ((0, 0, 5, 5), INF),
        ((0, 1, 0, 0), -INF), ((0, 1, 3, 4), INF), ((0, 1, 2, 2), -INF)])
    M(2, [1, 2, 6, 6], inp=inf_in, return_indices=True)
    M(3, [1, 2, 6, 6], stride=2, padding=1, dilation=1, inp=inf_in, return_indices=True)
    neg_inf = [((0, 0, i, j), -INF) for i in range(3) for j in range(3)] + \
              [((0, 0, 4, 5), -INF), ((0, 0, 5, 4), -INF), ((0, 0, 5, 5), -INF)]
    all_neg_inf = with_values(uniform_input, neg_inf)
    M(3, [1, 1, 6, 6], stride=3, inp=all_neg_inf, return_indices=True)
    M(3, [1, 1, 6, 6], stride=2, padding=1, inp=all_neg_inf, return_indices=True)
    M(2, [1, 1, 6, 6], stride=2, dilation=2, padding=1, inp=all_neg_inf,
      ceil_mode=True, return_indices=True)
    M(2, [1, 1, 3, 3], inp=constant_input(-INF), ceil_mode=True, return_indices=True)
    # ties: integers 0..3
    ties = integer_input(0, 3)
    M(3, [1, 2, 7, 7], stride=1, padding=1, inp=ties, return_indices=True)
    M(2, [1, 2, 8, 8], stride=2, dilation=2, inp=ties, return_indices=True)
    M([3, 2], [1, 2, 7, 6], stride=[2, 1], inp=ties, ceil_mode=True, return_indices=True)
    M(2, [1, 2, 5, 5], inp=ties, ceil_mode=True, padding=1)
    M(3, [2, 2, 5, 5], stride=2, inp=integer_input(-1, 0), return_indices=True)
    M(3, [1, 1, 5, 6], stride=2, padding=1, inp=constant_input(0.5), return_indices=True)
    # all-negative input with padding: padding never wins
    M(3, [1, 2, 5, 5], stride=2, padding=1, inp=negative_input, return_indices=True)
    M(3, [1, 1, 4, 4], stride=2, padding=1, ceil_mode=True, inp=negative_input)
    # a larger one
    M(3, [1, 3, 13, 13], stride=2, padding=1)


def avgpool_cases(G):
    def A(k, shape, inp=None, expect_hw=None, **kw):
        return G.add("AvgPool2d", dict(kernel_size=k, **kw), shape, inp=inp,
                     expect_hw=expect_hw)

    A(2, [1, 2, 6, 6])                                   # default stride
    A(3, [1, 2, 7, 9], stride=None)
    A(2, [1, 2, 5, 7], stride=1)
    for cip in (True, False):
        A([2, 3], [1, 2, 7, 8], stride=[1, 2], padding=[1, 1], count_include_pad=cip)
        A(3, [1, 2, 6, 7], stride=2, padding=1, count_include_pad=cip)
    A([1, 3], [1, 1, 5, 9], stride=[1, 2], padding=[0, 1])
    A([3, 1], [1, 1, 9, 5], stride=[2, 1], padding=[1, 0], count_include_pad=False)
    A(2, [1, 2, 7, 7], stride=4)                          # stride > kernel
    A(1, [1, 2, 5, 6], stride=2)
    A(5, [1, 1, 11, 12], stride=3, padding=2)
    # ceil_mode table rows, with and without count_include_pad
    for cip in (True, False):
        A(2, [1, 1, 5, 5], stride=2, ceil_mode=True, count_include_pad=cip,
          expect_hw=(3, 3))
        A(3, [1, 1, 6, 6], stride=3, padding=1, ceil_mode=True, count_include_pad=cip,
          expect_hw=(3, 3))
        A(2, [1, 1, 7, 7], stride=3, padding=1, ceil_mode=True, count_include_pad=cip,
          expect_hw=(3, 3))
        A(2, [1, 1, 1, 1], stride=2, padding=1, ceil_mode=True, count_include_pad=cip,
          expect_hw=(1, 1))
    A([2, 3], [1, 2, 5, 6], stride=[2, 3], padding=[0, 1], ceil_mode=True,
      expect_hw=(3, 3))
    A(2, [1, 2, 7, 1], stride=[3, 2], padding=1, ceil_mode=True, expect_hw=(3, 1),
      count_include_pad=False)
    # the 4x4 ones example and the 3x3 ones example
    y, _ = A(3, [1, 1, 4, 4], stride=2, padding=1, ceil_mode=True,
             inp=constant_input(1.0), expect_hw=(3, 3))
    want = torch.tensor([[4 / 9, 6 / 9, 3 / 9], [6 / 9, 1, 3 / 6], [3 / 9, 3 / 6, 1 / 4]])
    assert torch.allclose(y[0, 0], want, atol=1e-6), y
    A(3, [1, 1, 4, 4], stride=2, padding=1, ceil_mode=True)
    A(3, [1, 1, 4, 4], stride=2, padding=1, ceil_mode=True, count_include_pad=False)
    y, _ = A(2, [1, 1, 3, 3], stride=2, ceil_mode=True, inp=constant_input(1.0),
             expect_hw=(2, 2))
    assert torch.equal(y, torch.ones_like(y)), y
    A(3, [1, 2, 8, 9], stride=2, padding=1, ceil_mode=True)
    # kernel larger than the input with ceil_mode
    A(3, [1, 1, 2, 2], ceil_mode=True, expect_hw=(1, 1))
    A([4, 5], [1, 2, 3, 4], ceil_mode=True, expect_hw=(1, 1))
    A(5, [1, 1, 4, 3], stride=3, padding=2, ceil_mode=True, count_include_pad=False)
    A(5, [1, 1, 4, 3], stride=3, padding=2, ceil_mode=True, count_include_pad=True)
    # divisor_override: positive, negative, with padding / ceil_mode
    A(2, [1, 2, 6, 6], divisor_override=3)
    A(3, [1, 2, 5, 6], stride=2, padding=1, ceil_mode=True, divisor_override=-2)
    A(3, [1, 1, 5, 5], stride=2, padding=1, count_include_pad=False, divisor_override=1)
    A([2, 3], [1, 2, 6, 7], stride=[1, 2], padding=[1, 0], divisor_override=100)
    A(2, [1, 1, 3, 3], stride=2, ceil_mode=True, divisor_override=-7,
      count_include_pad=False)
    # batches and unbatched
    A(3, [2, 3, 6, 5], stride=2, padding=1)
    A(2, [3, 5, 5], stride=2)
    A([3, 2], [2, 6, 7], stride=[1, 2], padding=[1, 0], ceil_mode=True,
      count_include_pad=False)
    # NaN / inf propagate through the sum
    special = with_values(uniform_input, [
        ((0, 0, 2, 0), INF),                                        # [[1,2],[inf,3]]
        ((0, 0, 0, 3), NAN), ((0, 0, 1, 2), INF), ((0, 0, 1, 3), -INF),  # nan
        ((0, 0, 4, 4), -INF), ((0, 1, 3, 1), NAN)])
    A(2, [1, 2, 6, 6], inp=special)
    A(3, [1, 2, 6, 6], stride=1, padding=1, inp=special, count_include_pad=False)
    # a larger one
    A(3, [1, 3, 13, 13], stride=2, padding=1)


# ----------------------------------------------------------------------------
# Rejections (PYTORCH_SEMANTICS.md §4)
# ----------------------------------------------------------------------------

def rejections(G):
    def RC(args, shape, argument, expect, **kw):
        G.reject("Conv2d", args, shape, argument, expect, **kw)

    def RT(args, shape, argument, expect, **kw):
        G.reject("ConvTranspose2d", args, shape, argument, expect, **kw)

    def RM(args, shape, argument, expect, **kw):
        G.reject("MaxPool2d", args, shape, argument, expect, **kw)

    def RA(args, shape, argument, expect, **kw):
        G.reject("AvgPool2d", args, shape, argument, expect, **kw)

    def cv(cin=2, cout=4, k=3, **kw):
        return dict(in_channels=cin, out_channels=cout, kernel_size=k, **kw)

    x = [1, 2, 5, 5]
    # groups
    for R in (RC, RT):
        R(cv(groups=0), x, "groups", "groups must be a positive integer", stage="constructor")
        R(cv(groups=-1), x, "groups", "groups must be a positive integer", stage="constructor")
        R(cv(3, 4, groups=2), [1, 3, 5, 5], "groups",
          "in_channels must be divisible by groups", stage="constructor")
        R(cv(4, 3, groups=2), [1, 4, 5, 5], "groups",
          "out_channels must be divisible by groups", stage="constructor")
    # padding strings, 'same' + stride, padding_mode
    RC(cv(padding="full"), x, "padding", "Invalid padding string 'full'", stage="constructor")
    RC(cv(padding="SAME"), x, "padding", "Invalid padding string 'SAME'", stage="constructor")
    RC(cv(padding="same", stride=2), x, "padding",
       "padding='same' is not supported for strided convolutions", stage="constructor")
    RC(cv(padding="same", stride=[1, 2]), x, "padding",
       "padding='same' is not supported for strided convolutions", stage="constructor")
    RC(cv(padding_mode="constant"), x, "padding_mode", "padding_mode must be one of",
       stage="constructor")
    RC(cv(padding_mode="edge", padding=1), x, "padding_mode", "padding_mode must be one of",
       stage="constructor")
    RT(cv(padding_mode="reflect"), x, "padding_mode",
       'Only "zeros" padding mode is supported for ConvTranspose2d', stage="constructor")
    RT(cv(padding_mode="circular", padding=1), x, "padding_mode",
       'Only "zeros" padding mode is supported for ConvTranspose2d', stage="constructor")
    # kernel_size negative (constructor) and zero (forward)
    for R in (RC, RT):
        R(cv(k=-1), x, "kernel_size", "Trying to create tensor with negative dimension",
          stage="constructor")
    RC(cv(k=[3, -2]), x, "kernel_size", "Trying to create tensor with negative dimension",
       stage="constructor")
    RC(cv(k=[3, 0]), x, "kernel_size", "kernel size should be greater than zero",
       stage="forward")
    RC(cv(k=0), x, "kernel_size", "kernel size should be greater than zero", stage="forward")
    RT(cv(k=[0, 3]), x, "kernel_size", "kernel size should be greater than zero",
       stage="forward")
    RT(cv(k=0), x, "kernel_size", "kernel size should be greater than zero", stage="forward")
    # stride <= 0
    for R in (RC, RT):
        R(cv(stride=0), x, "stride", "non-positive stride is not supported", stage="forward")
        R(cv(stride=-1), x, "stride", "non-positive stride is not supported", stage="forward")
    RC(cv(stride=[1, 0]), x, "stride", "non-positive stride is not supported")
    RT(cv(stride=[-2, 1]), x, "stride", "non-positive stride is not supported")
    # padding < 0 (zeros mode)
    for R in (RC, RT):
        R(cv(padding=-1), x, "padding", "negative padding is not supported", stage="forward")
    RC(cv(padding=[0, -2]), x, "padding", "negative padding is not supported")
    RT(cv(padding=[-1, 0]), x, "padding", "negative padding is not supported")
    # dilation <= 0
    RC(cv(dilation=0), x, "dilation", "dilation should be greater than zero", stage="forward")
    RC(cv(dilation=[1, -1]), x, "dilation", "dilation should be greater than zero")
    RT(cv(dilation=0), x, "dilation", "dilation should be greater than zero", stage="forward")
    RT(cv(dilation=[-1, 1]), x, "dilation", "dilation should be greater than zero")
    # output_padding
    RT(cv(output_padding=-1, stride=2), x, "output_padding",
       "negative output_padding is not supported", stage="forward")
    RT(cv(output_padding=[0, -1], stride=2), x, "output_padding",
       "negative output_padding is not supported")
    RT(cv(output_padding=2, stride=2), x, "output_padding",
       "output padding must be smaller than either stride or dilation", stage="forward")
    RT(cv(output_padding=[0, 1]), x, "output_padding",
       "output padding must be smaller than either stride or dilation")
    RT(cv(output_padding=3, stride=2, dilation=3), x, "output_padding",
       "output padding must be smaller than either stride or dilation")
    RT(cv(output_padding=[1, 0], stride=[1, 2]), x, "output_padding",
       "output padding must be smaller than either stride or dilation")
    # Conv2d input too small (padded input < dilated kernel), incl. H or W = 0
    RC(cv(k=7), [1, 2, 6, 6], "input", "Kernel size can't be greater than actual input size",
       stage="forward")
    RC(cv(k=3, dilation=3), [1, 2, 6, 6], "input",
       "Kernel size can't be greater than actual input size")
    RC(cv(k=[1, 4], dilation=[1, 2]), [1, 2, 5, 6], "input",
       "Kernel size can't be greater than actual input size")
    RC(cv(k=5, padding=1), [1, 2, 2, 2], "input",
       "Kernel size can't be greater than actual input size")
    RC(cv(k=1), [1, 2, 0, 5], "input", "Kernel size can't be greater than actual input size")
    RC(cv(k=1), [1, 2, 4, 0], "input", "Kernel size can't be greater than actual input size")
    # ConvTranspose2d output <= 0, zero-size input
    RT(cv(k=1, padding=1), [1, 2, 2, 2], "input", "Output size is too small", stage="forward")
    RT(cv(k=3, padding=3), [1, 2, 2, 2], "input", "Output size is too small")
    RT(cv(k=[3, 2], padding=[0, 2], stride=[1, 1]), [1, 2, 3, 2], "input",
       "Output size is too small")
    RT(cv(k=3), [1, 2, 0, 4], "input", "Only zero batch or zero channel inputs are supported")
    # channel mismatch
    RC(cv(4, 4, groups=2), [1, 2, 5, 5], "input", "to have 4 channels, but got 2 channels")
    RC(cv(2, 4), [3, 5, 5], "input", "to have 2 channels, but got 3 channels")
    RT(cv(3, 4), [1, 4, 5, 5], "input", "to have 3 channels, but got 4 channels")
    # rank 2 and 5, all four ops
    RC(cv(1, 1), [5, 5], "input", "Expected 3D (unbatched) or 4D (batched) input to conv2d")
    RC(cv(1, 1), [1, 1, 3, 5, 5], "input", "Expected 3D (unbatched) or 4D (batched) input")
    RT(cv(1, 1), [5, 5], "input", "input to conv_transpose2d")
    RT(cv(1, 1), [1, 1, 3, 5, 5], "input", "input to conv_transpose2d")
    RM(dict(kernel_size=2), [5, 5], "input", "non-empty 3D or 4D (batch mode) tensor expected")
    RM(dict(kernel_size=2), [1, 1, 1, 4, 4], "input",
       "non-empty 3D or 4D (batch mode) tensor expected")
    RA(dict(kernel_size=2), [4, 4], "input", "Dimension out of range")
    RA(dict(kernel_size=2), [1, 1, 1, 4, 4], "input", "Expected 3D or 4D (batch mode) tensor")
    # out_channels = 0
    RC(cv(2, 0), x, "out_channels", "expected weight to be at least 1 at dimension 0")
    RT(cv(2, 0), x, "out_channels", "non-empty 2D or 4D weight tensor expected")
    # reflect / circular limits
    RC(cv(padding=[3, 0], padding_mode="reflect"), [1, 2, 3, 6], "padding",
       "Padding size should be less than the corresponding input dimension")
    RC(cv(padding=[0, 4], padding_mode="reflect"), [1, 2, 6, 3], "padding",
       "Padding size should be less than the corresponding input dimension")
    RC(cv(padding=2, padding_mode="reflect"), [1, 2, 2, 5], "padding",
       "Padding size should be less than the corresponding input dimension")
    RC(cv(k=4, padding="same", padding_mode="reflect"), [1, 2, 5, 2], "padding",
       "padding (1, 2)")
    RC(cv(padding=4, padding_mode="circular"), [1, 2, 3, 3], "padding",
       "Padding value causes wrapping around more than once.")
    RC(cv(padding=[0, 3], padding_mode="circular"), [1, 2, 5, 2], "padding",
       "Padding value causes wrapping around more than once.")
    # ConvTranspose2d output_size
    t = cv(2, 2, 3, stride=2)
    RT(t, [1, 2, 4, 4], "output_size", "output_size must have 2 or 4 elements (got 3)",
       output_size=[2, 9, 9])
    RT(t, [1, 2, 4, 4], "output_size", "output_size must have 2 or 4 elements (got 1)",
       output_size=[9])
    RT(t, [1, 2, 4, 4], "output_size", "output_size must have 2 or 4 elements (got 5)",
       output_size=[1, 1, 2, 9, 9])
    RT(t, [1, 2, 4, 4], "output_size", "valid sizes range from [9, 9] to [10, 10]",
       output_size=[11, 9])
    RT(t, [1, 2, 4, 4], "output_size", "valid sizes range from [9, 9] to [10, 10]",
       output_size=[8, 9])
    RT(t, [1, 2, 4, 4], "output_size", "valid sizes range from [9, 9] to [10, 10]",
       output_size=[1, 2, 10, 11])
    RT(cv(2, 2, 3, dilation=3), [1, 2, 4, 4], "output_size",
       "valid sizes range from [10, 10] to [10, 10]", output_size=[12, 12])
    RT(cv(2, 2, 3, dilation=3, output_padding=2), [1, 2, 4, 4], "output_size",
       "valid sizes range from [10, 10] to [10, 10]", output_size=[11, 10])
    # pooling: pad > k/2 (MaxPool: undilated k), pad < 0
    RM(dict(kernel_size=3, padding=2), [1, 1, 6, 6], "padding",
       "pad should be at most half of kernel size, but got pad=2 and kernel_size=3")
    RM(dict(kernel_size=3, padding=2, dilation=2), [1, 1, 9, 9], "padding",
       "pad should be at most half of kernel size")
    RM(dict(kernel_size=[4, 2], padding=[2, 2]), [1, 1, 6, 6], "padding",
       "pad should be at most half of kernel size")
    RA(dict(kernel_size=3, padding=2), [1, 1, 6, 6], "padding",
       "pad should be at most half of kernel size")
    RA(dict(kernel_size=[2, 4], padding=[2, 1]), [1, 1, 6, 6], "padding",
       "pad should be at most half of kernel size")
    RM(dict(kernel_size=3, padding=-1), [1, 1, 6, 6], "padding", "pad must be non-negative")
    RA(dict(kernel_size=3, padding=[0, -1]), [1, 1, 6, 6], "padding",
       "pad must be non-negative")
    # pooling: kernel <= 0 (stride given).  k <= -2 trips the pad check first.
    RM(dict(kernel_size=[2, 0], stride=1), [1, 1, 4, 4], "kernel_size",
       "kernel size should be greater than zero")
    RM(dict(kernel_size=-1, stride=1), [1, 1, 4, 4], "kernel_size",
       "kernel size should be greater than zero")
    RA(dict(kernel_size=0, stride=1), [1, 1, 4, 4], "kernel_size",
       "kernel size should be greater than zero")
    RA(dict(kernel_size=[2, -1], stride=1), [1, 1, 4, 4], "kernel_size",
       "kernel size should be greater than zero")
    RM(dict(kernel_size=[-2, 2], stride=1), [1, 1, 4, 4], "kernel_size",
       "pad should be at most half of kernel size, but got pad=0 and kernel_size=-2")
    # pooling: stride 0 / negative
    RM(dict(kernel_size=2, stride=0), [1, 1, 4, 4], "stride", "stride should not be zero")
    RM(dict(kernel_size=2, stride=[1, 0]), [1, 1, 4, 4], "stride", "stride should not be zero")
    RA(dict(kernel_size=2, stride=0), [1, 1, 4, 4], "stride", "stride should not be zero")
    RM(dict(kernel_size=2, stride=-1), [1, 1, 4, 4], "stride",
       "stride should be greater than zero")
    RA(dict(kernel_size=2, stride=[-1, 2]), [1, 1, 4, 4], "stride",
       "stride should be greater than zero")
    # MaxPool dilation <= 0
    RM(dict(kernel_size=2, dilation=0), [1, 1, 4, 4], "dilation",
       "dilation should be greater than zero")
    RM(dict(kernel_size=2, dilation=[1, -1]), [1, 1, 4, 4], "dilation",
       "dilation should be greater than zero")
    # pooling output <= 0
    RM(dict(kernel_size=3), [1, 1, 2, 2], "input", "Output size is too small")
    RM(dict(kernel_size=3, stride=1, ceil_mode=True), [1, 1, 2, 2], "input",
       "Output size is too small")
    RM(dict(kernel_size=2, dilation=3), [1, 1, 2, 5], "input", "Output size is too small")
    RA(dict(kernel_size=3), [1, 1, 2, 5], "input", "Output size is too small")
    RA(dict(kernel_size=3, stride=1, ceil_mode=True), [1, 1, 2, 2], "input",
       "Output size is too small")
    # pooling: zero C / H / W
    for R in (RM, RA):
        R(dict(kernel_size=1), [1, 0, 4, 4], "input", "Expected 3D or 4D (batch mode) tensor")
        R(dict(kernel_size=1), [1, 1, 0, 4], "input", "Expected 3D or 4D (batch mode) tensor")
        R(dict(kernel_size=1), [1, 1, 4, 0], "input", "Expected 3D or 4D (batch mode) tensor")
    RM(dict(kernel_size=1), [0, 4, 4], "input", "Expected 3D or 4D (batch mode) tensor")
    # divisor_override = 0
    RA(dict(kernel_size=2, divisor_override=0), [1, 1, 4, 4], "divisor_override",
       "divisor must be not zero")


def strider_rejects(G):
    """PyTorch accepts these; Strider rejects them on purpose."""
    def empty_window(rec, res):
        out, idx = res
        h, w = rec["input_shape"][-2:]
        a = rec["args"]
        k, s, p, d = pool_params("MaxPool2d", a)
        oh, ow = pool_out("MaxPool2d", a, h, w)
        assert list(out.shape[-2:]) == [oh, ow]
        assert maxpool_has_empty_window(a, h, w)
        eh = empty_taps(h, k[0], s[0], p[0], d[0], oh)
        ew = empty_taps(w, k[1], s[1], p[1], d[1], ow)
        for i in range(oh):
            for j in range(ow):
                if i in eh or j in ew:
                    assert out[0, 0, i, j].item() == -INF
                    assert idx[0, 0, i, j].item() >= 0
        if out.numel() == 1:
            return "output -inf, index %d" % idx.item()
        return "output %s, indices %s" % (
            [float(v) for v in out.flatten()], [int(v) for v in idx.flatten()])

    def SM(args, shape):
        G.strider_reject("MaxPool2d", dict(args, return_indices=True), shape, "input",
                         empty_window)

    SM(dict(kernel_size=2, padding=1, dilation=3), [1, 1, 2, 2])     # the documented one
    SM(dict(kernel_size=2, padding=1, dilation=3), [1, 1, 3, 2])     # W dim only
    SM(dict(kernel_size=2, stride=2, padding=1, dilation=3, ceil_mode=True), [1, 1, 1, 1])
    SM(dict(kernel_size=2, stride=2, padding=1, dilation=4, ceil_mode=True), [1, 1, 2, 2])
    SM(dict(kernel_size=3, stride=3, padding=1, dilation=2, ceil_mode=True), [1, 1, 1, 1])
    SM(dict(kernel_size=2, stride=2, padding=1, dilation=3, ceil_mode=True), [1, 1, 5, 1])

    # Conv2d: negative padding is only rejected for padding_mode='zeros'; the
    # other modes go through F.pad, which crops.
    def cropped(rec, res):
        h, w = rec["input_shape"][-2:]
        ph, pw = pair(rec["args"]["padding"])
        assert ph < 0 or pw < 0
        (kh, kw) = pair(rec["args"]["kernel_size"])
        assert list(res.shape[-2:]) == [h + 2 * ph - kh + 1, w + 2 * pw - kw + 1]
        return "output shape %s (negative padding crops the input)" % list(res.shape)

    for mode in ("reflect", "replicate", "circular"):
        G.strider_reject("Conv2d", dict(in_channels=2, out_channels=2, kernel_size=3,
                                        padding=-1, padding_mode=mode),
                         [1, 2, 5, 5], "padding", cropped)
    G.strider_reject("Conv2d", dict(in_channels=2, out_channels=2, kernel_size=3,
                                    padding=[0, -1], padding_mode="reflect"),
                     [1, 2, 5, 5], "padding", cropped)


# ----------------------------------------------------------------------------

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
