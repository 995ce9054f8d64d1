"""The photos: natural photographs shipped by Debian's opencv-doc and python3-skimage, read from the
installed packages (nothing is copied into the repository), split once into training and held-out
sets; the ×2 / ×4 degradation; Y-PSNR and SSIM as in the super-resolution literature."""
import os

import cv2
import numpy as np
from skimage.metrics import structural_similarity

OPENCV_DATA = "/usr/share/doc/opencv-doc/examples/data"
SKIMAGE_DATA = "/usr/lib/python3/dist-packages/skimage/data"

# Natural photos only: no logos, charts, chessboards, text, renders, paintings or tiny images.
# Stereo / sequence partners (aloeR, leuvenB, graf3, rubberwhale2, basketball2, ela_modified,
# motorcycle_right, right.jpg) are left out everywhere: they would leak a held-out scene or only
# duplicate a training one. Grey photos are used as three equal channels.
TRAIN = [f"{OPENCV_DATA}/{name}" for name in [
    "aero1.jpg", "aero3.jpg", "aloeL.jpg", "apple.jpg", "basketball1.png", "board.jpg", "box_in_scene.png",
    "building.jpg", "ela_original.jpg", "fruits.jpg", "graf1.png", "home.jpg", "left.jpg", "messi5.jpg",
    "orange.jpg", "rubberwhale1.png", "smarties.png", "squirrel_cls.jpg", "stuff.jpg"]] + [
    f"{SKIMAGE_DATA}/{name}" for name in ["camera.png", "chelsea.png", "rocket.jpg"]]
# Held out: whole photos never cropped into training. astronaut is the bundled demo input
# (samples/data/astronaut_256.png), so the demo shows the model on a photo it never saw.
HELD_OUT = [f"{OPENCV_DATA}/{name}" for name in ["baboon.jpg", "butterfly.jpg", "leuvenA.jpg"]] + [
    f"{SKIMAGE_DATA}/{name}" for name in ["astronaut.png", "coffee.png", "motorcycle_left.png"]]

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm")


def read_rgb(path):
    """8-bit RGB, H×W×3 (grey photos as three equal channels)."""
    image = cv2.imread(path, cv2.IMREAD_COLOR)
    if image is None:
        raise FileNotFoundError(f"cannot read {path}: install opencv-doc and python3-skimage")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def list_images(folder):
    return sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.lower().endswith(IMAGE_EXTENSIONS))


def degrade(hr, scale):
    """The pipeline: crop HR to a multiple of `scale` (top-left), then cv2.INTER_AREA down by `scale`."""
    h, w = hr.shape[0] // scale * scale, hr.shape[1] // scale * scale
    hr = hr[:h, :w]
    return hr, cv2.resize(hr, (w // scale, h // scale), interpolation=cv2.INTER_AREA)


def y_channel(rgb):
    """BT.601 luma of an 8-bit RGB image on the [16, 235] scale, as MATLAB's rgb2ycbcr (the SR papers)."""
    rgb = rgb.astype(np.float64) / 255.0
    return 16.0 + 65.481 * rgb[..., 0] + 128.553 * rgb[..., 1] + 24.966 * rgb[..., 2]


def y_psnr(a, b, border):
    """PSNR of the Y channels (peak 255), ignoring `border` pixels on every side."""
    ya, yb = y_channel(a), y_channel(b)
    if border:
        ya, yb = ya[border:-border, border:-border], yb[border:-border, border:-border]
    mse = np.mean((ya - yb) ** 2)
    return float("inf") if mse == 0 else 10.0 * np.log10(255.0 ** 2 / mse)


def y_ssim(a, b, border):
    """SSIM of the Y channels: Wang et al.'s Gaussian window (σ = 1.5, 11 × 11), peak 255."""
    ya, yb = y_channel(a), y_channel(b)
    if border:
        ya, yb = ya[border:-border, border:-border], yb[border:-border, border:-border]
    return float(structural_similarity(ya, yb, data_range=255.0, gaussian_weights=True, sigma=1.5,
                                       use_sample_covariance=False))
