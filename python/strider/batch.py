"""Batch upsampling on Dask distributed: every image of a folder, one task per file.

    /usr/bin/python3 -m strider.batch INPUT_DIR OUTPUT_DIR [--scale 2|4] [--model default|real]
                                      [--scheduler tcp://HOST:PORT] [--workers N]

Without --scheduler it starts a LocalCluster of N worker processes on this machine (listening on
127.0.0.1 only); with it, the tasks go to a running cluster (`dask scheduler`, `dask worker` on each
machine; every worker needs `strider` importable and INPUT_DIR / OUTPUT_DIR at the same paths).
Each worker process loads the model once (a worker plugin, then strider.upsampler() keeps it).
Outputs are OUTPUT_DIR/NAME_x2.png, planned as the `upsample` program plans a folder, written to a temporary file
and renamed into place, so a rerun skips exactly the finished ones. A file that fails is reported with
its error while the others go on; if a worker dies, Dask runs its tasks again elsewhere. Exit code 1
if any file failed.
"""
import argparse
import glob
import logging
import os
import sys
import time
from dataclasses import dataclass, field

from distributed import Client, LocalCluster, as_completed
from distributed.diagnostics.plugin import WorkerPlugin

import strider


class LoadModel(WorkerPlugin):
    """Loads the upsampler when a worker starts (again when Dask restarts a dead one)."""

    def __init__(self, threads=None, model="default"):
        self.threads = threads
        self.model = model

    def setup(self, worker):
        if self.threads:
            strider.set_num_threads(self.threads)
        strider.upsampler(self.model)


def upsample_file(source, target, scale, model="default"):
    """One task: `source` ×scale written atomically to `target`; returns the input's (width, height)."""
    return strider.upsampler(model).upsample_file(source, target, scale)


@dataclass
class Summary:
    done: int = 0
    skipped: int = 0
    failed: dict = field(default_factory=dict)  # input path -> error message
    seconds: float = 0.0

    def line(self):
        rate = self.done / self.seconds if self.seconds > 0 else 0.0
        return (f"done {self.done}, skipped {self.skipped}, failed {len(self.failed)} in {self.seconds:.1f} s "
                f"({rate:.2f} images/s)")


class ProgressBar:
    """One line on stderr, redrawn in place, as the `upsample` program draws it."""

    def __init__(self, total, stream=sys.stderr):
        self.total, self.stream, self.start = total, stream, time.monotonic()

    def update(self, count):
        width = 30
        filled = width * count // self.total if self.total else width
        percent = 100 * count // self.total if self.total else 100
        self.stream.write(f"\rbatch [{'#' * filled}{'.' * (width - filled)}] {percent:3d}%  {count}/{self.total} "
                          f"images  {time.monotonic() - self.start:.1f} s" + ("\n" if count == self.total else ""))
        self.stream.flush()


def run(input_dir, output_dir, scale, client, progress=True, log=sys.stderr, model="default"):
    """Upsamples every image of input_dir whose output is missing, on `client`'s cluster."""
    start = time.monotonic()
    os.makedirs(output_dir, exist_ok=True)
    summary = Summary()
    jobs = []
    # The upsample program's names (NAME_x2.png; NAME_EXT_x2.png when two images share a name).
    for source, target, refused in strider._strider.plan_folder(input_dir, output_dir, scale):
        if not refused:
            jobs.append((source, target))
        elif os.path.exists(target):
            summary.skipped += 1
        else:
            summary.failed[source] = refused
            log.write(f"failed: {source}: {refused}\n")
    futures = {client.submit(upsample_file, source, target, scale, model, pure=False): source
               for source, target in jobs}
    bar = ProgressBar(len(futures)) if progress and futures else None
    for count, future in enumerate(as_completed(futures), 1):
        if future.status == "error":
            error = future.exception()
            summary.failed[futures[future]] = f"{type(error).__name__}: {error}"
            log.write(f"\nfailed: {futures[future]}: {error}\n")
        else:
            summary.done += 1
        if bar:
            bar.update(count)
    # A worker killed while writing leaves its temporary file (write_image_atomically: TARGET.part<pid>).
    for _, target in jobs:
        for leftover in glob.glob(glob.escape(target) + ".part*"):
            os.remove(leftover)
    summary.seconds = time.monotonic() - start
    return summary


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python3 -m strider.batch", description=__doc__.split("\n\n")[0])
    parser.add_argument("input_dir")
    parser.add_argument("output_dir")
    parser.add_argument("--scale", type=int, choices=(2, 4), default=2)
    parser.add_argument("--model", choices=("default", "real"), default="default",
                        help="real: for JPEG, noisy or soft photos")
    parser.add_argument("--scheduler", help="address of a running Dask scheduler, tcp://HOST:PORT")
    parser.add_argument("--workers", type=int, default=2, help="local worker processes (without --scheduler)")
    args = parser.parse_args(argv)
    if not os.path.isdir(args.input_dir):
        parser.error(f"INPUT_DIR '{args.input_dir}' is not a folder")
    if args.workers < 1:
        parser.error(f"--workers must be at least 1, but got {args.workers}")
    if args.scheduler:
        cluster, client = None, Client(args.scheduler)
        client.register_worker_plugin(LoadModel(model=args.model), name="strider-load-model")
    else:
        # One Dask thread per worker; Strider's threads share the cores among the workers.
        threads = max(1, (os.cpu_count() or 1) // args.workers)
        cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                               dashboard_address=None, silence_logs=logging.ERROR)
        client = Client(cluster)
        client.register_worker_plugin(LoadModel(threads, args.model), name="strider-load-model")
    try:
        summary = run(args.input_dir, args.output_dir, args.scale, client, model=args.model)
    finally:
        client.close()
        if cluster:
            cluster.close()
    for source, error in summary.failed.items():
        print(f"failed: {source}: {error}", file=sys.stderr)
    print(summary.line())
    return 1 if summary.failed else 0


if __name__ == "__main__":
    sys.exit(main())
