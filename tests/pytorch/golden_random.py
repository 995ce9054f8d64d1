"""Random configurations of each operator, drawn inside the shapes PyTorch accepts."""

from golden_arith import (
    FLOAT_FILE_LIMIT, INDEX_FILE_LIMIT, conv2d_out, conv2d_valid, convt_min, convt_op_ok,
    convt_out, convt_range, full_args, maxpool_has_empty_window, numel, pool_out)


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
