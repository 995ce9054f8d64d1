"""Deliberate cases: the edges of each operator's arithmetic."""

import torch

from golden_arith import INF, NAN
from golden_writer import constant_input, integer_input, negative_input, uniform_input, with_values


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
