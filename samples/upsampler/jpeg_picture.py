"""The README's picture of both bundled models on a JPEG: a held-out photo (scikit-image's coffee) downscaled ×2
with INTER_AREA and saved as a quality-75 JPEG, then enlarged ×2 by bicubic, `upsample --model default` and
`upsample --model real`. A crop of each, zoomed ×2, beside the original's, with each one's Y-PSNR on the whole photo.

    /usr/bin/python3 samples/upsampler/jpeg_picture.py build/samples/upsampler/upsample
"""
import os
import subprocess
import sys
import tempfile

import cv2
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import photos  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CROP = (300, 180, 160, 160)  # x, y, width, height in the high-resolution photo: the spoon, the cup and the wood


def panel(rgb, title):
    x, y, w, h = CROP
    zoomed = cv2.resize(rgb[y:y + h, x:x + w], (2 * w, 2 * h), interpolation=cv2.INTER_NEAREST)
    bar = np.full((36, zoomed.shape[1], 3), 255, np.uint8)
    cv2.putText(bar, title, (8, 25), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 0), 1, cv2.LINE_AA)
    return np.vstack([bar, zoomed])


def main():
    upsample = sys.argv[1]
    hr, lr = photos.degrade(photos.read_rgb(f"{photos.SKIMAGE_DATA}/coffee.png"), 2)
    lr = photos.jpeg(lr, 75)
    panels = [panel(hr, "original")]
    with tempfile.TemporaryDirectory() as folder:
        source = os.path.join(folder, "coffee_q75.png")  # the decoded JPEG, losslessly
        cv2.imwrite(source, cv2.cvtColor(lr, cv2.COLOR_RGB2BGR))
        results = [("bicubic", cv2.resize(lr, (hr.shape[1], hr.shape[0]), interpolation=cv2.INTER_CUBIC))]
        for model in ("default", "real"):
            out = os.path.join(folder, f"{model}.png")
            subprocess.run([upsample, source, "-o", out, "--model", model, "-q"], check=True)
            results.append((f"--model {model}", cv2.cvtColor(cv2.imread(out), cv2.COLOR_BGR2RGB)))
    for title, rgb in results:
        panels.append(panel(rgb, f"{title}: {photos.y_psnr(rgb, hr, 2):.2f} dB"))
    picture = os.path.join(HERE, "coffee_jpeg75_compare.jpg")
    cv2.imwrite(picture, cv2.cvtColor(np.hstack(panels), cv2.COLOR_RGB2BGR), (cv2.IMWRITE_JPEG_QUALITY, 92))
    print(f"wrote {picture}")


if __name__ == "__main__":
    main()
