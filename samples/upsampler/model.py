"""The upsampler, ×2 or ×4, defined once in PyTorch; upsampler/upsampler_model.cpp builds the same
network from Strider's modules with the same parameter names.

    x [N, 3, H, W] in [0, 1], H and W even;  σ = LeakyReLU(0.1);  s = 2 or 4
    base  = ConvTranspose2d(3, 3, 4s, s, 3s/2, groups=3) a linear ×s; train.py starts it at the least-squares one
    f     = σ(head(x))                                    [N, C, H, W]
    f     = f + σ(body(f))                                fine detail at full input resolution
    e     = σ(down(f))                                    [N, 2C, H/2, W/2]  strided: encoder
    e     = e + σ(mid2(σ(mid1(e))))                       dilations 2 and 4: wide context, cheaply
    d     = σ(up(e)) + f                                  [N, C, H, W]   ConvTranspose2d + skip
    d     = σ(fuse(d))
    d     = d + σ(refine(d))
    g     = σ(up2(d))                                     [N, S, 2H, 2W] ConvTranspose2d(C, S, 4, 2, 1): a first ×2
    g     = g + σ(conv2(g))                               a 3×3 layer at twice the input's resolution
    y     = base(x) + tail(g)                             [N, 3, sH, sW] residual over the learned linear ×s
    tail  = ×2: Conv2d(S, 3, 3, 1, 1);  ×4: ConvTranspose2d(S, 3, 4, 2, 1), a second ×2

Both models end in a stage of S = 16 channels at 2H × 2W. With a tail that enlarged from the C channels of d in
one ConvTranspose2d, (C, 3, 4, 2, 1) or (C, 3, 8, 4, 2), they gained +1.62 and +1.21 dB over bicubic on the
held-out photos, against +1.69 and +1.29 with it (README, "Quality").
"""
import torch
from torch import nn
from torch.nn import functional as F


class ConvTranspose2d(nn.ConvTranspose2d):
    """nn.ConvTranspose2d whose training forward is the guide's phase decomposition: one stride-1 Conv2d over the
    input, whose s·s output groups are the output phases, then pixel_shuffle. Along an axis, output o = s·a + r reads
    input a + d through tap t = s·m + (r + p) mod s with m = ⌊(r + p) / s⌋ - d, 0 <= m < k / s. Same parameters, same
    result; PyTorch 1.13's CPU backward of a Conv2d is 3-4× faster than that of a ConvTranspose2d, and training
    spends most of its time there. Evaluation runs nn.ConvTranspose2d itself."""

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, groups=1, bias=True):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, groups=groups, bias=bias)
        k, s, p = kernel_size, stride, padding
        # Exactly s× the input: k = s + 2p. Every phase has k / s taps: s divides k.
        assert k == s + 2 * p and k % s == 0, "the phase form needs kernel_size = stride + 2·padding, a multiple of stride"
        phase_tap = [(r + p) // s for r in range(s)]
        self.low = min(phase_tap) - (k // s - 1)  # the offsets d any phase reads: low .. max(phase_tap)
        taps = max(phase_tap) - self.low + 1
        # index[r, j]: the kernel tap of phase r at window position j (offset d = low + j), or k: no tap (a zero).
        index = torch.full((s, taps), k)
        for r in range(s):
            for j in range(taps):
                m = phase_tap[r] - (self.low + j)
                if 0 <= m < k // s:
                    index[r, j] = s * m + (r + p) % s
        self.register_buffer("phase_index", index, persistent=False)

    def phase_weight(self):
        """The Conv2d weight [out·s², in / groups, taps, taps]; channel c·s² + r_h·s + r_w is output channel c at
        phase (r_h, r_w), the order pixel_shuffle reads."""
        w = F.pad(self.weight, (0, 1, 0, 1))  # tap k is the zero
        g, s, taps = self.groups, self.stride[0], self.phase_index.shape[1]
        cin, cout = w.shape[0] // g, w.shape[1]
        w = w.reshape(g, cin, cout, self.kernel_size[0] + 1, self.kernel_size[1] + 1)
        rows = self.phase_index[:, None, :, None].expand(s, s, taps, taps)
        cols = self.phase_index[None, :, None, :].expand(s, s, taps, taps)
        w = w[:, :, :, rows, cols]  # [g, cin, cout, s, s, taps, taps]
        return w.permute(0, 2, 3, 4, 1, 5, 6).reshape(g * cout * s * s, cin, taps, taps)

    def forward(self, x):
        if not self.training:
            return super().forward(x)
        s, taps = self.stride[0], self.phase_index.shape[1]
        before, after = -self.low, taps - 1 + self.low
        y = F.conv2d(F.pad(x, (before, after, before, after)), self.phase_weight(),
                     None if self.bias is None else self.bias.repeat_interleave(s * s), groups=self.groups)
        return F.pixel_shuffle(y, s)


def act(x):
    """LeakyReLU(0.1) after every layer but the last: a unit whose input goes negative still gets a gradient. With
    ReLU instead, the same network trained for 18,000 iterations gained +1.38 dB over bicubic on the held-out
    photos, not +1.57."""
    return F.leaky_relu(x, 0.1)


class Upsampler(nn.Module):
    def __init__(self, channels=32, scale=2, stage_channels=16):
        super().__init__()
        c, s = channels, scale
        assert s in (2, 4), "the upsampler is ×2 or ×4"
        self.scale = s
        self.base = ConvTranspose2d(3, 3, 4 * s, stride=s, padding=3 * s // 2, groups=3, bias=False)
        self.head = nn.Conv2d(3, c, 3, padding=1)
        self.body = nn.Conv2d(c, c, 3, padding=1)
        self.down = nn.Conv2d(c, 2 * c, 3, stride=2, padding=1)
        self.mid1 = nn.Conv2d(2 * c, 2 * c, 3, padding=2, dilation=2)
        self.mid2 = nn.Conv2d(2 * c, 2 * c, 3, padding=4, dilation=4)
        self.up = ConvTranspose2d(2 * c, c, 4, stride=2, padding=1)
        self.fuse = nn.Conv2d(c, c, 3, padding=1)
        self.refine = nn.Conv2d(c, c, 3, padding=1)
        self.up2 = ConvTranspose2d(c, stage_channels, 4, stride=2, padding=1)
        self.conv2 = nn.Conv2d(stage_channels, stage_channels, 3, padding=1)
        if s == 2:
            self.tail = nn.Conv2d(stage_channels, 3, 3, padding=1)
        else:
            self.tail = ConvTranspose2d(stage_channels, 3, 4, stride=2, padding=1)
        with torch.no_grad():
            # Start close to the linear base: the network learns only the correction.
            self.tail.weight.mul_(0.1)
            self.tail.bias.zero_()

    def forward(self, x):
        f = act(self.head(x))
        f = f + act(self.body(f))
        e = act(self.down(f))
        e = e + act(self.mid2(act(self.mid1(e))))
        d = act(self.up(e)) + f
        d = act(self.fuse(d))
        d = d + act(self.refine(d))
        g = act(self.up2(d))
        g = g + act(self.conv2(g))
        return self.base(x) + self.tail(g)


def flops_per_input_pixel(model):
    """2 × multiply-adds per input (LR) pixel. A Conv2d does weight.numel() per output pixel, a
    ConvTranspose2d per input pixel; down, mid1, mid2 and up do theirs at H/2 × W/2, conv2 and tail at
    2H × 2W."""
    pixels = {"down": 0.25, "mid1": 0.25, "mid2": 0.25, "up": 0.25, "conv2": 4.0, "tail": 4.0}
    return sum(2 * m.weight.numel() * pixels.get(name, 1.0) for name, m in model.named_children())


def pad_to_even(x):
    """Replicates the last row / column of an odd-sized [N, C, H, W] input: the encoder halves H and W."""
    h, w = x.shape[-2:]
    return F.pad(x, (0, w % 2, 0, h % 2), mode="replicate")


def upsample(model, x):
    """x [N, 3, H, W] any size -> [N, 3, sH, sW] (s = model.scale), clamped to [0, 1]."""
    h, w = x.shape[-2:]
    s = model.scale
    return model(pad_to_even(x))[..., : s * h, : s * w].clamp(0, 1)
