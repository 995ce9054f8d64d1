"""Strider from Python: PyTorch's operators and modules over numpy arrays, ONNX models and the
trained upsampler, computed by Strider's C++ kernels with the GIL released.

    import strider
    conv = strider.nn.Conv2d(3, 32, 3, stride=2, padding=1)
    y = conv(x)                         # x: float32 [N, C, H, W] or [C, H, W] numpy array
    big = strider.upsample(cv2.imread("photo.png", cv2.IMREAD_UNCHANGED), scale=2)

Invalid arguments raise ValueError with the C++ library's message; an argument of the wrong kind (None,
a non-numeric dtype) raises InputTypeError, both a TypeError and a ValueError.
"""
import os
import threading

from . import _strider
from ._strider import (InputTypeError, arithmetic, cached_memory_bytes, get_num_threads, release_cached_memory,
                       set_num_threads, simd_level)
from . import nn

__all__ = ["nn", "arithmetic", "InputTypeError", "load_onnx", "upsample", "upsampler", "set_num_threads",
           "get_num_threads", "simd_level", "cached_memory_bytes", "release_cached_memory"]

# Each model's (×2, ×4) weights. "default": trained on clean downscaled photos; "real": on inputs also
# JPEG-compressed, noisy or blurred, ×2 only (×4 runs it twice).
_HERE = os.path.dirname(__file__)
UPSAMPLER_WEIGHTS = {
    "default": (os.path.join(_HERE, "upsampler_x2.safetensors"), os.path.join(_HERE, "upsampler_x4.safetensors")),
    "real": (os.path.join(_HERE, "upsampler_x2_real.safetensors"), ""),
}


def load_onnx(path):
    """An ONNX model written by torch.onnx.export: model(x) for one input, model.run({name: array}) ->
    {name: array}, model.inputs / model.outputs (name and shape; -1 marks an open dimension)."""
    return _strider.load_onnx(os.fspath(path))


_upsamplers = {}
_upsamplers_lock = threading.Lock()


def upsampler(model="default"):
    """The trained model "default" (×2 and ×4) or "real" (×2), loaded once per process (Dask workers keep it between
    tasks)."""
    if model not in UPSAMPLER_WEIGHTS:
        raise ValueError(f"upsampler: model must be 'default' or 'real', but got {model!r}")
    with _upsamplers_lock:
        if model not in _upsamplers:
            _upsamplers[model] = _strider.Upsampler(*UPSAMPLER_WEIGHTS[model])
        return _upsamplers[model]


def upsample(image, scale=2, tile=_strider.DEFAULT_TILE, model="default"):
    """×2 or ×4 of an H×W or H×W×C uint8 / uint16 image as cv2.imread(path, cv2.IMREAD_UNCHANGED)
    returns it (BGR, alpha kept): the same kind of array, equal to what the `upsample` program writes.
    Large images go through overlapping tiles of `tile` input pixels; the result does not depend on it but
    for Winograd's rounding (one step, at 3 of 25 million 8-bit values at 1080p -> 4K), and not at all with
    STRIDER_CONV_ALGO=direct in the environment (the direct kernel, 1.2x slower).
    model="real" suits JPEG, noisy or soft photos (see upsampler())."""
    return upsampler(model).upsample(image, scale, tile)
