"""The suite runs against the package built in build/python (ctest sets PYTHONPATH; by hand:
PYTHONPATH=build/python /usr/bin/python3 -m pytest python/tests)."""
import os

import numpy as np
import pytest

import strider

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="session")
def upsample_program():
    path = os.environ.get("STRIDER_UPSAMPLE", os.path.join(ROOT, "build", "samples", "upsampler", "upsample"))
    if not os.access(path, os.X_OK):
        pytest.skip(f"the upsample program is not built ({path})")
    return path


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def test_package_is_the_build():
    # The tests must exercise this tree's build, not some other installed strider.
    assert os.path.exists(os.path.join(os.path.dirname(strider.__file__), "upsampler_x2.safetensors"))
