"""Rejections (PYTORCH_SEMANTICS.md §4), and inputs PyTorch accepts that Strider rejects."""

from golden_arith import INF, empty_taps, maxpool_has_empty_window, pair, pool_out, pool_params


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
