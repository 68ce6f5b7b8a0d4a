"""Derived claims: what an entry states that is not a single field (named in rubric files by ``claim:``).

Each returns ``(stated, backed)``: whether the claim is made, and whether an evidence URL backs it.
"""

from __future__ import annotations

from collections.abc import Callable

from registry.schema import Entry, Model

from .catalog_view import CatalogView
from .fields import Coverage, parse_path

ClaimFn = Callable[[Entry, CatalogView, Coverage], tuple[bool, bool]]

_PUBLICATIONS = parse_path("publications")
_SUBJECT_LEVEL = parse_path("splits.subject_level")
_METRICS = parse_path("metrics")


def descriptor_paper(entry: Entry, view: CatalogView, coverage: Coverage) -> tuple[bool, bool]:
    """A publication that describes the data itself (role: descriptor)."""
    stated = any(p.role == "descriptor" for p in entry.publications)
    return stated, stated and coverage.covers(_PUBLICATIONS)


def reported_baseline(entry: Entry, view: CatalogView, coverage: Coverage) -> tuple[bool, bool]:
    """A registry model reports a metric on this dataset; backed when that metric names its source URL."""
    stated = backed = False
    for model, metric in view.metrics_by_dataset.get(entry.id, ()):
        stated = True
        backed = backed or bool(metric.source) or Coverage.of(model).covers(_METRICS)
    return stated, backed


def datasets_subject_level(entry: Entry, view: CatalogView, coverage: Coverage) -> tuple[bool, bool]:
    """Every dataset the model was trained on is in the registry and states a subject-level split.

    Only training datasets count: leakage happens between the train and test parts of the data a model learns from,
    while an external evaluation set is disjoint by construction. (Counting evaluation sets too made stating a true
    external evaluation lower the points, which the property tests forbid.)"""
    if not isinstance(entry, Model):
        return False, False
    ids = list(dict.fromkeys(entry.trained_on))
    if not ids:
        return False, False
    known = view.datasets()
    datasets = [known[i] for i in ids if i in known]
    if len(datasets) < len(ids) or any(d.splits.subject_level is not True for d in datasets):
        return False, False
    return True, all(Coverage.of(d).covers(_SUBJECT_LEVEL) for d in datasets)


CURATOR_CLAIMS = frozenset({"descriptor-paper"})
"""Claims a curator states in the entry itself (adding the publication); the others follow from other entries."""

CLAIMS: dict[str, dict[str, ClaimFn]] = {
    "dataset": {"descriptor-paper": descriptor_paper, "reported-baseline": reported_baseline},
    "model": {"datasets-subject-level": datasets_subject_level},
}
