"""Catalog statistics (`usreg stats`) and coverage gaps (`usreg stats --gaps`).

Counts are over entries; a multi-valued field (anatomy, tasks, countries, ...) counts an entry once per value.
Gap analysis counts only single datasets (not collections, which would count their members twice) that are not
marked unavailable.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypedDict

from registry.schema import Model
from registry.schema.vocab import Anatomy, EntryKind

from .tiers import TIERS

if TYPE_CHECKING:
    from registry.catalog import Catalog
    from registry.schema import Dataset, Entry

NOT_STATED = "(not stated)"
STAT_FACETS = ("tier", "anatomy", "task", "species", "country", "year", "license", "access")
DATA_FACETS = frozenset({"species", "country", "access"})
"""Facets that describe data only: models state none of them, so their rows count datasets alone."""
GAP_FACETS = ("anatomy", "task", "species", "country", "license", "access")
CORE_TASKS = ("segmentation", "classification", "detection", "regression")
TASK_FAMILIES: dict[str, tuple[str, ...]] = {"regression": ("regression", "biometry")}
"""Tasks counted together in the gap analysis (a biometry dataset is a regression dataset)."""
FAMILIES: dict[str, tuple[str, ...]] = {
    "fetal": ("fetal", "fetal-head", "fetal-heart", "fetal-abdomen", "placenta"),
}
"""Anatomy values reported together; every other anatomy is its own family."""
NOT_ANATOMIES = frozenset({"multi", "other"})
REFERENCE_PAPER = (
    "The reference catalog paper (npj Digital Medicine 2025, doi:10.1038/s41746-025-02162-4) found "
    "5 public fetal and 4 public prostate datasets among 72."
)


class _FamilyRow(TypedDict):
    """One anatomy family of the gap table."""

    anatomy: str
    datasets: int
    open: int
    tasks: dict[str, int]
    thin_tasks: dict[str, int]


def _values(entry: Entry, kind: str, facet: str, tiers: dict[str, str]) -> list[str]:
    if facet == "tier":
        return [tiers.get(entry.id, NOT_STATED)]
    if facet == "anatomy":
        return list(entry.anatomy) or [NOT_STATED]
    if facet == "task":
        return list(entry.tasks) or [NOT_STATED]
    if facet == "year":
        return [str(entry.year)] if entry.year else [NOT_STATED]
    if isinstance(entry, Model):
        if facet == "license":
            found = [x for x in (entry.weights_license, entry.code.license if entry.code else None) if x]
            return list(dict.fromkeys(found)) or [NOT_STATED]
        return []  # species, country and access describe data, not models
    if facet == "species":
        return list(entry.species) or [NOT_STATED]
    if facet == "country":
        return list(entry.acquisition.countries) or [NOT_STATED]
    if facet == "license":
        return [entry.license or NOT_STATED]
    if facet == "access":
        return [entry.access or NOT_STATED]
    raise ValueError(f"unknown facet {facet!r}")


def _order(facet: str, counter: Counter) -> list[str]:
    if facet == "tier":
        return [t for t in reversed(TIERS) if t in counter] + [v for v in counter if v not in TIERS]
    if facet == "year":
        return sorted(counter, key=lambda v: (v == NOT_STATED, v), reverse=False)
    return sorted(counter, key=lambda v: (v == NOT_STATED, -counter[v], v))


def catalog_stats(catalog: Catalog, tiers: dict[str, str]) -> dict[str, Any]:
    """Counts of datasets and models by tier, anatomy, task, species, country, year, licence and access (rows of
    the data-only facets, ``DATA_FACETS``, have no ``models`` count)."""
    facets: dict[str, list[dict[str, Any]]] = {}
    for facet in STAT_FACETS:
        by_kind = {
            kind: Counter(v for e in entries for v in _values(e, kind, facet, tiers))
            for kind, entries in (("dataset", catalog.datasets.values()), ("model", catalog.models.values()))
        }
        merged = by_kind["dataset"] + by_kind["model"]
        facets[facet] = [
            {"value": v, "datasets": by_kind["dataset"].get(v, 0)}
            | ({} if facet in DATA_FACETS else {"models": by_kind["model"].get(v, 0)})
            for v in _order(facet, merged)
        ]
    kinds = Counter(d.kind for d in catalog.datasets.values())
    return {
        "datasets": len(catalog.datasets),
        "collections": kinds.get(EntryKind.collection, 0),
        "models": len(catalog.models),
        "facets": facets,
    }


def _public(catalog: Catalog) -> list[Dataset]:
    return [d for d in catalog.datasets.values() if d.kind == EntryKind.dataset and d.status != "unavailable"]


def family_of(anatomy: str) -> str:
    for family, members in FAMILIES.items():
        if anatomy in members:
            return family
    return anatomy


def task_family(task: str) -> str:
    for family, members in TASK_FAMILIES.items():
        if task in members:
            return family
    return task


def coverage_gaps(catalog: Catalog, few: int = 3) -> dict[str, Any]:
    """Coverage by anatomy, task, species, country, licence and access, and the thin anatomy x task pairs."""
    datasets = _public(catalog)
    coverage: dict[str, list[dict[str, Any]]] = {}
    for facet in GAP_FACETS:
        total = Counter(v for d in datasets for v in _values(d, "dataset", facet, {}))
        open_ = Counter(v for d in datasets if d.access == "open" for v in _values(d, "dataset", facet, {}))
        coverage[facet] = [{"value": v, "datasets": total[v], "open": open_.get(v, 0)} for v in _order(facet, total)]

    families: dict[str, list[Any]] = {}
    for d in datasets:
        for fam in dict.fromkeys(family_of(a) for a in d.anatomy):
            families.setdefault(fam, []).append(d)
    all_families = sorted({family_of(a.value) for a in Anatomy} - NOT_ANATOMIES)
    rows: list[_FamilyRow] = []
    for fam in all_families:
        members = families.get(fam, [])
        tasks = Counter(t for d in members for t in dict.fromkeys(task_family(x) for x in d.tasks))
        thin = {t: tasks.get(t, 0) for t in CORE_TASKS if tasks.get(t, 0) < few}
        rows.append(
            {
                "anatomy": fam,
                "datasets": len(members),
                "open": sum(1 for d in members if d.access == "open"),
                "tasks": {t: tasks.get(t, 0) for t in CORE_TASKS},
                "thin_tasks": thin,
            }
        )
    thin_pairs = [
        {"anatomy": r["anatomy"], "task": t, "datasets": n}
        for r in rows
        if r["datasets"] > 0
        for t, n in r["thin_tasks"].items()
    ]
    thin_pairs.sort(key=lambda p: (p["datasets"], p["anatomy"], CORE_TASKS.index(p["task"])))
    none = [r["anatomy"] for r in rows if r["datasets"] == 0]
    thin_anatomies = sorted(
        (r for r in rows if 0 < r["datasets"] < few * 2), key=lambda r: (r["datasets"], r["anatomy"])
    )
    by_family = {r["anatomy"]: r for r in rows}
    notes = [REFERENCE_PAPER]
    for fam in ("fetal", "prostate"):
        r = by_family.get(fam)
        if r is not None:
            names = "/".join(FAMILIES.get(fam, (fam,)))
            notes.append(f"This catalog: {r['datasets']} {fam} datasets ({names}), {r['open']} of them open.")
    unlicensed = sum(1 for d in datasets if not d.license)
    gated = sum(1 for d in datasets if d.access != "open")
    notes.append(f"{unlicensed} of {len(datasets)} datasets state no licence; {gated} are not openly downloadable.")
    return {
        "few": few,
        "datasets": len(datasets),
        "core_tasks": list(CORE_TASKS),
        "coverage": coverage,
        "anatomies": rows,
        "thin_anatomies": [
            {"anatomy": r["anatomy"], "datasets": r["datasets"], "open": r["open"]} for r in thin_anatomies
        ],
        "thin_pairs": thin_pairs,
        "no_public_dataset": none,
        "notes": notes,
    }


def flatten_stats(stats: dict[str, Any]) -> Iterable[dict[str, Any]]:
    for facet, rows in stats["facets"].items():
        for row in rows:
            yield {"facet": facet, **row}


def flatten_gaps(gaps: dict[str, Any]) -> Iterable[dict[str, Any]]:
    for facet, rows in gaps["coverage"].items():
        for row in rows:
            yield {
                "section": "coverage",
                "facet": facet,
                "value": row["value"],
                "datasets": row["datasets"],
                "open": row["open"],
            }
    for pair in gaps["thin_pairs"]:
        yield {
            "section": "gap",
            "facet": "anatomy x task",
            "value": f"{pair['anatomy']} x {pair['task']}",
            "datasets": pair["datasets"],
            "open": None,
        }
    for anatomy in gaps["no_public_dataset"]:
        yield {"section": "gap", "facet": "anatomy", "value": anatomy, "datasets": 0, "open": 0}
