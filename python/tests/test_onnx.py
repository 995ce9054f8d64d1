"""ONNX models exported by torch in the test, run by strider.load_onnx."""
import threading

import numpy as np
import pytest
import torch

import strider


class Encoder(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.body = torch.nn.Sequential(
            torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.BatchNorm2d(8), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Conv2d(8, 8, 3, padding=2, dilation=2, groups=2), torch.nn.LeakyReLU(0.1),
            torch.nn.ConvTranspose2d(8, 4, 4, stride=2, padding=1), torch.nn.AvgPool2d(3, stride=1, padding=1),
            torch.nn.Upsample(scale_factor=2, mode="bilinear"), torch.nn.Sigmoid())

    def forward(self, x):
        return self.body(x)


class TwoWays(torch.nn.Module):
    """Two inputs, two outputs."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 3, 3, padding=1)

    def forward(self, image, residual):
        y = self.conv(image)
        return y + residual, torch.relu(y)


def export(model, inputs, path, input_names, output_names):
    torch.manual_seed(0)
    model.eval()
    torch.onnx.export(model, inputs, str(path), input_names=input_names, output_names=output_names, opset_version=13)


def test_one_input_model_matches_torch(tmp_path, rng):
    torch.manual_seed(0)
    model = Encoder().eval()
    x = rng.uniform(-1, 1, (1, 3, 16, 12)).astype(np.float32)
    export(model, torch.from_numpy(x), tmp_path / "encoder.onnx", ["image"], ["mask"])
    loaded = strider.load_onnx(tmp_path / "encoder.onnx")
    assert [(v.name, v.shape) for v in loaded.inputs] == [("image", [1, 3, 16, 12])]
    assert [v.name for v in loaded.outputs] == ["mask"]
    with torch.no_grad():
        expected = model(torch.from_numpy(x)).numpy()
    y = loaded(x)
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(loaded.run({"image": x})["mask"], y)


def test_one_model_shared_by_two_threads(tmp_path, rng):
    torch.manual_seed(0)
    export(Encoder().eval(), torch.zeros(1, 3, 16, 12), tmp_path / "encoder.onnx", ["image"], ["mask"])
    model = strider.load_onnx(tmp_path / "encoder.onnx")
    inputs = [rng.uniform(-1, 1, (1, 3, 16, 12)).astype(np.float32) for _ in range(2)]
    expected = [model(x) for x in inputs]
    results = [[], []]

    def work(i):
        for _ in range(20):
            results[i].append(model(inputs[i]))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i in range(2):
        assert len(results[i]) == 20
        for y in results[i]:
            np.testing.assert_array_equal(y, expected[i])


def test_run_by_name_with_two_inputs_and_outputs(tmp_path, rng):
    torch.manual_seed(0)
    model = TwoWays().eval()
    image = rng.uniform(-1, 1, (1, 3, 8, 8)).astype(np.float32)
    residual = rng.uniform(-1, 1, (1, 3, 8, 8)).astype(np.float32)
    export(model, (torch.from_numpy(image), torch.from_numpy(residual)), tmp_path / "two.onnx",
           ["image", "residual"], ["sum", "act"])
    loaded = strider.load_onnx(str(tmp_path / "two.onnx"))
    assert [v.name for v in loaded.inputs] == ["image", "residual"]
    assert [v.name for v in loaded.outputs] == ["sum", "act"]
    out = loaded.run({"residual": residual, "image": image})
    with torch.no_grad():
        expected = [t.numpy() for t in model(torch.from_numpy(image), torch.from_numpy(residual))]
    assert list(out) == ["sum", "act"]
    np.testing.assert_allclose(out["sum"], expected[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out["act"], expected[1], rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="input 'residual' is missing"):
        loaded.run({"image": image})
    with pytest.raises(ValueError, match="'other'"):
        loaded.run({"image": image, "residual": residual, "other": image})
    with pytest.raises(ValueError, match="needs one input and one output"):
        loaded(image)
