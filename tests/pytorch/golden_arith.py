"""The operators' parameters and PyTorch's shape arithmetic (PYTORCH_SEMANTICS.md §1-§3), used to
validate random draws and to assert every output shape PyTorch produces."""

import numpy as np


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
