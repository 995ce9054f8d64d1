"""strider.upsample equals what the C++ `upsample` program writes, for every kind of image it reads."""
import subprocess

import cv2
import numpy as np
import pytest

import strider


def photo_like(rng, shape, dtype):
    """Smooth content plus noise: closer to a photo than pure noise, so tiles and edges matter."""
    top = np.iinfo(dtype).max
    h, w = shape[:2]
    ramp = (np.add.outer(np.arange(h), 2 * np.arange(w)) % 97) / 96
    base = ramp[..., None] if len(shape) == 3 else ramp
    return np.clip(base * top * 0.8 + rng.uniform(0, 0.2 * top, shape), 0, top).astype(dtype)


KINDS = [
    ("bgr8", (37, 50, 3), np.uint8, 2),
    ("grey8", (40, 33), np.uint8, 2),
    ("bgra8", (30, 28, 4), np.uint8, 2),
    ("bgr16", (26, 31, 3), np.uint16, 2),
    ("grey16_x4", (21, 18), np.uint16, 4),
]


@pytest.mark.parametrize("name, shape, dtype, scale", KINDS)
def test_equals_the_upsample_program(tmp_path, upsample_program, rng, name, shape, dtype, scale):
    source, written = tmp_path / f"{name}.png", tmp_path / f"{name}_out.png"
    assert cv2.imwrite(str(source), photo_like(rng, shape, dtype))
    subprocess.run([upsample_program, str(source), "-o", str(written), "--scale", str(scale)], check=True,
                   capture_output=True)
    image = cv2.imread(str(source), cv2.IMREAD_UNCHANGED)
    ours = strider.upsample(image, scale=scale)
    expected = cv2.imread(str(written), cv2.IMREAD_UNCHANGED)
    assert ours.dtype == image.dtype and ours.shape == (shape[0] * scale, shape[1] * scale) + shape[2:]
    np.testing.assert_array_equal(ours, expected)


def test_tiles_do_not_change_the_result_and_the_result_is_not_copied(rng):
    image = photo_like(rng, (70, 90, 3), np.uint8)
    whole = strider.upsample(image, tile=256)
    # Winograd's 4x4 blocks fall elsewhere in a tile: rounding, at most one step at a few values.
    difference = np.abs(strider.upsample(image, tile=16).astype(int) - whole)
    assert difference.max() <= 1 and np.count_nonzero(difference) <= whole.size // 1000
    assert type(whole.base).__name__ == "PyCapsule" and not np.shares_memory(whole, image)
    # A view is converted: the same pixels give the same result.
    np.testing.assert_array_equal(strider.upsample(np.ascontiguousarray(image[::-1])[::-1]), whole)
    np.testing.assert_array_equal(strider.upsample(image[:, :, :1]), strider.upsample(image[:, :, 0])[..., None])


def test_the_real_model_equals_the_program_and_unknown_models_are_refused(tmp_path, upsample_program, rng):
    source, written = tmp_path / "photo.png", tmp_path / "photo_real.png"
    image = photo_like(rng, (34, 40, 3), np.uint8)
    assert cv2.imwrite(str(source), image)
    subprocess.run([upsample_program, str(source), "-o", str(written), "--model", "real"], check=True,
                   capture_output=True)
    real = strider.upsample(image, model="real")
    np.testing.assert_array_equal(real, cv2.imread(str(written), cv2.IMREAD_UNCHANGED))
    assert not np.array_equal(real, strider.upsample(image))
    with pytest.raises(ValueError, match="model must be 'default' or 'real', but got 'sharp'"):
        strider.upsample(image, model="sharp")
