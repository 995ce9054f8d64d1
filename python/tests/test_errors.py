"""Bad input raises, with the C++ message for what Strider rejects; nothing crashes the interpreter."""
import numpy as np
import pytest

import strider
from strider import nn


@pytest.mark.parametrize("make, message", [
    (lambda: nn.Conv2d(3, 8, 3, groups=2), "in_channels must be divisible by groups"),
    (lambda: nn.Conv2d(3, 8, 3, stride=2, padding="same"), "padding='same' is not supported for strided"),
    (lambda: nn.Conv2d(3, 8, 3, padding="full"), "padding"),
    (lambda: nn.Conv2d(3, 8, 3, padding_mode="mirror"), "padding_mode must be one of"),
    (lambda: nn.Conv2d(3, 8, 0), "kernel"),
    (lambda: nn.Conv2d(3, 8, 3, stride=(1, 0)), "stride"),
    (lambda: nn.Conv2d(3, 8, 3, padding=-1), "padding"),
    (lambda: nn.Conv2d(3, 8, (3, 3, 3)), "kernel_size must be an int or a pair"),
    (lambda: nn.ConvTranspose2d(4, 4, 3, stride=2, output_padding=2), "output padding must be smaller"),
    (lambda: nn.ConvTranspose2d(4, 4, 3, padding_mode="reflect"), "padding_mode"),
    (lambda: nn.MaxPool2d(2, padding=2), "pad should be at most half"),
    (lambda: nn.AvgPool2d(2, divisor_override=0), "divisor must be not zero"),
    (lambda: nn.BatchNorm2d(0), "num_features must be positive"),
    (lambda: nn.BatchNorm2d(3, track_running_stats=False), "track_running_stats"),
    (lambda: nn.Upsample(scale_factor=2, mode="bicubic"), "mode"),
    (lambda: nn.Dropout(1.5), "p"),
    (lambda: nn.GELU("fast"), "approximate"),
    (lambda: nn.Conv2d(2**62, 2**62, 3), ""),
    (lambda: nn.Conv2d(3, 8, 2**64), "must fit in 64 bits"),
])
def test_invalid_arguments_raise_value_error(make, message):
    with pytest.raises((ValueError, MemoryError), match=message):
        make()


def test_input_errors_carry_the_cpp_message():
    conv = nn.Conv2d(3, 8, 3)
    with pytest.raises(ValueError, match=r"expected input\[1, 4, 5, 5\] to have 3 channels"):
        conv(np.zeros((1, 4, 5, 5), np.float32))
    with pytest.raises(ValueError, match="Kernel size can't be greater than actual input size"):
        conv(np.zeros((1, 3, 2, 2), np.float32))
    with pytest.raises(ValueError):
        nn.ConvTranspose2d(2, 2, 3, stride=2)(np.zeros((2, 4, 4), np.float32), output_size=[20, 20])


@pytest.mark.parametrize("bad, error", [
    (None, strider.InputTypeError),
    ("image", strider.InputTypeError),
    (np.zeros((1, 3, 4, 4), np.complex64), strider.InputTypeError),
    (np.array([[["a"]]]), strider.InputTypeError),
    (np.empty((1, 3, 4, 4), object), strider.InputTypeError),
    (np.zeros((1, 1, 3, 4, 4), np.float32), ValueError),  # rank 5
    (np.float32(1), ValueError),  # rank 0
    (np.zeros((1, 3, 0, 4), np.float32), ValueError),  # empty
    (np.broadcast_to(np.float32(0), (1, 3, 2**28, 2**28)), (ValueError, MemoryError)),  # huge, zero strides
])
def test_bad_arrays_raise(bad, error):
    assert issubclass(strider.InputTypeError, TypeError) and issubclass(strider.InputTypeError, ValueError)
    for module in (nn.Conv2d(3, 3, 3), nn.MaxPool2d(2), nn.AvgPool2d(2), nn.ReLU(), nn.ConvTranspose2d(3, 3, 2)):
        if isinstance(module, nn.ReLU) and getattr(bad, "size", 1) == 0:
            continue  # an empty tensor is a valid input of an elementwise op, as in torch
        with pytest.raises(error):
            module(bad)


def test_huge_output_is_refused_not_allocated():
    with pytest.raises((ValueError, MemoryError)):
        nn.Conv2d(1, 1, 1, padding=2**40)(np.zeros((1, 1, 1, 1), np.float32))
    with pytest.raises((ValueError, MemoryError)):
        nn.Upsample(size=2**40)(np.zeros((1, 1, 2, 2), np.float32))


def test_bad_state_dict_entries():
    conv = nn.Conv2d(2, 2, 1)
    with pytest.raises(ValueError, match="unsupported tensor for weight: dtype complex64"):
        conv.load_state_dict({"weight": np.zeros((2, 2, 1, 1), np.complex64), "bias": np.zeros(2)})
    with pytest.raises(strider.InputTypeError, match="real numbers"):
        conv.weight = np.zeros((2, 2, 1, 1), np.complex64)
    with pytest.raises(ValueError, match="size mismatch for weight"):
        conv.load_state_dict({"weight": np.zeros((2, 2, 1, 1, 1)), "bias": np.zeros(2)})
    with pytest.raises(ValueError, match="cannot open|no such file|not"):
        conv.load_state_dict("/nonexistent/net.safetensors")


def test_upsample_errors():
    image = np.zeros((8, 8, 3), np.uint8)
    with pytest.raises(ValueError, match="scale must be 2 or 4"):
        strider.upsample(image, scale=3)
    with pytest.raises(ValueError, match="tile must be in"):
        strider.upsample(image, tile=1)
    with pytest.raises(strider.InputTypeError, match="uint8 or uint16"):
        strider.upsample(image.astype(np.float32))
    with pytest.raises(strider.InputTypeError):
        strider.upsample(None)
    with pytest.raises(ValueError, match="1, 3 or 4 channels"):
        strider.upsample(np.zeros((8, 8, 5), np.uint8))
    with pytest.raises(ValueError, match="rank"):
        strider.upsample(np.zeros((8,), np.uint8))
    with pytest.raises(ValueError, match="each side must be between"):
        strider.upsample(np.zeros((0, 8), np.uint8))
    with pytest.raises(ValueError, match="each side must be between"):
        strider.upsample(np.broadcast_to(np.uint8(0), (2**31, 2**20)))


def test_onnx_errors(tmp_path):
    with pytest.raises(ValueError, match="cannot open"):
        strider.load_onnx(tmp_path / "missing.onnx")
    # A folder raised a RuntimeError from the C++ stream; /dev/zero was read until the memory ran out.
    with pytest.raises(ValueError, match="it is a folder"):
        strider.load_onnx(tmp_path)
    with pytest.raises(ValueError, match="not a regular file"):
        strider.load_onnx("/dev/zero")
    (tmp_path / "junk.onnx").write_bytes(b"\x08\x07junk")
    with pytest.raises(ValueError):
        strider.load_onnx(tmp_path / "junk.onnx")
