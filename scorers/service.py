"""The scorers as the index's ``Scoring`` service (``registry.index.Scoring``): handed to the index by the command
line, so that the registry package never imports the scorers while the index still stores current scores."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from registry.catalog import Catalog
    from registry.index import RegistryIndex


class ScorersService:
    """Score, expand stored scores, make deferred plans, and keep the stored scores current."""

    def score_rows(self, catalog: Catalog) -> list[dict[str, Any]]:
        from .batch import score_rows

        return score_rows(catalog)

    def expand(self, stored: dict[str, Any]) -> dict[str, Any]:
        from .stored import expand

        return expand(stored)

    def fill_plans(self, catalog: Catalog, scores: dict[str, dict[str, Any]]) -> None:
        from .plans import fill_plans

        fill_plans(catalog, scores)

    def refresh(self, index: RegistryIndex, catalog: Catalog | None) -> bool:
        from .current import refresh_stored_scores

        return refresh_stored_scores(index, catalog)

    def mark_current(self, index: RegistryIndex) -> None:
        from .current import mark_current

        mark_current(index)

    def cold_build(self, index: RegistryIndex) -> bool:
        """Index and score a large catalog in one set of workers (``scorers.cold``); False (nothing stored) when it
        is small, has findings, or a worker failed: then the index loads it the usual way."""
        from .cold import cold_score
        from .engine import gc_paused

        with gc_paused():
            return cold_score(index) is not None
