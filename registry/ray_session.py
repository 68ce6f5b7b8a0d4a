"""Ray for ``--executor ray`` (benchmarks and collection fetches): import it, join or start a cluster, stop what was
started here."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .errors import UsageError


@contextmanager
def ray_session(workers: int, address: str | None) -> Iterator[Any]:
    """The ``ray`` module, initialised: the cluster at ``address``, else a local one with ``workers`` CPUs.

    A cluster this call started is shut down on exit; one already running (``ray.is_initialized()``) is left alone.
    """
    try:
        import ray
    except ImportError as exc:
        raise UsageError("--executor ray needs Ray", hint="pip install 'usreg[ray]'") from exc
    started_here = not ray.is_initialized()
    if started_here:
        if address:
            ray.init(address=address, log_to_driver=False)
        else:
            ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        yield ray
    finally:
        if started_here:
            ray.shutdown()
