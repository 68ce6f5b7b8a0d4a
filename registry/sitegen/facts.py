"""The facts of an entry as labelled rows, each with the evidence URLs that back it."""

from __future__ import annotations

from typing import Any

from ..schema import Dataset, Model
from ..schema.types import country_name

SKIPPED = {
    "id",
    "name",
    "description",
    "evidence",
    "sources",
    "publications",
    "notes",
    "relations",
    "links",
    "trained_on",
    "evaluated_on",
    "metrics",
    "weights",
    "changelog",
    "maintainers",
    "loader",
    "adapter",
}


def _flatten(value: object, prefix: str) -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        rows: list[tuple[str, Any]] = []
        for key, item in value.items():
            rows.extend(_flatten(item, f"{prefix}.{key}" if prefix else key))
        return rows
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return [(prefix, "; ".join(", ".join(f"{k}: {v}" for k, v in item.items()) for item in value))]
    if value in (None, "", [], {}) and not isinstance(value, bool):
        return []
    if isinstance(value, bool):  # a flag reads as a word, never as Python's True/False
        return [(prefix, "yes" if value else "no")]
    if isinstance(value, list):
        return [(prefix, ", ".join(str(v) for v in value))]
    return [(prefix, value)]


def evidence_for(entry: Dataset | Model, path: str) -> list[str]:
    """URLs of evidence items whose fields cover ``path`` (exactly, as a parent, or with '*')."""
    urls = []
    for item in entry.evidence:
        for field in item.fields:
            if field == "*" or path == field or path.startswith(field + ".") or field.startswith(path + "."):
                urls.append(item.url)
                break
    return urls


def fact_rows(entry: Dataset | Model) -> list[tuple[str, str, list[str]]]:
    """(field path, display value, evidence URLs) for every stated scalar or list fact."""
    data = entry.model_dump(mode="json", exclude_none=True)
    rows = []
    for key, value in data.items():
        if key in SKIPPED:
            continue
        if key == "acquisition" and isinstance(value, dict) and value.get("countries"):
            value = {**value, "countries": [f"{country_name(c)} ({c})" for c in value["countries"]]}
        for path, shown in _flatten(value, key):
            rows.append((path, str(shown), evidence_for(entry, path)))
    return rows
