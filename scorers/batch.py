"""Score a whole catalog into index rows, on every core when the catalog is large enough to pay for the workers."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .engine import Scorer, compact_json, gc_paused

if TYPE_CHECKING:
    from registry.catalog import Catalog

PARALLEL_THRESHOLD = 1500  # below this, forking workers costs more than it saves

_shared: dict[str, Any] = {}  # what forked workers inherit: the catalog and the cache home


def stored_row(score: Any, planned: bool = True) -> dict[str, Any]:
    """The index row of a score: summary columns plus the compact explanation as JSON (see ``scorers.stored``).

    ``planned=False`` marks a score made without its next-tier plan (``scorers.plans`` makes it when shown)."""
    data = score.to_compact()
    if not planned:
        data["planned"] = False
    return {
        "entry_id": data["entry_id"],
        "rubric_version": data["rubric_version"],
        "tier": data["tier"],
        "tier_rank": data["tier_rank"],
        "points": data["points"],
        "verification": data["verification_level"],
        "limited_by": data.get("limited_by"),
        "data": compact_json(data),
    }


def _rows_for(ids: list[str]) -> list[dict[str, Any]]:
    catalog, home, plan = _shared["catalog"], _shared["home"], _shared["plan"]
    with gc_paused():
        scorer = Scorer(catalog, home=home, plan=plan)
        rows = []
        for entry_id in ids:
            entry = catalog.datasets.get(entry_id) or catalog.models[entry_id]
            rows.append(stored_row(scorer.score(entry), planned=plan))
        return rows


def _ordered_ids(catalog: Catalog, ids: Sequence[str] | None) -> list[str]:
    wanted = set(ids) if ids is not None else None
    return [i for items in (catalog.datasets, catalog.models) for i in items if wanted is None or i in wanted]


def score_rows(
    catalog: Catalog,
    ids: Sequence[str] | None = None,
    home: Path | None = None,
    workers: int | None = None,
    plan: bool = False,
) -> list[dict[str, Any]]:
    """Index rows for every entry of ``catalog`` (or only ``ids``), datasets first, in catalog order.

    Without ``plan`` the next-tier plans are left to be made when shown (``scorers.plans``)."""
    order = _ordered_ids(catalog, ids)
    workers = workers or min(os.cpu_count() or 1, 8)
    _shared.update(catalog=catalog, home=home, plan=plan)
    try:
        if len(order) < PARALLEL_THRESHOLD or workers < 2 or os.name != "posix":
            return _rows_for(order)
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        size = -(-len(order) // (workers * 2))
        chunks = [order[i : i + size] for i in range(0, len(order), size)]
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:
            return [row for part in pool.map(_rows_for, chunks) for row in part]
    finally:
        _shared.clear()
