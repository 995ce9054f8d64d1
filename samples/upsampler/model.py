"""The ×2 upsampler, defined once in PyTorch; samples/upsampler/upsampler_model.cpp builds the same
network from Strider's modules with the same parameter names.

    x [N, 3, H, W] in [0, 1], H and W even
    base  = ConvTranspose2d(3, 3, 8, s2, p3, groups=3)   learnable, starts as OpenCV's bicubic ×2
    f0    = relu(head(x))                                 [N, C, H, W]
    e     = relu(down(f0))                                [N, 2C, H/2, W/2]  strided: encoder
    e     = e + relu(mid2(relu(mid1(e))))                 dilations 2 and 4: wide context, cheaply
    d     = relu(up(e)) + f0                              [N, C, H, W]   ConvTranspose2d + skip
    d     = relu(fuse(d))
    y     = base(x) + tail(d)                             [N, 3, 2H, 2W] residual over the learned linear ×2

×4 runs the model twice (see README.md).
"""
import torch
from torch import nn
from torch.nn import functional as F

# Receptive radius in input (LR) pixels: how far an output pixel can see. Tiles overlap by more.
RECEPTIVE_RADIUS = 18


def cubic(d, a=-0.75):
    """Keys' cubic convolution kernel with OpenCV's a = -0.75."""
    d = abs(d)
    if d <= 1:
        return (a + 2) * d ** 3 - (a + 3) * d ** 2 + 1
    return a * d ** 3 - 5 * a * d ** 2 + 8 * a * d - 4 * a if d < 2 else 0.0


def bicubic_x2_kernel(channels):
    """The depthwise ConvTranspose2d(k=8, s=2, p=3) weight that is cv2.INTER_CUBIC ×2 away from the border:
    output o reads input i with weight w[o + 3 - 2i] at distance o/2 - 1/4 - i = (t - 3)/2 - 1/4, t = o + 3 - 2i."""
    taps = torch.tensor([cubic((t - 3) / 2 - 0.25) for t in range(8)], dtype=torch.float64)
    return torch.outer(taps, taps).float().expand(channels, 1, 8, 8).clone()


class Upsampler(nn.Module):
    def __init__(self, channels=32):
        super().__init__()
        c = channels
        self.base = nn.ConvTranspose2d(3, 3, 8, stride=2, padding=3, groups=3, bias=False)
        self.head = nn.Conv2d(3, c, 3, padding=1)
        self.down = nn.Conv2d(c, 2 * c, 3, stride=2, padding=1)
        self.mid1 = nn.Conv2d(2 * c, 2 * c, 3, padding=2, dilation=2)
        self.mid2 = nn.Conv2d(2 * c, 2 * c, 3, padding=4, dilation=4)
        self.up = nn.ConvTranspose2d(2 * c, c, 4, stride=2, padding=1)
        self.fuse = nn.Conv2d(c, c, 3, padding=1)
        self.tail = nn.ConvTranspose2d(c, 3, 4, stride=2, padding=1)
        with torch.no_grad():
            self.base.weight.copy_(bicubic_x2_kernel(3))
            # Start as plain bicubic: the network learns only the correction.
            self.tail.weight.mul_(0.1)
            self.tail.bias.zero_()

    def forward(self, x):
        f0 = F.relu(self.head(x))
        e = F.relu(self.down(f0))
        e = e + F.relu(self.mid2(F.relu(self.mid1(e))))
        d = F.relu(self.up(e)) + f0
        d = F.relu(self.fuse(d))
        return self.base(x) + self.tail(d)


def flops_per_input_pixel(model):
    """2 × multiply-adds per input (LR) pixel. A Conv2d does weight.numel() per output pixel, a
    ConvTranspose2d per input pixel; down, mid1, mid2 and up do theirs at H/2 × W/2."""
    return sum(2 * m.weight.numel() * (0.25 if name in ("down", "mid1", "mid2", "up") else 1.0)
               for name, m in model.named_children())


def pad_to_even(x):
    """Replicates the last row / column of an odd-sized [N, C, H, W] input: the encoder halves H and W."""
    h, w = x.shape[-2:]
    return F.pad(x, (0, w % 2, 0, h % 2), mode="replicate")


def upsample_x2(model, x):
    """x [N, 3, H, W] any size -> [N, 3, 2H, 2W], clamped to [0, 1]."""
    h, w = x.shape[-2:]
    return model(pad_to_even(x))[..., : 2 * h, : 2 * w].clamp(0, 1)
