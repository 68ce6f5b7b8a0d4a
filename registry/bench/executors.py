"""Where benchmark jobs run: in this process, in a local process pool (the default), or on a Ray cluster.

- ``local``: one job runs here (predicting) with ``workers - 1`` processes scoring images when ``workers > 2``;
  several jobs run in a ``ProcessPoolExecutor`` (spawned processes, so no inherited ONNX Runtime or torch
  threads), one job per process.
- ``ray`` (optional extra ``usreg[ray]``): every job is a Ray task. Without ``address`` a local Ray instance is
  started for the run and stopped afterwards; with ``address`` (e.g. ``ray://head:10001`` or ``auto``) the jobs go
  to that cluster, whose workers need usreg installed and the datasets under their ``USREG_HOME``.

Workers never write the index: results come back to the caller, which stores them in one transaction.
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import replace

from ..errors import UsageError
from ..ray_session import ray_session
from .jobs import BenchJob, BenchOutcome, run_job

EXECUTORS = ("local", "ray")


def run_jobs(
    jobs: Sequence[BenchJob],
    executor: str = "local",
    workers: int = 1,
    address: str | None = None,
    on_done: Callable[[BenchOutcome], None] | None = None,
    progress: Callable[[BenchJob], Callable[[int], None] | None] | None = None,
) -> list[BenchOutcome]:
    """Run every job; outcomes come back in the order of ``jobs``. ``progress(job)`` may return a per-image
    callback, used when jobs run in this process."""
    if executor not in EXECUTORS:
        raise UsageError(f"unknown executor {executor!r}", hint="use local or ray")
    workers = max(1, int(workers))
    if executor == "ray":
        return _run_ray(jobs, workers, address, on_done)
    if len(jobs) <= 1 or workers == 1:
        out = []
        for job in jobs:
            # one job: this process predicts, workers - 1 processes score images (none with 2 cores or fewer,
            # where perf/bench_eval.py measured the pool slower than scoring inline)
            result = run_job(
                replace(job, workers=workers - 1 if len(jobs) == 1 and workers > 2 else 1),
                progress(job) if progress else None,
            )
            if on_done:
                on_done(result)
            out.append(result)
        return out
    results: dict[int, BenchOutcome] = {}
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=mp.get_context("spawn")) as pool:
        futures = {pool.submit(run_job, replace(job, workers=1)): i for i, job in enumerate(jobs)}
        for future in as_completed(futures):
            results[futures[future]] = future.result()
            if on_done:
                on_done(results[futures[future]])
    return [results[i] for i in range(len(jobs))]


def _run_ray(jobs, workers: int, address: str | None, on_done) -> list[BenchOutcome]:
    with ray_session(workers, address) as ray:
        remote = ray.remote(num_cpus=1)(run_job)
        refs = [remote.remote(replace(job, workers=1)) for job in jobs]
        out = []
        for ref in refs:
            result = ray.get(ref)
            if on_done:
                on_done(result)
            out.append(result)
        return out
