"""strider.batch on a real LocalCluster of two worker processes."""
import logging
import os
import signal
import subprocess
import sys
import threading
import time

import cv2
import numpy as np
import pytest
from distributed import Client, LocalCluster

import strider
from strider import batch


def make_images(folder, count, rng, size=(160, 160)):
    folder.mkdir()
    for i in range(count):
        shape = size + ((3,) if i % 3 else ())  # grey and colour
        assert cv2.imwrite(str(folder / f"img{i:02d}.png"), rng.integers(0, 256, shape, dtype=np.uint8))
    return sorted(str(p) for p in folder.iterdir())


def output_path(source, output_dir, scale):
    return os.path.join(output_dir, os.path.splitext(os.path.basename(source))[0] + f"_x{scale}.png")


def assert_outputs_equal_upsample(sources, output_dir, scale):
    expected = sorted(os.path.basename(output_path(s, output_dir, scale)) for s in sources)
    assert sorted(os.listdir(output_dir)) == expected  # each output once, no temporary files left
    for source in sources:
        written = cv2.imread(output_path(source, output_dir, scale), cv2.IMREAD_UNCHANGED)
        np.testing.assert_array_equal(written, strider.upsample(cv2.imread(source, cv2.IMREAD_UNCHANGED), scale))


def test_command_line_two_workers_failures_and_rerun(tmp_path, rng):
    sources = make_images(tmp_path / "in", 4, rng, size=(48, 40))
    (tmp_path / "in" / "broken.png").write_bytes(b"not a png")
    out = tmp_path / "out"
    command = [sys.executable, "-m", "strider.batch", str(tmp_path / "in"), str(out), "--workers", "2"]
    first = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert first.returncode == 1, first.stderr
    assert "broken.png" in first.stderr and "not an image in a format read here" in first.stderr
    assert "done 4, skipped 0, failed 1" in first.stdout
    assert "batch [" in first.stderr and "5/5 images" in first.stderr  # the progress bar
    assert_outputs_equal_upsample(sources, str(out), 2)
    (tmp_path / "in" / "broken.png").unlink()
    again = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert "done 0, skipped 4, failed 0" in again.stdout


def test_a_worker_killed_mid_run_loses_nothing(tmp_path, rng):
    sources = make_images(tmp_path / "in", 14, rng)
    out = tmp_path / "out"
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None,
                      silence_logs=logging.CRITICAL) as cluster, Client(cluster) as client:
        client.register_worker_plugin(batch.LoadModel(threads=1), name="strider-load-model")
        # The plugin loaded the model in each worker before any task ran.
        assert all(client.run(lambda: "default" in strider._upsamplers).values())
        pids = list(client.run(os.getpid).values())
        killed = {}

        def kill_one_when_work_started():
            while not (out.exists() and any(p.endswith(".png") for p in os.listdir(out))):
                time.sleep(0.005)
            os.kill(pids[0], signal.SIGKILL)  # the nanny restarts it; its task runs again elsewhere
            killed["remaining"] = len(sources) - len(os.listdir(out))

        killer = threading.Thread(target=kill_one_when_work_started)
        killer.start()
        summary = batch.run(str(tmp_path / "in"), str(out), 2, client, progress=False)
        killer.join()
    assert killed["remaining"] > 0  # the kill happened mid-run
    assert (summary.done, summary.skipped, summary.failed) == (len(sources), 0, {})
    assert_outputs_equal_upsample(sources, str(out), 2)
