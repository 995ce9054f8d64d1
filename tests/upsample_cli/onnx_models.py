"""`upsample --model FILE.onnx` on models exported from PyTorch here: an ESPCN-like ×3 RGB model (dynamic
axes, pixels in [0, 255]) and an FSRCNN-like ×2 model on Y. Each must give the same image tiled and
untiled, and (for the RGB one) PyTorch's own result on the whole image, within one 8-bit step. Both also
run exported at a fixed size (no dynamic_axes), giving the same images; a model whose export froze a shape
is refused at that node, with a message saying why.

    /usr/bin/python3 onnx_models.py UPSAMPLE WORK_DIR      (exit 77: no torch, skipped)
"""
import subprocess
import sys
from pathlib import Path

try:
    import cv2
    import numpy as np
    import torch
except ImportError:
    sys.exit(77)

upsample, work = sys.argv[1], Path(sys.argv[2])
work.mkdir(parents=True, exist_ok=True)
torch.manual_seed(0)


class Espcn(torch.nn.Module):  # pixels in [0, 255], RGB, ×3
    def __init__(self):
        super().__init__()
        self.body = torch.nn.Sequential(torch.nn.Conv2d(3, 16, 5, padding=2), torch.nn.Tanh(),
                                        torch.nn.Conv2d(16, 16, 3, padding=1), torch.nn.ReLU(),
                                        torch.nn.Conv2d(16, 27, 3, padding=1), torch.nn.PixelShuffle(3))

    def forward(self, x):
        return self.body(x / 255) * 255


class Fsrcnn(torch.nn.Module):  # one channel (Y) in [0, 1], ×2, a stride-2 layer inside
    def __init__(self):
        super().__init__()
        self.body = torch.nn.Sequential(torch.nn.Conv2d(1, 8, 3, padding=1), torch.nn.PReLU(8),
                                        torch.nn.Conv2d(8, 8, 3, stride=2, padding=1), torch.nn.ReLU(),
                                        torch.nn.ConvTranspose2d(8, 4, 4, stride=2, padding=1), torch.nn.ReLU(),
                                        torch.nn.Conv2d(4, 4, 3, padding=1), torch.nn.PixelShuffle(2))

    def forward(self, x):
        return self.body(x) + torch.nn.functional.interpolate(x, scale_factor=2, mode="nearest")


def export(model, channels, name, dynamic=True):
    path = work / name
    axes = {"x": {2: "h", 3: "w"}, "y": {2: "H", 3: "W"}} if dynamic else None
    torch.onnx.export(model.eval(), torch.rand(1, channels, 32, 32), path, input_names=["x"], output_names=["y"],
                      dynamic_axes=axes, opset_version=13)
    return path


def run(*args):
    result = subprocess.run([upsample, *map(str, args)], capture_output=True, text=True)
    print(" ".join(map(str, args)), "->", result.returncode, result.stdout.strip(), result.stderr.strip()[-300:])
    return result


def check(condition, what):
    print("ok    " if condition else "FAILED", what)
    if not condition:
        sys.exit(1)


rng = np.random.default_rng(1)
photo = cv2.GaussianBlur(rng.integers(0, 256, (50, 70, 3), dtype=np.uint8), (5, 5), 1.5)  # even sizes
cv2.imwrite(str(work / "photo.png"), photo)

espcn = Espcn()
path = export(espcn, 3, "espcn.onnx")
for tile in (16, 1000):
    check(run(work / "photo.png", "--model", path, "--range", "255", "--tile", tile, "-q",
              "-o", work / f"espcn_{tile}.png").returncode == 0, f"espcn tile {tile}")
tiled, whole = (cv2.imread(str(work / f"espcn_{t}.png")) for t in (16, 1000))
check(whole.shape == (150, 210, 3), "espcn: x3 found by the probe")
check(np.array_equal(tiled, whole), "espcn: tiled == untiled")
with torch.no_grad():
    x = torch.from_numpy(photo[:, :, ::-1].copy()).permute(2, 0, 1)[None].float()
    expected = espcn(x)[0].permute(1, 2, 0).numpy()[:, :, ::-1].clip(0, 255)
check(np.abs(whole.astype(float) - expected).max() <= 1.0, "espcn: PyTorch's result within one 8-bit step")

path = export(Fsrcnn(), 1, "fsrcnn.onnx")
for tile in (16, 1000):
    check(run(work / "photo.png", "--model", path, "--channels", "y", "--tile", tile, "-q",
              "-o", work / f"fsrcnn_{tile}.png").returncode == 0, f"fsrcnn tile {tile}")
tiled, whole = (cv2.imread(str(work / f"fsrcnn_{t}.png")) for t in (16, 1000))
check(whole.shape == (100, 140, 3) and np.array_equal(tiled, whole), "fsrcnn on Y: x2, tiled == untiled")

# Exported without dynamic_axes, the file declares [1, C, 32, 32]; the graph computes its shapes from the
# input, so it runs at any size and tiles like the dynamic export.
for model, channels, name, options in ((espcn, 3, "espcn", ("--range", "255")), (Fsrcnn(), 1, "fsrcnn", ("--channels", "y"))):
    dynamic = export(model, channels, f"{name}_dynamic.onnx")
    fixed = export(model, channels, f"{name}_fixed.onnx", dynamic=False)
    for path, tile in ((dynamic, 1000), (fixed, 1000), (fixed, 16)):
        check(run(work / "photo.png", "--model", path, *options, "--tile", tile, "-q",
                  "-o", work / f"{path.stem}_{tile}.png").returncode == 0, f"{path.name} tile {tile}")
    images = [cv2.imread(str(work / f"{stem}.png")) for stem in
              (f"{name}_dynamic_1000", f"{name}_fixed_1000", f"{name}_fixed_16")]
    check(all(np.array_equal(images[0], image) for image in images[1:]),
          f"{name} exported at a fixed size: the dynamic export's image, tiled or not")


class Frozen(torch.nn.Module):  # a Reshape to the example's shape: the export freezes [1, 3, 32, 32]
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 12, 3, padding=1)

    def forward(self, x):
        return torch.nn.functional.pixel_shuffle(self.conv(x.flatten(2).reshape(x.shape)), 2)


frozen = run(work / "photo.png", "--model", export(Frozen(), 3, "frozen.onnx", dynamic=False), "-o", work / "f.png")
check(frozen.returncode == 2 and "export size" in frozen.stderr and "Reshape" in frozen.stderr,
      "a shape frozen at export is refused at its node, saying why")
