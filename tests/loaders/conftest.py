"""Helpers for converter tests: minimal entries, a conversion runner and readers for what it wrote."""

from __future__ import annotations

import json
import shutil
import tarfile
import zipfile
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


def pack_download(stage: Path, downloads: Path, src: Path) -> None:
    """Package a staged layout as its host ships it, then unpack it with the fetch layer's extractor.

    ``stage/<name>.zip/`` and ``stage/<name>.tar.xz|.tar.gz/`` folders become those archives in ``downloads`` and are
    unpacked into ``src``; other files and folders are copied into ``src`` as they are.
    """
    from registry.fetch.extract import extract

    downloads.mkdir(parents=True)
    src.mkdir(parents=True)
    for top in sorted(stage.iterdir()):
        name = top.name.lower()
        archive = downloads / top.name
        if top.is_dir() and name.endswith(".zip"):
            with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
                for p in sorted(top.rglob("*")):
                    if p.is_file():
                        zf.write(p, p.relative_to(top).as_posix())
        elif top.is_dir() and name.endswith((".tar.xz", ".tar.gz")):
            with tarfile.open(archive, "w:xz" if name.endswith(".xz") else "w:gz") as tf:
                for p in sorted(top.rglob("*")):
                    if p.is_file():
                        tf.add(p, p.relative_to(top).as_posix())
        elif top.is_file():
            shutil.copyfile(top, src / top.name)
            continue
        else:
            shutil.copytree(top, src / top.name)
            continue
        extract(archive, src)
