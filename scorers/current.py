"""One stored score per entry, kept current: every reader (score, show, list, stats, the site's index) goes through
:func:`refresh_stored_scores`, so the same inputs always show the same result.

The index stores each entry's score together with a fingerprint of everything scores depend on
(:mod:`scorers.fingerprint`: the entries, the rubrics and scorer code, the evidence files, the benchmark results in
the index). A reader that finds the fingerprint changed (new benchmark results after ``usreg bench``, a new fetch,
a new link-check report) re-scores and stores before it reads, instead of showing the old stored score while
``usreg score`` shows a new one.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from registry.catalog import Catalog
    from registry.index import RegistryIndex

SCORES_KEY = "scores_inputs"  # index meta key: the fingerprint of the inputs behind the stored scores


def _meta(index: RegistryIndex, key: str) -> str | None:
    return index.get_meta(key)


def _set_meta(index: RegistryIndex, key: str, value: str) -> None:
    index.set_meta(key, value)


def scoring_fingerprint(index: RegistryIndex, home: Path | None = None) -> str:
    """Fingerprint of the entries, rubrics, scorer code and evidence behind the index's scores."""
    from registry.paths import usreg_home

    from .fingerprint import scoring_inputs

    bench = index.bench_summary()
    home = Path(home) if home is not None else usreg_home()
    return scoring_inputs(index.root, home, [index.stored_hash() or "", f"bench:{bench[0]}:{bench[1]}"])


def catalog_from_index(index: RegistryIndex, ids: Collection[str] | None = None) -> Catalog | None:
    """The validated entries stored in a fresh index (None if any no longer validates): skips re-parsing YAML. With
    ``ids``, only what scoring those entries reads (``RegistryIndex.stored_catalog``)."""
    return index.stored_catalog(ids)


def stored_fingerprint(index: RegistryIndex) -> str | None:
    """The fingerprint recorded with the stored scores (None before the first scoring)."""
    return _meta(index, SCORES_KEY)


def mark_current(index: RegistryIndex) -> None:
    """Record that the stored scores match the current inputs (after a rebuild scored every entry)."""
    _set_meta(index, SCORES_KEY, scoring_fingerprint(index))


def refresh_stored_scores(index: RegistryIndex, catalog: Catalog | None = None, ids: list[str] | None = None) -> bool:
    """Re-score and store when anything the stored scores depend on changed; returns whether it re-scored.

    ``catalog`` must be the indexed (valid) entries when given; without it they are read back from the index.
    With ``ids``, only those entries are re-scored and the fingerprint is left as it was (the rest stays stale)."""
    from .batch import score_rows

    inputs = scoring_fingerprint(index)
    if _meta(index, SCORES_KEY) == inputs:
        return False
    if catalog is None:
        catalog = catalog_from_index(index)
        if catalog is None:
            return False  # the index no longer validates: the next rebuild scores everything
    index.store_scores(score_rows(catalog, ids=ids))
    if ids is None:
        _set_meta(index, SCORES_KEY, inputs)
    return True
