"""Helpers for converter tests: minimal entries, a conversion runner and readers for what it wrote."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from registry.loaders import convert_entry
from registry.schema import Dataset


def make_entry(entry_id: str, loader: str, options: dict | None = None, **fields: Any) -> Dataset:
    data: dict[str, Any] = {
        "id": entry_id,
        "name": f"Test {entry_id}",
        "anatomy": ["other"],
        "tasks": ["segmentation"],
        "loader": {"name": loader, "options": options or {}},
    }
    data.update(fields)
    return Dataset.model_validate(data)


class Converted:
    """A converted dataset directory with its parsed files."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.metadata = json.loads((path / "metadata.json").read_text())
        self.checks_doc = json.loads((path / "checks.json").read_text())
        self.checks = {c["name"]: c for c in self.checks_doc["checks"]}
        self.rows = pq.read_table(path / "manifest.parquet").to_pylist()
        self.by_id = {r["sample_id"]: r for r in self.rows}

    def problems(self, kind: str | None = None) -> list[dict]:
        return [p for p in self.metadata["problems"] if kind is None or p["kind"] == kind]

    def problem_files(self, kind: str) -> set[str]:
        return {p["file"] for p in self.problems(kind)}

    def splits(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.rows:
            out[r["split"]] = out.get(r["split"], 0) + 1
        return out

    def mask(self, sample_id: str, target: str):
        import numpy as np
        from PIL import Image

        m = next(m for m in self.by_id[sample_id]["masks"] if m["target"] == target)
        return np.asarray(Image.open(self.path / m["path"]))

    def image(self, sample_id: str):
        import numpy as np
        from PIL import Image

        return np.asarray(Image.open(self.path / self.by_id[sample_id]["image"]))


@pytest.fixture
def convert(usreg_home: Path):
    def run(entry: Dataset, source: Path, version: str = "1", workers: int | None = 1) -> Converted:
        return Converted(convert_entry(entry, source, usreg_home, version, workers=workers))

    return run
