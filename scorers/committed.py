"""Published scores: what the site shows. They rest on the entries and the committed verification records only
(offline checks and link checks under the catalog root), never on a builder's local cache of fetched data or
benchmark runs, so two people building the site from one commit publish the same tiers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from registry.catalog import Catalog


def committed_scores(catalog: Catalog) -> dict[str, dict[str, Any]]:
    """Every entry's score from the entries and the committed link-check records, with its next-tier plan."""
    from .engine import Scorer, gc_paused
    from .providers import LinkCheckProvider, OfflineProvider

    scorer = Scorer(catalog, providers=[OfflineProvider(), LinkCheckProvider(catalog.root)], plan=True)
    scores = {}
    with gc_paused():
        for items in (catalog.datasets, catalog.models):
            for entry in items.values():
                scores[entry.id] = scorer.score(entry).to_dict()
    return scores
