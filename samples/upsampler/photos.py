"""The photos: natural photographs shipped by Debian's opencv-doc and python3-skimage, read from the
installed packages (nothing is copied into the repository), split once into training and held-out
sets; the ×2 / ×4 degradation; Y-PSNR and SSIM as in the super-resolution literature."""
import os

import cv2
import numpy as np
from skimage.metrics import structural_similarity

OPENCV_DATA = "/usr/share/doc/opencv-doc/examples/data"
SKIMAGE_DATA = "/usr/lib/python3/dist-packages/skimage/data"
PLASMA = "/usr/share/wallpapers"  # plasma-workspace-wallpapers: one folder per wallpaper, sizes of one photo
BACKGROUNDS = "/usr/share/backgrounds"  # lomiri-wallpapers' -16.04 and -20.04 sets


def plasma(name):
    return f"{PLASMA}/{name}/contents/images/2560x1600.jpg"


# Natural photos only: no logos, charts, chessboards, text, renders, paintings or tiny images (the
# other wallpapers of these packages, and all of ukui-wallpapers, gnome-backgrounds and desktop-base,
# are renders or drawings). Stereo / sequence partners (aloeR, leuvenB, graf3, rubberwhale2, basketball2,
# ela_modified, motorcycle_right, right.jpg) are left out everywhere: they would leak a held-out scene
# or only duplicate a training one. Grey photos are used as three equal channels.
# mate-backgrounds is never read: it is reserved for independent evaluation.
TRAIN = [f"{OPENCV_DATA}/{name}" for name in [
    "aero1.jpg", "aero3.jpg", "aloeL.jpg", "apple.jpg", "basketball1.png", "board.jpg", "box_in_scene.png",
    "building.jpg", "ela_original.jpg", "fruits.jpg", "graf1.png", "home.jpg", "left.jpg", "messi5.jpg",
    "orange.jpg", "rubberwhale1.png", "smarties.png", "squirrel_cls.jpg", "stuff.jpg"]] + [
    f"{SKIMAGE_DATA}/{name}" for name in ["camera.png", "chelsea.png", "rocket.jpg"]] + [
    plasma(name) for name in ["BytheWater", "ColdRipple", "DarkestHour", "EveningGlow", "FallenLeaf", "Grey",
                              "Kite", "OneStandsOut", "summer_1am"]] + [
    f"{BACKGROUNDS}/{name}.jpg" for name in [
        "Bridge_by_Sander_Klootwijk", "Dragonfly_by_Bolly", "Picture_0B_by_freespace", "Picture_1A_by_freespace",
        "aitzgorri_by_Aitzol_Berasategi", "analogpattern_by_Peter_Nerlich", "free_by_Peter_Nerlich",
        "friends_by_Aitzol_Berasategi", "greentock_by_Peter_Nerlich", "life_by_Aitzol_Berasategi",
        "seeding_by_Clements_Engelhardt", "sunset_by_Aitzol_Berasategi"]]
# Held out: whole photos never cropped into training. astronaut is the bundled demo input
# (samples/data/astronaut_256.png), so the demo shows the model on a photo it never saw. The five
# wallpapers are full-resolution camera photos, as people enlarge them.
HELD_OUT = [f"{OPENCV_DATA}/{name}" for name in ["baboon.jpg", "butterfly.jpg", "leuvenA.jpg"]] + [
    f"{SKIMAGE_DATA}/{name}" for name in ["astronaut.png", "coffee.png", "motorcycle_left.png"]] + [
    plasma("ColorfulCups"), plasma("Path")] + [
    f"{BACKGROUNDS}/{name}.jpg" for name in ["Kleiber_by_Lukas_Baubkus", "picosdeeuropa_by_Aitzol_Berasategi",
                                              "Wine_by_Jakkub_Mede"]]
PACKAGES = "opencv-doc python3-skimage plasma-workspace-wallpapers lomiri-wallpapers"

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm")


def read_rgb(path):
    """8-bit RGB, H×W×3 (grey photos as three equal channels)."""
    image = cv2.imread(path, cv2.IMREAD_COLOR)
    if image is None:
        raise FileNotFoundError(f"cannot read {path}: install {PACKAGES}")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def label(path):
    """A photo's name in tables: the plasma wallpaper's folder (its files are named by size), else the file's."""
    parts = os.path.normpath(path).split(os.sep)
    return parts[-4] if path.startswith(PLASMA) else parts[-1]


def list_images(folder):
    return sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.lower().endswith(IMAGE_EXTENSIONS))


def degrade(hr, scale):
    """The pipeline: crop HR to a multiple of `scale` (top-left), then cv2.INTER_AREA down by `scale`."""
    h, w = hr.shape[0] // scale * scale, hr.shape[1] // scale * scale
    hr = hr[:h, :w]
    return hr, cv2.resize(hr, (w // scale, h // scale), interpolation=cv2.INTER_AREA)


def jpeg(rgb, quality):
    """8-bit RGB through a JPEG of that quality (OpenCV's libjpeg, 4:2:0 chroma as most cameras and sites)."""
    ok, data = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), (cv2.IMWRITE_JPEG_QUALITY, int(quality)))
    assert ok
    return cv2.cvtColor(cv2.imdecode(data, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def degrade_real(lr, rng):
    """The real-world degradations of the `real` model, applied to an 8-bit RGB low-resolution image in a
    random order: a slight Gaussian blur (σ 0.3–0.7, a third of the time), mild Gaussian noise (σ 1–3 of 255,
    a third of the time, colour or grey) and a JPEG of quality 30–95 (always)."""
    def blur(image):
        sigma = rng.uniform(0.3, 0.7)
        return cv2.GaussianBlur(image, (0, 0), sigma, borderType=cv2.BORDER_REFLECT)

    def noise(image):
        sigma = rng.uniform(1.0, 3.0)
        shape = image.shape if rng.random() < 0.5 else image.shape[:2] + (1,)
        return np.clip(image + rng.normal(0.0, sigma, shape), 0, 255).round().astype(np.uint8)

    steps = [lambda image: jpeg(image, rng.integers(30, 96))]
    steps += [step for step in (blur, noise) if rng.random() < 1 / 3]
    for index in rng.permutation(len(steps)):
        lr = steps[index](lr)
    return lr


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
