#!/usr/bin/env python3
"""Generate the PyTorch goldens for Strider's modules, layers and safetensors loading.

Usage (from the repository root, with Debian's PyTorch 1.13):

    /usr/bin/python3 tests/pytorch/make_module_golden.py [--out tests/data/modules]

Writes into the output directory:

  * ops.safetensors        every layer case's tensors, keyed "<case>.<tensor>" (input, output, and the
                           parameters: weight, bias, running_mean, running_var, other)
  * manifest.json          {"torch_version", "cases": [{"name", "op", "args", "repr"}], "models": {...}}
  * encdec.safetensors     a Sequential encoder-decoder's state_dict (BatchNorm included), F32
  * unet.safetensors       a small U-Net's state_dict (cat and add skip connections), F32
  * mixed.safetensors      a Conv2d + BatchNorm2d state_dict stored as F16, BF16, F32 and I64
  * bad_state.safetensors  encdec's state_dict with one missing, one unexpected, one wrong-shape and one
                           F64 key: strict loading must report all four at once
  * models.safetensors     each model's input and output, keyed "<model>.input" / "<model>.output"

Deterministic: fixed seeds, one thread. The module classes here are mirrored line by line in
tests/nn_model_test.cpp.
"""

import argparse
import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export_safetensors import export_state_dict, save_file  # noqa: E402

torch.set_num_threads(1)
SPECIAL = torch.tensor([0.0, -0.0, 1e-30, -1e-30, 40.0, -40.0, 1e30, -1e30,
                        float("inf"), float("-inf"), float("nan")])


class Golden:
    def __init__(self):
        self.tensors = {}
        self.cases = []
        self.gen = torch.Generator().manual_seed(4)

    def randn(self, *shape, scale=1.0):
        return torch.randn(*shape, generator=self.gen) * scale

    def case(self, name, op, module_or_fn, inputs, args, params=None):
        params = params or {}
        with torch.no_grad():
            out = module_or_fn(*inputs)
        assert name not in {c["name"] for c in self.cases}, name
        for i, t in enumerate(inputs):
            self.tensors[f"{name}.input{i if i else ''}"] = t.contiguous()
        self.tensors[f"{name}.output"] = out.contiguous()
        for k, v in params.items():
            self.tensors[f"{name}.{k}"] = v.detach().contiguous()
        record = {"name": name, "op": op, "args": args}
        if isinstance(module_or_fn, nn.Module):
            record["repr"] = repr(module_or_fn)
        self.cases.append(record)


def activation_cases(g):
    x = torch.cat([g.randn(2 * 3 * 5 * 7 - SPECIAL.numel(), scale=3.0), SPECIAL]).reshape(2, 3, 5, 7)
    smooth = g.randn(2, 3, 5, 7, scale=4.0)  # finite: PyTorch's vectorised transcendental code differs on inf/nan
    for name, op, module, args, inp in [
        ("relu", "relu", nn.ReLU(), {}, x),
        ("leaky_relu", "leaky_relu", nn.LeakyReLU(0.2), {"negative_slope": 0.2}, x),
        ("leaky_relu_default", "leaky_relu", nn.LeakyReLU(), {"negative_slope": 0.01}, x),
        ("hardtanh", "hardtanh", nn.Hardtanh(-0.5, 0.75), {"min_val": -0.5, "max_val": 0.75}, x),
        ("relu6", "relu6", nn.ReLU6(), {}, x),
        ("sigmoid", "sigmoid", nn.Sigmoid(), {}, smooth),
        ("tanh", "tanh", nn.Tanh(), {}, smooth),
        ("silu", "silu", nn.SiLU(), {}, smooth),
        ("gelu", "gelu", nn.GELU(), {"approximate": "none"}, smooth),
        ("gelu_tanh", "gelu", nn.GELU("tanh"), {"approximate": "tanh"}, smooth),
    ]:
        g.case(f"act_{name}", op, module, [inp], args)
    for name, n, shape in [("prelu_shared", 1, (2, 3, 5, 7)), ("prelu_channels", 3, (2, 3, 5, 7)),
                           ("prelu_unbatched", 5, (3, 5, 4))]:  # unbatched: PyTorch's channel axis is 1 (H)
        m = nn.PReLU(n)
        with torch.no_grad():
            m.weight.copy_(g.randn(n) * 0.3)
        g.case(f"act_{name}", "prelu", m, [x.reshape(-1)[:torch.Size(shape).numel()].reshape(shape)],
               {"num_parameters": n}, {"weight": m.weight})


def batch_norm_cases(g):
    for name, c, kwargs in [("bn", 4, {}), ("bn_eps", 3, {"eps": 1e-3, "momentum": None}),
                            ("bn_noaffine", 5, {"affine": False})]:
        m = nn.BatchNorm2d(c, **kwargs).eval()
        with torch.no_grad():
            m.running_mean.copy_(g.randn(c))
            m.running_var.copy_(g.randn(c).abs() + 0.1)
            if m.affine:
                m.weight.copy_(g.randn(c))
                m.bias.copy_(g.randn(c))
        params = {k: v for k, v in m.state_dict().items() if k != "num_batches_tracked"}
        g.case(name, "BatchNorm2d", m, [g.randn(2, c, 3, 5, scale=2.0)],
               {"num_features": c, "eps": m.eps, "momentum": m.momentum, "affine": m.affine}, params)


def upsample_cases(g):
    small = g.randn(1, 2, 5, 7)
    wide = g.randn(1, 2, 13, 37)  # C > 1: PyTorch's NCHW kernels (see ops/upsample.hpp)
    configs = []
    for mode in ["nearest", "nearest-exact", "bilinear"]:
        corners = [None] if mode != "bilinear" else [False, True]
        for ac in corners:
            for sf in [2.0, 3.0, 1.5, 1.7, 2.3, 0.5, 0.7, (2.0, 1.3), 1.0, 1.1]:
                configs.append({"scale_factor": sf, "mode": mode, "align_corners": ac})
            configs.append({"scale_factor": 1.7, "mode": mode, "align_corners": ac, "recompute_scale_factor": True})
            for size in [(9, 11), (10, 14), (5, 7), (3, 4), (1, 1), 6]:
                configs.append({"size": size, "mode": mode, "align_corners": ac})
    for i, cfg in enumerate(configs):
        kwargs = {k: v for k, v in cfg.items() if v is not None}
        m = nn.Upsample(**kwargs)
        g.case(f"upsample_{i:03d}", "Upsample", m, [small], kwargs)
    for i, (mode, ac, sf) in enumerate([("nearest", None, 2.7), ("nearest", None, 1.3), ("nearest-exact", None, 0.37),
                                        ("bilinear", False, 1.3), ("bilinear", True, 2.7), ("bilinear", False, 0.37)]):
        kwargs = {"scale_factor": sf, "mode": mode}
        if ac is not None:
            kwargs["align_corners"] = ac
        g.case(f"upsample_wide_{i}", "Upsample", nn.Upsample(**kwargs), [wide], kwargs)


def rearrange_cases(g):
    for name, r, shape in [("shuffle2", 2, (2, 8, 3, 4)), ("shuffle3", 3, (1, 9, 2, 3)), ("shuffle_unbatched", 2, (4, 3, 3))]:
        g.case(f"pixel_{name}", "PixelShuffle", nn.PixelShuffle(r), [g.randn(*shape)], {"upscale_factor": r})
    for name, r, shape in [("unshuffle2", 2, (2, 2, 6, 4)), ("unshuffle3", 3, (1, 1, 6, 9))]:
        g.case(f"pixel_{name}", "PixelUnshuffle", nn.PixelUnshuffle(r), [g.randn(*shape)], {"downscale_factor": r})
    a, b = g.randn(2, 3, 4, 5), g.randn(2, 2, 4, 5)
    g.case("cat_channels", "cat", lambda x, y: torch.cat([x, y], 1), [a, b], {"dim": 1})
    g.case("cat_last", "cat", lambda x, y: torch.cat([x, y], -1), [a, g.randn(2, 3, 4, 2)], {"dim": -1})
    g.case("cat_batch", "cat", lambda x, y: torch.cat([x, y], 0), [a, g.randn(1, 3, 4, 5)], {"dim": 0})
    g.case("add", "add", torch.add, [a, g.randn(2, 3, 4, 5)], {})


# ---------------------------------------------------------------------------------------------------
# Models (mirrored in tests/nn_model_test.cpp)
# ---------------------------------------------------------------------------------------------------

def encoder_decoder():
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
        nn.Conv2d(8, 16, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(16), nn.LeakyReLU(0.1),
        nn.Dropout(0.2),
        nn.ConvTranspose2d(16, 8, 4, stride=2, padding=1), nn.BatchNorm2d(8), nn.PReLU(8),
        nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False),
        nn.Conv2d(8, 12, 3, padding=1), nn.Tanh(), nn.PixelShuffle(2),
        nn.Conv2d(3, 3, 1), nn.Identity(), nn.Sigmoid())


class UNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc1 = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU())
        self.pool = nn.MaxPool2d(2)
        self.enc2 = nn.Sequential(nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.SiLU())
        self.up = nn.ConvTranspose2d(16, 8, 2, stride=2)
        self.dec = nn.Sequential(nn.Conv2d(16, 8, 3, padding=1), nn.GELU(), nn.Conv2d(8, 3, 1))
        self.skip = nn.Conv2d(3, 3, 1)

    def forward(self, x):
        e1 = self.enc1(x)
        e2 = self.enc2(self.pool(e1))
        d = self.dec(torch.cat([self.up(e2), e1], dim=1))
        return d + self.skip(x)


def randomize_batch_norms(model, gen):
    """Running statistics a trained model would have (fresh ones are the identity)."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.copy_(torch.randn(m.num_features, generator=gen) * 0.5)
                m.running_var.copy_(torch.rand(m.num_features, generator=gen) + 0.5)
                m.weight.copy_(torch.randn(m.num_features, generator=gen) * 0.5 + 1)
                m.bias.copy_(torch.randn(m.num_features, generator=gen) * 0.2)
                m.num_batches_tracked.fill_(100)
    return model.eval()


def model_goldens(out, g):
    io = {}
    models = {}
    for name, model, shape in [("encdec", encoder_decoder(), (1, 3, 16, 16)), ("unet", UNet(), (2, 3, 12, 12))]:
        torch.manual_seed(len(name))
        model = randomize_batch_norms(model, g.gen)
        x = torch.rand(*shape, generator=g.gen) * 2 - 1
        with torch.no_grad():
            io[f"{name}.input"], io[f"{name}.output"] = x, model(x)
        export_state_dict(model, os.path.join(out, f"{name}.safetensors"), metadata={"format": "pt"})
        models[name] = {"repr": repr(model), "keys": list(model.state_dict().keys()),
                        "parameters": [k for k, _ in model.named_parameters()]}

    # F16 / BF16 / F32 / I64 in one file; the expected output uses the values as rounded when stored.
    mixed = randomize_batch_norms(nn.Sequential(nn.Conv2d(2, 4, 3), nn.BatchNorm2d(4)), g.gen)
    state = mixed.state_dict()
    stored = {"0.weight": state["0.weight"].half(), "0.bias": state["0.bias"].bfloat16(),
              "1.weight": state["1.weight"].half(), "1.bias": state["1.bias"].bfloat16(),
              "1.running_mean": state["1.running_mean"], "1.running_var": state["1.running_var"],
              "1.num_batches_tracked": state["1.num_batches_tracked"]}
    save_file(stored, os.path.join(out, "mixed.safetensors"))
    mixed.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in stored.items()})
    x = torch.rand(1, 2, 5, 6, generator=g.gen) * 2 - 1
    with torch.no_grad():
        io["mixed.input"], io["mixed.output"] = x, mixed(x)
    io["mixed.values"] = torch.cat([v.float().reshape(-1) for k, v in sorted(stored.items())
                                    if v.is_floating_point()])
    # Extreme half / bfloat16 values: subnormals, the largest finite, infinities, NaN.
    half_bits = torch.tensor([0x0001, 0x03ff, 0x0400, 0x3c00, 0x7bff, 0x7c00, 0xfc00, 0x7e00, 0x8001, 0x8000],
                             dtype=torch.int32).to(torch.int16)
    bf16_bits = torch.tensor([0x0001, 0x007f, 0x0080, 0x3f80, 0x7f7f, 0x7f80, 0xff80, 0x7fc0, 0x8001, 0x8000],
                             dtype=torch.int32).to(torch.int16)
    extremes = {"half": half_bits.view(torch.float16), "bf16": bf16_bits.view(torch.bfloat16)}
    save_file(extremes, os.path.join(out, "extremes.safetensors"))
    io["extremes.half"] = extremes["half"].float()
    io["extremes.bf16"] = extremes["bf16"].float()

    # Every kind of load problem at once.
    bad = dict(randomize_batch_norms(encoder_decoder(), g.gen).state_dict())
    del bad["0.bias"]
    bad["extra.weight"] = torch.zeros(2)
    bad["3.weight"] = torch.zeros(16, 8, 3, 2)
    bad["1.running_var"] = bad["1.running_var"].double()
    save_file(bad, os.path.join(out, "bad_state.safetensors"))
    save_file(io, os.path.join(out, "models.safetensors"))
    return models


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "data", "modules"))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    g = Golden()
    activation_cases(g)
    batch_norm_cases(g)
    upsample_cases(g)
    rearrange_cases(g)
    save_file(g.tensors, os.path.join(args.out, "ops.safetensors"))
    models = model_goldens(args.out, g)
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump({"torch_version": torch.__version__, "cases": g.cases, "models": models}, f, indent=1)
        f.write("\n")
    print(f"{len(g.cases)} cases, {len(models)} models -> {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
