"""Split assignment: the official split where the converter found one, else a seeded split.

Kinds (recorded in metadata.json, the manifest's schema metadata and checks.json):

- ``official``: every sample's split comes from the source (folders, lists, fold files).
- ``official-partial``: the source splits some samples; the rest get a seeded split (grouped by subject if known).
- ``seeded-subject``: no official split; subjects are shuffled with the seed and whole subjects go to one split,
  so no subject is in two splits.
- ``seeded-random``: no official split and no subject ids; samples are shuffled with the seed, stratified by label
  when labels exist.

The seeded assignment is deterministic: it depends only on the seed, the sample ids, subjects and labels.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

DEFAULT_RATIOS = {"train": 0.7, "val": 0.1, "test": 0.2}
DEFAULT_SEED = 0


@dataclass
class SplitResult:
    kind: str
    seed: int | None
    ratios: dict[str, float] | None
    counts: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "seed": self.seed, "ratios": self.ratios, "counts": self.counts}


def assign_splits(
    rows: list[dict[str, Any]], seed: int = DEFAULT_SEED, ratios: dict[str, float] | None = None
) -> SplitResult:
    """Fill ``row["split"]`` where it is None, in place, and say which kind of split resulted."""
    ratios = _normalise(ratios or DEFAULT_RATIOS)
    missing = [r for r in rows if not r.get("split")]
    if not missing:
        return SplitResult("official", None, None, _counts(rows))
    partial = len(missing) < len(rows)
    with_subject = [r for r in missing if r.get("subject_id")]
    if with_subject and len(with_subject) == len(missing):
        _grouped(missing, seed, ratios)
        kind = "seeded-subject"
    else:
        _stratified(missing, seed, ratios)
        kind = "seeded-random"
    return SplitResult("official-partial" if partial else kind, seed, ratios, _counts(rows))


def _normalise(ratios: dict[str, float]) -> dict[str, float]:
    total = sum(v for v in ratios.values() if v > 0)
    if total <= 0:
        raise ValueError("split ratios must have a positive sum")
    return {k: v / total for k, v in ratios.items() if v > 0}


def _counts(rows: list[dict[str, Any]]) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for r in rows:
        out[r["split"]] += 1
    return dict(sorted(out.items()))


def _allocate(groups: list[tuple[str, int]], ratios: dict[str, float]) -> dict[str, str]:
    """Give each (group, size) to the split furthest below its target share, in the given (shuffled) order."""
    total = sum(size for _, size in groups) or 1
    filled = dict.fromkeys(ratios, 0)
    out = {}
    for name, size in groups:
        split = min(ratios, key=lambda s: (filled[s] / total - ratios[s], -ratios[s]))
        out[name] = split
        filled[split] += size
    return out


def _grouped(rows: list[dict[str, Any]], seed: int, ratios: dict[str, float]) -> None:
    sizes: dict[str, int] = defaultdict(int)
    for r in rows:
        sizes[str(r["subject_id"])] += 1
    subjects = sorted(sizes)
    order = np.random.default_rng(seed).permutation(len(subjects))
    mapping = _allocate([(subjects[i], sizes[subjects[i]]) for i in order], ratios)
    for r in rows:
        r["split"] = mapping[str(r["subject_id"])]


def _stratified(rows: list[dict[str, Any]], seed: int, ratios: dict[str, float]) -> None:
    strata: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        strata[str(r.get("label"))].append(r)
    rng = np.random.default_rng(seed)
    for key in sorted(strata):
        members = sorted(strata[key], key=lambda r: r["sample_id"])
        order = rng.permutation(len(members))
        mapping = _allocate([(members[i]["sample_id"], 1) for i in order], ratios)
        for r in members:
            r["split"] = mapping[r["sample_id"]]
