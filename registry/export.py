"""Export the whole catalog through pandas (CSV, JSON, Parquet) or as BibTeX."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from typing import Any

import pandas as pd

from .catalog import Catalog
from .citation import entry_bibtex
from .schema import Dataset, Model
from .spreadsheet import inert_cell


def catalog_frame(catalog: Catalog, kind: str | None = None, scores: dict[str, dict] | None = None) -> pd.DataFrame:
    """One row per entry: scalar fields as columns, lists joined with '; ', nested objects as JSON text."""
    rows: list[dict[str, Any]] = []
    groups: list[tuple[str, Mapping[str, Dataset | Model]]] = [("dataset", catalog.datasets), ("model", catalog.models)]
    for entry_kind, items in groups:
        if kind and kind != entry_kind:
            continue
        for entry in items.values():
            data = entry.model_dump(mode="json", exclude_none=True)
            row: dict[str, Any] = {"entry_kind": entry_kind}
            for key, value in data.items():
                if isinstance(value, list) and all(not isinstance(v, dict | list) for v in value):
                    row[key] = "; ".join(str(v) for v in value)
                elif isinstance(value, dict | list):
                    row[key] = json.dumps(value, sort_keys=True)
                else:
                    row[key] = value
            score = (scores or {}).get(entry.id)
            if score:
                row["tier"] = score.get("tier")
                row["points"] = score.get("points")
                row["verification_level"] = score.get("verification_level")
            rows.append(row)
    frame = pd.DataFrame(rows)
    if "year" in frame:
        frame["year"] = frame["year"].astype("Int64")
    return frame


def export_catalog(catalog: Catalog, fmt: str, kind: str | None = None, scores: dict | None = None) -> str | bytes:
    if fmt == "bibtex":
        entries = [
            e
            for k, items in (("dataset", catalog.datasets), ("model", catalog.models))
            if not kind or kind == k
            for e in items.values()
        ]
        return "\n".join(entry_bibtex(e) for e in entries)
    frame = catalog_frame(catalog, kind, scores)
    if fmt == "csv":
        return frame.map(inert_cell).to_csv(index=False)
    if fmt == "json":
        return frame.to_json(orient="records", indent=2, force_ascii=False) + "\n"
    if fmt == "parquet":
        buf = io.BytesIO()
        frame.astype({c: "string" for c in frame.columns if frame[c].dtype == object}).to_parquet(buf, index=False)
        return buf.getvalue()
    raise ValueError(f"unknown export format {fmt!r}")
