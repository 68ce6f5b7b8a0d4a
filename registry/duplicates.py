"""Possible duplicate entries: a shared data DOI, a shared data URL or host record, or a near-identical name."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import Finding, relative

if TYPE_CHECKING:
    from .catalog import Catalog

NAME_SIMILARITY = 92
#: the most possible duplicates named for one entry; past it one warning says there are more, so that a catalog of
#: thousands of look-alike entries gives a bounded report (all pairs were 50 million warnings and 24 GB for 10,000)
MAX_NAMED = 10
_STOPWORDS = re.compile(r"\b(the|a|an|of|for|and|dataset|data|database|set|ultrasound|images?|us)\b")


def normalise_name(name: str) -> str:
    text = re.sub(r"[^a-z0-9 ]+", " ", name.lower())
    return " ".join(_STOPWORDS.sub(" ", text).split())


def _alike(first: str, second: str) -> str:
    return f"their names are nearly the same ({first!r} / {second!r})"


def _keys(dataset) -> set[str]:
    keys: set[str] = set()
    if dataset.dataset_doi:
        keys.add(f"doi:{dataset.dataset_doi.lower()}")
    for source in dataset.sources:
        if source.id and source.kind not in {"manual", "http", "grand-challenge"}:
            keys.add(f"{source.kind}:{source.id.lower()}:{source.version or ''}")
        for url in [source.url] + [f.url for f in source.files]:
            if url and source.kind == "http":
                keys.add(f"url:{url.rstrip('/').lower()}")
    return keys


def find_duplicates(catalog: Catalog, targets: set[Path] | None = None) -> list[Finding]:
    """Pairs of datasets that look like the same data. Declared relatives (family, derived_from, members) are exempt."""
    datasets = list(catalog.datasets.values())

    def related(a, b) -> bool:
        ra, rb = a.relations, b.relations
        return (
            b.id in ra.family + ra.derived_from + ra.members
            or a.id in rb.family + rb.derived_from + rb.members
            or bool(set(ra.family) & set(rb.family))
        )

    def wanted(entry_id: str) -> bool:
        return targets is None or catalog.files[entry_id].resolve() in targets

    pairs: dict[tuple[str, str], str] = {}
    named: Counter[str] = Counter()
    crowded: set[str] = set()  # entries with more possible duplicates than MAX_NAMED

    def pair(x: str, y: str, why: str | Callable[[], str]) -> None:
        key = (min(x, y), max(x, y))
        if key in pairs:
            return
        if named[x] >= MAX_NAMED or named[y] >= MAX_NAMED:
            crowded.update(e for e in (x, y) if named[e] >= MAX_NAMED)
            return
        pairs[key] = why if isinstance(why, str) else why()  # the names are quoted only for pairs kept
        named[x] += 1
        named[y] += 1

    by_key: dict[str, list[str]] = defaultdict(list)
    for d in datasets:
        for key in _keys(d):
            by_key[key].append(d.id)
    for key, ids in by_key.items():
        if len(ids) > MAX_NAMED + 1:
            crowded.update(ids)
        shared = f"they share {key.split(':', 1)[0]} {key.split(':', 1)[1]}"
        for i, a in enumerate(ids):
            for b in ids[i + 1 : i + 1 + MAX_NAMED]:
                pair(a, b, shared)

    names = [normalise_name(d.name) for d in datasets]
    if len(datasets) > 1:
        from rapidfuzz import fuzz, process

        queries = [i for i, d in enumerate(datasets) if wanted(d.id)]
        scores = process.cdist(
            [names[i] for i in queries],
            names,
            scorer=fuzz.ratio,
            score_cutoff=NAME_SIMILARITY,
            workers=-1,
            dtype="uint8",
        )
        for row, qi in enumerate(queries):
            similar = [int(j) for j in scores[row].nonzero()[0][: MAX_NAMED + 2] if j != qi]
            if not names[qi]:
                continue
            if len(similar) > MAX_NAMED:
                crowded.add(datasets[qi].id)
            for j in similar[:MAX_NAMED]:
                pair(datasets[qi].id, datasets[j].id, partial(_alike, datasets[qi].name, datasets[j].name))

    def warning(entry_id: str, message: str, hint: str) -> Finding:
        file = relative(catalog.files[entry_id], catalog.root)
        return Finding(file=file, message=message, hint=hint, severity="warning", entry=entry_id)

    by_id = catalog.datasets
    findings = []
    for (a, b), why in sorted(pairs.items()):
        if related(by_id[a], by_id[b]) or not (wanted(a) or wanted(b)):
            continue
        for this, other in ((a, b),) if wanted(a) else ((b, a),):
            hint = "if they are versions or subsets of each other, link them in relations.family or derived_from"
            findings.append(warning(this, f"possible duplicate of {other!r}: {why}", hint))
    for entry_id in sorted(e for e in crowded if wanted(e)):
        message = f"possible duplicate of more than {MAX_NAMED} entries (only {MAX_NAMED} are named)"
        hint = "names, DOIs or host records this alike usually mean generated or copied entries; check them"
        findings.append(warning(entry_id, message, hint))
    return findings
