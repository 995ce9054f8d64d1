"""Input factories and `Golden`, which runs each case in PyTorch and writes its tensors and the manifest."""

import json
import math
import os
import re
import zlib

import numpy as np
import torch
import torch.nn as nn

from golden_arith import (
    OPS, PREFIX, SEED, conv2d_out, conv2d_valid, convt_op_ok, convt_out, convt_range, full_args,
    maxpool_has_empty_window, pair, pool_args_ok, pool_out)


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
