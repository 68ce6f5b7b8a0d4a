"""Next-tier plans for stored scores.

Planning the cheapest way to the next tier is half the cost of scoring, and only explanations show it, so scores are
stored without a plan (``"planned": false``) and the plan is made when an explanation is shown: for the entries shown,
by scoring them again with planning on (``scorers.batch.score_rows``, on every core for a large catalog).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from registry.catalog import Catalog


def needs_plan(score: dict[str, Any] | None) -> bool:
    return score is not None and score.get("planned") is False


def fill_plans(catalog: Catalog, scores: dict[str, dict[str, Any]], home: Path | None = None) -> None:
    """Give every stored score in ``scores`` (entry id -> score dict) that lacks one its ``next_tier`` plan."""
    from .batch import score_rows
    from .stored import regroup

    pending = [i for i, score in scores.items() if needs_plan(score) and (i in catalog.datasets or i in catalog.models)]
    if not pending:
        return
    for row in score_rows(catalog, ids=pending, home=home, plan=True):
        score = scores[row["entry_id"]]
        score["next_tier"] = regroup(json.loads(row["data"])["next_tier"])
        del score["planned"]
