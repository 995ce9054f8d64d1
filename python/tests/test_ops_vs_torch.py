"""The four operators against torch.nn over random configurations, in every argument form.

torch computes in float64 on the same float32 inputs and weights. Strider's float32 sums of the
n = C_in/groups·kH·kW (+1 bias) terms may be in any order, so they lie within Higham's bound
γ_n·Σ|terms| of the exact result, γ_n = n·u/(1 − n·u), u = 2⁻²⁴, plus one rounding u·|y|; Σ|terms| is
the same operator on |x|, |w|, |b|. Max pooling must match torch exactly, indices included.
"""
import numpy as np
import pytest
import torch

import strider

U = 2.0**-24
COUNT = {"conv2d": 170, "conv_transpose2d": 130, "max_pool2d": 110, "avg_pool2d": 110}  # 520 in all


def gamma(n):
    return n * U / (1 - n * U)


def form(rng, value):
    """An int or a tuple of two ints: both forms torch accepts."""
    h, w = value
    return int(h) if h == w and rng.random() < 0.5 else (int(h), int(w))


def pair(rng, low, high):
    h = int(rng.integers(low, high + 1))
    return (h, h) if rng.random() < 0.5 else (h, int(rng.integers(low, high + 1)))


def random_input(rng, channels, low=1, high=9):
    shape = [channels, int(rng.integers(low, high + 1)), int(rng.integers(low, high + 1))]
    if rng.random() < 0.7:
        shape.insert(0, int(rng.integers(1, 3)))
    return rng.uniform(-1, 1, shape).astype(np.float32)


def batched(torch_module, x, **kwargs):
    """torch on [N, C, H, W] (torch 1.13's circular padding fails on an unbatched input: pytorch#86690)."""
    y = torch_module(torch.from_numpy(x if x.ndim == 4 else x[None]), **kwargs)
    return y if x.ndim == 4 else (y[0] if isinstance(y, torch.Tensor) else tuple(t[0] for t in y))


def within_higham(ours, torch_module, x, n, **kwargs):
    """|ours − exact| <= γ_n·Σ|terms| + u·|exact|, exact and Σ|terms| from torch in float64."""
    with torch.no_grad():
        exact = batched(torch_module.double(), x.astype(np.float64), **kwargs).numpy()
        for p in torch_module.parameters():
            p.abs_()
        magnitude = batched(torch_module, np.abs(x).astype(np.float64), **kwargs).numpy()
    assert ours.shape == exact.shape
    bound = gamma(n) * magnitude + U * np.abs(exact)
    excess = np.abs(ours.astype(np.float64) - exact) - bound
    assert excess.max(initial=-1) <= 0, f"worst excess {excess.max()} over the bound"


def conv2d_case(rng):
    groups = int(rng.choice([1, 1, 2, 3]))
    cin, cout = groups * int(rng.integers(1, 4)), groups * int(rng.integers(1, 4))
    kernel = pair(rng, 1, 4)
    kwargs = dict(stride=form(rng, pair(rng, 1, 3)), dilation=form(rng, pair(rng, 1, 2)), groups=groups,
                  bias=bool(rng.random() < 0.7),
                  padding_mode=str(rng.choice(["zeros", "zeros", "reflect", "replicate", "circular"])))
    choice = rng.random()
    if choice < 0.15:
        kwargs["padding"], kwargs["stride"] = "same", 1
    elif choice < 0.25:
        kwargs["padding"] = "valid"
    else:
        kwargs["padding"] = form(rng, pair(rng, 0, 2))
    return (cin, cout, form(rng, kernel)), kwargs, random_input(rng, cin, 3, 10)


def conv_transpose2d_case(rng):
    groups = int(rng.choice([1, 1, 2]))
    cin, cout = groups * int(rng.integers(1, 4)), groups * int(rng.integers(1, 4))
    stride, dilation = pair(rng, 1, 3), pair(rng, 1, 2)
    output_padding = tuple(int(rng.integers(0, max(s, d))) for s, d in zip(stride, dilation))
    kwargs = dict(stride=form(rng, stride), padding=form(rng, pair(rng, 0, 2)), output_padding=form(rng, output_padding),
                  groups=groups, bias=bool(rng.random() < 0.7), dilation=form(rng, dilation))
    return (cin, cout, form(rng, pair(rng, 1, 4))), kwargs, random_input(rng, cin, 1, 7)


def max_pool2d_case(rng):
    kernel = pair(rng, 1, 4)
    padding = tuple(int(rng.integers(0, k // 2 + 1)) for k in kernel)
    kwargs = dict(stride=None if rng.random() < 0.3 else form(rng, pair(rng, 1, 3)), padding=form(rng, padding),
                  dilation=form(rng, pair(rng, 1, 2)), return_indices=True, ceil_mode=bool(rng.random() < 0.5))
    return (form(rng, kernel),), kwargs, random_input(rng, int(rng.integers(1, 4)), 2, 11)


def avg_pool2d_case(rng):
    kernel = pair(rng, 1, 4)
    padding = tuple(int(rng.integers(0, k // 2 + 1)) for k in kernel)
    kwargs = dict(stride=None if rng.random() < 0.3 else form(rng, pair(rng, 1, 3)), padding=form(rng, padding),
                  ceil_mode=bool(rng.random() < 0.5), count_include_pad=bool(rng.random() < 0.5),
                  divisor_override=None if rng.random() < 0.7 else int(rng.integers(1, 10)))
    return (form(rng, kernel),), kwargs, random_input(rng, int(rng.integers(1, 4)), 2, 11)


def both(name, args, kwargs):
    """(strider module, torch module) or None when torch rejects the arguments."""
    torch_class = {"conv2d": torch.nn.Conv2d, "conv_transpose2d": torch.nn.ConvTranspose2d,
                   "max_pool2d": torch.nn.MaxPool2d, "avg_pool2d": torch.nn.AvgPool2d}[name]
    ours_class = {"conv2d": strider.nn.Conv2d, "conv_transpose2d": strider.nn.ConvTranspose2d,
                  "max_pool2d": strider.nn.MaxPool2d, "avg_pool2d": strider.nn.AvgPool2d}[name]
    try:
        theirs = torch_class(*args, **kwargs)
    except (ValueError, RuntimeError):
        return None
    return ours_class(*args, **kwargs), theirs


def torch_output(theirs, x):
    try:
        with torch.no_grad():
            return batched(theirs, x)
    except RuntimeError:
        return None


CASES = {"conv2d": conv2d_case, "conv_transpose2d": conv_transpose2d_case, "max_pool2d": max_pool2d_case,
         "avg_pool2d": avg_pool2d_case}


@pytest.mark.parametrize("name", list(CASES))
def test_random_configurations_match_torch(name):
    torch.manual_seed(0)
    rng = np.random.default_rng(list(CASES).index(name) + 1)
    checked = 0
    while checked < COUNT[name]:
        args, kwargs, x = CASES[name](rng)
        modules = both(name, args, kwargs)
        if modules is None:
            continue
        ours, theirs = modules
        expected = torch_output(theirs, x)
        if expected is None:  # torch rejects this input: so must Strider
            with pytest.raises(ValueError):
                ours(x)
            continue
        context = f"{name}{args} {kwargs} input {x.shape}"
        assert repr(ours) == repr(theirs), context
        if name == "max_pool2d":
            values, indices = ours(x)
            np.testing.assert_array_equal(values, expected[0].numpy(), err_msg=context)
            np.testing.assert_array_equal(indices, expected[1].numpy(), err_msg=context)
        elif name == "avg_pool2d":
            kh, kw = args[0] if isinstance(args[0], tuple) else (args[0], args[0])
            within_higham(ours(x), theirs, x, kh * kw + 1)
        else:
            ours.weight = theirs.weight.detach().numpy()
            if theirs.bias is not None:
                ours.bias = theirs.bias.detach().numpy()
            weight = theirs.weight.shape
            fan = (weight[1] if name == "conv2d" else weight[0] // kwargs["groups"]) * weight[2] * weight[3]
            extra = {}
            if name == "conv_transpose2d" and rng.random() < 0.3:  # output_size picks the output_padding
                ranges = [strider.arithmetic.conv_transpose_output_size_range(x.shape[axis], k, s, p, d) for axis, k, s,
                          p, d in zip((-2, -1), theirs.kernel_size, theirs.stride, theirs.padding, theirs.dilation)]
                if all(hi >= 1 for _, hi in ranges):
                    extra["output_size"] = [int(rng.integers(max(lo, 1), hi + 1)) for lo, hi in ranges]
                    context += f" output_size={extra['output_size']}"
            try:
                within_higham(ours(x, **extra), theirs, x, fan + 1, **extra)
            except AssertionError as e:
                raise AssertionError(f"{context}: {e}") from None
        checked += 1
