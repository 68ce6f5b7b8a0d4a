"""The built-in evidence providers and the default set used by ``score_catalog``."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .bench import BenchProvider, BenchRecord, records_from_results
from .datachecks_file import DataChecksProvider, read_checks_file
from .fetchlock import FetchLockProvider
from .links import LinkCheckProvider, read_link_report
from .offline import OfflineProvider

if TYPE_CHECKING:
    from registry.catalog import Catalog

log = logging.getLogger(__name__)

BUILTIN_PROVIDER_CLASSES = (OfflineProvider, DataChecksProvider, FetchLockProvider, LinkCheckProvider, BenchProvider)


def index_bench_results(catalog: Catalog | None, home: Path) -> list[dict[str, Any]]:
    """Benchmark results stored in the catalog's index, when that index exists under ``home`` (read only)."""
    if catalog is None:
        return []
    from registry.paths import index_path

    path = index_path(catalog.root)
    try:
        path.relative_to(home)
    except ValueError:
        return []
    from registry.index import read_bench_results

    return read_bench_results(catalog.root, ("dataset_id", "model_id", "split", "metric", "value", "run_id"))


def default_providers(catalog: Catalog | None, home: Path | None = None, include_unverified: bool = False) -> list:
    """Offline checks, data checks under ``home``, link checks under the catalog root, benchmark evidence.

    ``include_unverified`` lets data checks on unverified local bytes count (``usreg score --local``)."""
    from registry.paths import usreg_home

    home = Path(home) if home is not None else usreg_home()
    root = getattr(catalog, "root", None)
    return [
        OfflineProvider(),
        DataChecksProvider(home, include_unverified=include_unverified),
        FetchLockProvider(home),
        LinkCheckProvider(root),
        BenchProvider.from_sources(catalog, home, index_bench_results(catalog, home)),
    ]


__all__ = [
    "BUILTIN_PROVIDER_CLASSES",
    "BenchProvider",
    "BenchRecord",
    "DataChecksProvider",
    "FetchLockProvider",
    "LinkCheckProvider",
    "OfflineProvider",
    "default_providers",
    "read_checks_file",
    "read_link_report",
    "records_from_results",
]
