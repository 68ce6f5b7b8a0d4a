"""Exact and near-duplicate images within and across splits.

Exact duplicates share the PNG's sha256 (the writer encodes identical pixels to identical bytes). Near duplicates
are pairs with different pixels whose pHashes differ in at most ``max_distance`` of 64 bits. Pairs are counted
combinatorially over groups of equal hashes, so thousands of identical frames cost no more than one group.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

import numpy as np

from ..formats.hashing import near_pairs
from .status import CheckStatus

DEFAULT_MAX_DISTANCE = 4
MAX_LISTED_PAIRS = 25


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def duplicate_check(rows: list[dict[str, Any]], max_distance: int = DEFAULT_MAX_DISTANCE) -> dict[str, Any]:
    splits = [r["split"] for r in rows]
    ids = [r["sample_id"] for r in rows]

    by_sha: dict[str, list[int]] = defaultdict(list)
    by_phash: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        by_sha[r["image_sha256"]].append(i)
        by_phash[r["phash"]].append(i)

    listed: list[dict[str, Any]] = []

    def note(i: int, j: int, distance: int, kind: str) -> None:
        if len(listed) < MAX_LISTED_PAIRS:
            listed.append(
                {"a": ids[i], "b": ids[j], "splits": [splits[i], splits[j]], "distance": distance, "kind": kind}
            )

    exact_cross = exact_within = 0
    exact_cross_by_phash: dict[str, int] = defaultdict(int)
    exact_within_by_phash: dict[str, int] = defaultdict(int)
    for members in by_sha.values():
        if len(members) < 2:
            continue
        counts = Counter(splits[i] for i in members)
        within = sum(_pairs(m) for m in counts.values())
        cross = _pairs(len(members)) - within
        exact_within += within
        exact_cross += cross
        ph = rows[members[0]]["phash"]
        exact_cross_by_phash[ph] += cross
        exact_within_by_phash[ph] += within
        first = members[0]
        other = next((b for b in members[1:] if splits[b] != splits[first]), members[1])
        note(first, other, 0, "exact")

    near_cross = near_within = 0
    keys = sorted(by_phash)
    split_counts = [Counter(splits[i] for i in by_phash[k]) for k in keys]
    # Different pixels, equal pHash: all pairs in the group minus the exact ones.
    for k, counts in zip(keys, split_counts, strict=True):
        size = len(by_phash[k])
        if size < 2:
            continue
        within = sum(_pairs(m) for m in counts.values()) - exact_within_by_phash.get(k, 0)
        cross = _pairs(size) - sum(_pairs(m) for m in counts.values()) - exact_cross_by_phash.get(k, 0)
        near_within += within
        near_cross += cross
        if within + cross > 0:
            members = by_phash[k]
            first = members[0]
            differing = next((b for b in members[1:] if rows[b]["image_sha256"] != rows[first]["image_sha256"]), None)
            if differing is not None:
                note(first, differing, 0, "near")
    # Different pHash values within the distance: every cross product pair is a near duplicate.
    values = np.array([int(k, 16) for k in keys], dtype=np.uint64)
    for pair in near_pairs(values, max_distance):
        ca, cb = split_counts[pair.i], split_counts[pair.j]
        total = sum(ca.values()) * sum(cb.values())
        within = sum(ca[s] * cb.get(s, 0) for s in ca)
        near_within += within
        near_cross += total - within
        note(by_phash[keys[pair.i]][0], by_phash[keys[pair.j]][0], pair.distance, "near")

    if exact_cross:
        status = CheckStatus.FAIL
        summary = f"{exact_cross} identical image pair(s) appear in two splits"
    elif near_cross or exact_within:
        status = CheckStatus.WARN
        summary = f"{near_cross} near-duplicate pair(s) across splits, {exact_within} identical pair(s) within a split"
    else:
        status = CheckStatus.PASS
        summary = "no identical images across or within splits and no near duplicates across splits"
    listed.sort(key=lambda p: (p["kind"] != "exact", p["splits"][0] == p["splits"][1], p["distance"]))
    return {
        "name": "near_duplicates",
        "status": status,
        "summary": summary,
        "details": {
            "exact_cross_split": exact_cross,
            "near_cross_split": near_cross,
            "within_split": exact_within + near_within,
            "exact_within_split": exact_within,
            "near_within_split": near_within,
            "max_distance": max_distance,
            "hash": "phash-64",
            "images": len(rows),
            "pairs": listed,
        },
    }
