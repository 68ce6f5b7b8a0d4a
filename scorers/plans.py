"""Next-tier plans for stored scores.

Planning the cheapest way to the next tier is half the cost of scoring, and only explanations show it, so scores are
stored without a plan (``"planned": false``) and the plan is made when an explanation is shown: for the entries shown,
by scoring them again with planning on.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .engine import Scorer, gc_paused


def needs_plan(score: dict[str, Any] | None) -> bool:
    return bool(score) and score.get("planned") is False


def fill_plans(catalog: Any, scores: dict[str, dict[str, Any]], home: Path | None = None) -> None:
    """Give every stored score in ``scores`` (entry id -> score dict) that lacks one its ``next_tier`` plan."""
    pending = [entry_id for entry_id, score in scores.items() if needs_plan(score)]
    if not pending:
        return
    from .batch import PARALLEL_THRESHOLD, score_rows

    if len(pending) >= PARALLEL_THRESHOLD:  # a whole large catalog (the site): plan on every core
        known = [i for i in pending if i in catalog.datasets or i in catalog.models]
        for row in score_rows(catalog, ids=known, home=home, plan=True):
            score = scores[row["entry_id"]]
            score["next_tier"] = json.loads(row["data"])["next_tier"]
            del score["planned"]
        return
    with gc_paused():
        scorer = Scorer(catalog, home=home, plan=True)
        for entry_id in pending:
            entry = catalog.datasets.get(entry_id) or catalog.models.get(entry_id)
            score = scores[entry_id]
            if entry is None:
                continue
            score["next_tier"] = scorer.score(entry).to_dict()["next_tier"]
            del score["planned"]
