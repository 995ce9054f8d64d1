"""The Python surface: modules and their repr, weights, state_dict, no copies in or out, the GIL."""
import os
import sys
import threading
import tracemalloc

import numpy as np
import pytest
import torch

import strider
from strider import nn


def torch_and_ours(factory):
    return factory(torch.nn), factory(nn)


@pytest.mark.parametrize("factory", [
    lambda m: m.Conv2d(3, 8, 3),
    lambda m: m.Conv2d(4, 8, (3, 5), padding="same", dilation=(2, 1), groups=2),
    lambda m: m.Conv2d(3, 8, 3, padding="valid", bias=False, padding_mode="reflect"),
    lambda m: m.Conv2d(3, 6, 3, stride=2, padding=(1, 2), dilation=(2, 1), groups=3, padding_mode="circular"),
    lambda m: m.ConvTranspose2d(64, 32, 4, stride=2, padding=1, output_padding=1, groups=2, bias=False, dilation=2),
    lambda m: m.MaxPool2d(3, stride=2, padding=1, ceil_mode=True),
    lambda m: m.MaxPool2d((2, 3), dilation=(1, 2)),
    lambda m: m.AvgPool2d(3, stride=[2, 1], padding=1, ceil_mode=True, count_include_pad=False, divisor_override=2),
    lambda m: m.BatchNorm2d(16, eps=1e-3, momentum=None),
    lambda m: m.Upsample(scale_factor=2, mode="bilinear", align_corners=False),
    lambda m: m.Upsample(size=(9, 11)),
    lambda m: m.PixelShuffle(2),
    lambda m: m.PixelUnshuffle(3),
    lambda m: m.LeakyReLU(0.1),
    lambda m: m.PReLU(4),
    lambda m: m.GELU(approximate="tanh"),
    lambda m: m.Hardtanh(-2.0, 3.0),
    lambda m: m.Dropout(0.2),
    lambda m: m.Sequential(m.Conv2d(3, 8, 3, padding=1), m.BatchNorm2d(8), m.ReLU(), m.Sequential(m.Identity(), m.ReLU6()),
                           m.Sigmoid(), m.Tanh(), m.SiLU()),
])
def test_repr_is_torchs(factory):
    theirs, ours = torch_and_ours(factory)
    assert repr(ours) == repr(theirs)


class TorchNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.BatchNorm2d(8),
                                           torch.nn.LeakyReLU(0.1), torch.nn.MaxPool2d(2))
        self.decoder = torch.nn.ConvTranspose2d(8, 4, 4, stride=2, padding=1)
        self.act = torch.nn.PReLU(4)

    def forward(self, x):
        return self.act(self.decoder(self.encoder(x)))


class OurNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.LeakyReLU(0.1),
                                     nn.MaxPool2d(2))
        self.decoder = nn.ConvTranspose2d(8, 4, 4, stride=2, padding=1)
        self.act = nn.PReLU(4)

    def forward(self, x):
        return self.act(self.decoder(self.encoder(x)))


def trained_torch_net():
    torch.manual_seed(0)
    net = TorchNet().eval()
    with torch.no_grad():  # non-trivial batch statistics
        net.encoder[1].running_mean.uniform_(-0.5, 0.5)
        net.encoder[1].running_var.uniform_(0.5, 2)
        net.encoder[1].weight.uniform_(0.5, 2)
    return net


def test_user_module_loads_a_torch_state_dict_and_matches(rng):
    theirs, ours = trained_torch_net(), OurNet()
    state = {k: v.numpy() for k, v in theirs.state_dict().items()}  # num_batches_tracked (int64) included
    assert ours.load_state_dict(state) == ([], [])
    assert repr(ours) == repr(theirs).replace("TorchNet", "OurNet")
    assert list(ours.state_dict()) == [k for k in state if not k.endswith("num_batches_tracked")]
    x = rng.uniform(-1, 1, (2, 3, 12, 10)).astype(np.float32)
    with torch.no_grad():
        expected = theirs(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(ours(x), expected, rtol=1e-5, atol=1e-6)


def test_load_state_dict_from_safetensors(tmp_path):
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tests", "pytorch"))
    from export_safetensors import export_state_dict
    theirs, ours = trained_torch_net(), OurNet()
    path = tmp_path / "net.safetensors"
    export_state_dict(theirs, str(path))  # num_batches_tracked stays int64: accepted and ignored
    ours.load_state_dict(path)
    for key, value in ours.state_dict().items():
        np.testing.assert_array_equal(value, theirs.state_dict()[key].numpy())


def test_load_state_dict_reports_every_problem_and_loads_nothing():
    net = OurNet()
    before = net.state_dict()
    state = {k: v for k, v in before.items() if k != "decoder.bias"}
    state["encoder.0.weight"] = np.zeros((8, 3, 5, 5), np.float32)
    state["extra"] = np.zeros(3, np.float32)
    with pytest.raises(ValueError) as error:
        net.load_state_dict(state)
    assert str(error.value) == (
        'Error(s) in loading state_dict for OurNet:\n'
        '\tMissing key(s) in state_dict: "decoder.bias".\n'
        '\tUnexpected key(s) in state_dict: "extra".\n'
        '\tsize mismatch for encoder.0.weight: copying a param with shape [8, 3, 5, 5] from checkpoint, '
        'the shape in current model is [8, 3, 3, 3].')
    for key, value in net.state_dict().items():
        np.testing.assert_array_equal(value, before[key])
    state["encoder.0.weight"] = before["encoder.0.weight"] + 1
    assert net.load_state_dict(state, strict=False) == (["decoder.bias"], ["extra"])
    np.testing.assert_array_equal(net.state_dict()["encoder.0.weight"], before["encoder.0.weight"] + 1)


def test_weight_and_bias_are_float32_arrays_that_can_be_assigned(rng):
    conv = nn.Conv2d(2, 3, 3, bias=True)
    assert conv.weight.dtype == np.float32 and conv.weight.shape == (3, 2, 3, 3)
    with pytest.raises(ValueError):  # a read-only copy: writing into it would silently change nothing
        conv.weight[0] = 1
    conv.weight = np.ones((3, 2, 3, 3))  # float64 converted
    conv.bias = [1, 2, 3]
    np.testing.assert_array_equal(conv(np.ones((2, 3, 3), np.float32))[:, 0, 0], [19, 20, 21])
    with pytest.raises(ValueError, match="size mismatch for weight"):
        conv.weight = np.ones((3, 2, 3, 2), np.float32)
    assert nn.Conv2d(2, 3, 3, bias=False).bias is None
    with pytest.raises(ValueError, match="no bias"):
        nn.Conv2d(2, 3, 3, bias=False).bias = np.ones(3, np.float32)


def test_unbatched_input_and_conv_transpose_output_size(rng):
    up = nn.ConvTranspose2d(2, 2, 3, stride=2, padding=1)
    x = rng.uniform(-1, 1, (2, 5, 5)).astype(np.float32)
    assert up(x).shape == (2, 9, 9)
    assert up(x, output_size=[10, 10]).shape == (2, 10, 10)
    assert up(x[None], output_size=(1, 2, 10, 9)).shape == (1, 2, 10, 9)
    np.testing.assert_array_equal(up(x[None])[0], up(x))


def test_no_copy_in_for_c_contiguous_float32(rng):
    # numpy reports its allocations to tracemalloc, Strider's aligned buffers are not numpy's: converting
    # the input would show up as one input-sized allocation, Strider's output does not show at all.
    pool = nn.MaxPool2d(1)
    x = rng.uniform(-1, 1, (1, 8, 256, 256)).astype(np.float32)
    tracemalloc.start()
    try:
        pool(x)
        _, peak_plain = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        pool(x.astype(np.float64))  # the astype is numpy's own allocation, the conversion another
        _, peak_converted = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak_plain < x.nbytes // 10
    assert peak_converted >= 2 * x.nbytes


def test_result_owns_striders_buffer(rng):
    x = rng.uniform(-1, 1, (1, 4, 33, 17)).astype(np.float32)
    y = nn.Conv2d(4, 4, 1)(x)
    assert not np.shares_memory(x, y)
    assert not isinstance(y.base, np.ndarray) and type(y.base).__name__ == "PyCapsule"
    assert y.flags.c_contiguous and y.flags.writeable and y.dtype == np.float32
    assert y.ctypes.data % 64 == 0  # Strider's Tensor alignment: its own buffer, not a numpy copy
    y += 1  # the array is the owner: writable, and freed with it


def test_non_contiguous_and_negative_strides_are_converted(rng):
    conv = nn.Conv2d(3, 2, 3, padding=1)
    x = rng.uniform(-1, 1, (1, 3, 9, 7)).astype(np.float32)
    for view in (x[..., ::-1], x[:, :, ::2, :], np.asfortranarray(x), x.astype(">f4"), x.astype(np.float64)):
        np.testing.assert_array_equal(conv(view), conv(np.ascontiguousarray(view, dtype=np.float32)))
    np.testing.assert_array_equal(conv(x.tolist()), conv(x))
    unaligned = np.frombuffer(b"\0" + x.tobytes(), np.float32, x.size, 1).reshape(x.shape)  # offset 1 byte
    assert not unaligned.flags.aligned
    np.testing.assert_array_equal(conv(unaligned), conv(x))


def test_threads_and_simd_level():
    n = strider.get_num_threads()
    strider.set_num_threads(1)
    assert strider.get_num_threads() == 1
    strider.set_num_threads(n)
    assert strider.simd_level() in ("avx512", "avx2", "sse4.2", "scalar")
    with pytest.raises(ValueError, match="at least 1"):
        strider.set_num_threads(0)


def test_large_blocks_are_cached_within_bounds_and_released():
    strider.release_cached_memory()
    y = nn.Conv2d(1, 8, 1)(np.ones((1, 1, 1024, 1024), np.float32))  # a 32 MiB output
    del y
    assert 32 << 20 <= strider.cached_memory_bytes() <= 256 << 20
    strider.release_cached_memory()
    assert strider.cached_memory_bytes() == 0


def test_arithmetic_under_cpp_names():
    a = strider.arithmetic
    assert a.conv_output_size(6, 3, 2, 1) == 3  # the guide's Fig 2.7
    assert a.conv_output_size(5, 4, 1, (1, 2)) == 5
    assert a.pool_output_size(5, 2, 2, 0, 1, True) == 3
    assert a.conv_transpose_output_size(3, 3, 2, 1, 1, 1) == 6
    e = a.transposed_conv_equivalent(3, 3, 2, 1, 1, 1)  # Fig 4.7
    assert (e.zeros_inserted, e.stretched_size, e.padding, e.output_padding, e.output_size) == (1, 5, 1, 1, 6)
    assert a.same_padding(4, 1) == (1, 2)
    assert a.conv_input_size_range(3, 3, 2, 1) == (5, 6)
    assert a.padded_source_index(-1, 4, "reflect") == 1 and a.padded_source_index(-1, 4, "zeros") == -1
    assert a.dilated_kernel_size(3, 2) == 5 and a.floor_div(-3, 2) == -2 and a.ceil_div(-3, 2) == -1
    with pytest.raises(ValueError, match="mode must be one of"):
        a.padded_source_index(0, 4, "mirror")


def test_the_gil_is_released_while_computing(rng):
    # Thread `long` runs one big convolution; thread `short` runs a small model in a loop and counts its
    # calls. Each short call needs the GIL to return: calls completed while the long one was inside
    # Strider prove that the long call did not hold the GIL, and that both models progressed together.
    strider_threads = strider.get_num_threads()
    strider.set_num_threads(1)
    big, small = nn.Conv2d(32, 32, 3, padding=1), nn.Conv2d(3, 3, 3, padding=1)
    x_big = rng.uniform(-1, 1, (1, 32, 320, 320)).astype(np.float32)
    x_small = rng.uniform(-1, 1, (1, 3, 8, 8)).astype(np.float32)
    done, counts, inside = threading.Event(), [0], {}

    def short():
        while not done.is_set():
            small(x_small)
            counts[0] += 1

    def long():
        for _ in range(3):  # the largest of three counts: robust to a short thread starved by the OS
            before = counts[0]
            big(x_big)
            inside["during"] = max(inside.get("during", 0), counts[0] - before)
        done.set()

    try:
        threads = [threading.Thread(target=short), threading.Thread(target=long)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        strider.set_num_threads(strider_threads)
    assert inside["during"] > 10
