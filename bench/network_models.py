"""Published image-restoration and encoder-decoder networks, written in PyTorch from their papers, for
bench/networks.py. Widths and depths are the papers' (or the authors' released configurations, named
below); weights are random: speed and parity do not depend on them.

  ESPCN       Shi et al. 2016, "Real-Time Single Image and Video Super-Resolution Using an Efficient
              Sub-Pixel CNN": 5x5 64, 3x3 32, 3x3 3r^2, Tanh, PixelShuffle.
  FSRCNN      Dong et al. 2016, "Accelerating the Super-Resolution CNN": FSRCNN(56, 12, 4), PReLU,
              1x1 shrink / expand, ConvTranspose 9x9 stride 2.
  EDSR        Lim et al. 2017, EDSR-baseline: 16 residual blocks of 64 channels without BatchNorm,
              residual scaling 1, PixelShuffle x2.
  UNet        Ronneberger et al. 2015, U-Net with BatchNorm (as commonly used since), 4 levels from 32
              channels, MaxPool down, ConvTranspose 2x2 up, skip concatenations.
  SRVGG       Wang et al. 2021 (Real-ESRGAN), SRVGGNetCompact: 64 channels, 16 convs, per-channel PReLU,
              PixelShuffle x4, plus the nearest-upsampled input.
  RRDBNet     Wang et al. 2018 (ESRGAN), RRDBNet scaled down: 32 channels, growth 16, 2 RRDB blocks, dense
              concatenations, LeakyReLU 0.2, residual scaling 0.2, nearest x2 upsampling twice.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


class ESPCN(nn.Module):
    def __init__(self, scale=2, channels=3):
        super().__init__()
        self.c1 = nn.Conv2d(channels, 64, 5, padding=2)
        self.c2 = nn.Conv2d(64, 32, 3, padding=1)
        self.c3 = nn.Conv2d(32, channels * scale * scale, 3, padding=1)
        self.shuffle = nn.PixelShuffle(scale)

    def forward(self, x):
        return self.shuffle(self.c3(torch.tanh(self.c2(torch.tanh(self.c1(x))))))


class FSRCNN(nn.Module):
    def __init__(self, scale=2, d=56, s=12, m=4, channels=1):
        super().__init__()
        layers = [nn.Conv2d(channels, d, 5, padding=2), nn.PReLU(d), nn.Conv2d(d, s, 1), nn.PReLU(s)]
        for _ in range(m):
            layers += [nn.Conv2d(s, s, 3, padding=1), nn.PReLU(s)]
        layers += [nn.Conv2d(s, d, 1), nn.PReLU(d)]
        self.body = nn.Sequential(*layers)
        self.deconv = nn.ConvTranspose2d(d, channels, 9, stride=scale, padding=4, output_padding=scale - 1)

    def forward(self, x):
        return self.deconv(self.body(x))


class ResBlock(nn.Module):
    def __init__(self, n, scale=1.0):
        super().__init__()
        self.c1 = nn.Conv2d(n, n, 3, padding=1)
        self.c2 = nn.Conv2d(n, n, 3, padding=1)
        self.scale = scale

    def forward(self, x):
        y = self.c2(F.relu(self.c1(x)))
        return x + (y * self.scale if self.scale != 1 else y)


class EDSR(nn.Module):
    def __init__(self, scale=2, n=64, blocks=16):
        super().__init__()
        self.head = nn.Conv2d(3, n, 3, padding=1)
        self.body = nn.Sequential(*[ResBlock(n) for _ in range(blocks)], nn.Conv2d(n, n, 3, padding=1))
        self.up = nn.Sequential(nn.Conv2d(n, n * scale * scale, 3, padding=1), nn.PixelShuffle(scale))
        self.tail = nn.Conv2d(n, 3, 3, padding=1)

    def forward(self, x):
        h = self.head(x)
        return self.tail(self.up(h + self.body(h)))


def double_conv(cin, cout):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(),
                         nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU())


class UNet(nn.Module):
    def __init__(self, cin=3, cout=1, width=32, levels=4):
        super().__init__()
        widths = [width * 2 ** i for i in range(levels)]
        self.down = nn.ModuleList([double_conv(cin if i == 0 else widths[i - 1], w) for i, w in enumerate(widths)])
        self.bottom = double_conv(widths[-1], widths[-1] * 2)
        self.up = nn.ModuleList([nn.ConvTranspose2d(w * 2, w, 2, stride=2) for w in reversed(widths)])
        self.merge = nn.ModuleList([double_conv(w * 2, w) for w in reversed(widths)])
        self.out = nn.Conv2d(widths[0], cout, 1)

    def forward(self, x):
        skips = []
        for d in self.down:
            x = d(x)
            skips.append(x)
            x = F.max_pool2d(x, 2)
        x = self.bottom(x)
        for up, merge, skip in zip(self.up, self.merge, reversed(skips)):
            x = merge(torch.cat([up(x), skip], 1))
        return torch.sigmoid(self.out(x))


class SRVGGNetCompact(nn.Module):
    def __init__(self, scale=4, n=64, convs=16):
        super().__init__()
        layers = [nn.Conv2d(3, n, 3, padding=1), nn.PReLU(n)]
        for _ in range(convs):
            layers += [nn.Conv2d(n, n, 3, padding=1), nn.PReLU(n)]
        layers += [nn.Conv2d(n, 3 * scale * scale, 3, padding=1), nn.PixelShuffle(scale)]
        self.body = nn.Sequential(*layers)
        self.scale = scale

    def forward(self, x):
        return self.body(x) + F.interpolate(x, scale_factor=self.scale, mode="nearest")


class DenseBlock(nn.Module):
    def __init__(self, n, g):
        super().__init__()
        self.convs = nn.ModuleList([nn.Conv2d(n + i * g, g if i < 4 else n, 3, padding=1) for i in range(5)])

    def forward(self, x):
        features = [x]
        for i, conv in enumerate(self.convs):
            y = conv(torch.cat(features, 1))
            if i < 4:
                features.append(F.leaky_relu(y, 0.2))
        return x + y * 0.2


class RRDB(nn.Module):
    def __init__(self, n, g):
        super().__init__()
        self.blocks = nn.Sequential(DenseBlock(n, g), DenseBlock(n, g), DenseBlock(n, g))

    def forward(self, x):
        return x + self.blocks(x) * 0.2


class RRDBNet(nn.Module):
    def __init__(self, n=32, g=16, blocks=2):
        super().__init__()
        self.first = nn.Conv2d(3, n, 3, padding=1)
        self.body = nn.Sequential(*[RRDB(n, g) for _ in range(blocks)], nn.Conv2d(n, n, 3, padding=1))
        self.up1 = nn.Conv2d(n, n, 3, padding=1)
        self.up2 = nn.Conv2d(n, n, 3, padding=1)
        self.hr = nn.Conv2d(n, n, 3, padding=1)
        self.last = nn.Conv2d(n, 3, 3, padding=1)

    def forward(self, x):
        f = self.first(x)
        f = f + self.body(f)
        f = F.leaky_relu(self.up1(F.interpolate(f, scale_factor=2, mode="nearest")), 0.2)
        f = F.leaky_relu(self.up2(F.interpolate(f, scale_factor=2, mode="nearest")), 0.2)
        return self.last(F.leaky_relu(self.hr(f), 0.2))


# name -> (constructor, input shape)
NETWORKS = {
    "ESPCN x2": (ESPCN, (1, 3, 256, 256)),
    "FSRCNN x2": (FSRCNN, (1, 1, 256, 256)),
    "EDSR-baseline x2": (EDSR, (1, 3, 128, 128)),
    "U-Net": (UNet, (1, 3, 256, 256)),
    "SRVGGNetCompact x4": (SRVGGNetCompact, (1, 3, 128, 128)),
    "RRDBNet (small) x4": (RRDBNet, (1, 3, 128, 128)),
}


def build(name, seed=0):
    """The network in eval mode with random weights (BatchNorm statistics too), and its input shape."""
    torch.manual_seed(seed)
    make, shape = NETWORKS[name]
    model = make().eval()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
            if isinstance(m, nn.PReLU):
                m.weight.uniform_(0.05, 0.3)
    return model, shape
