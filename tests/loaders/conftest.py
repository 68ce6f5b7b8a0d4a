"""Helpers for converter tests: minimal entries, a conversion runner and readers for what it wrote."""

from __future__ import annotations

import functools
import json
import shutil
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from click.testing import Result

from registry.catalog import Catalog, load_catalog
from registry.loaders import convert_entry
from registry.schema import Dataset
from tests.conftest import REPO_ROOT


@functools.cache
def real_catalog() -> Catalog:
    """The repository's catalog, loaded once for every loader test module that converts its entries (a load takes
    seconds; the modules only read it)."""
    return load_catalog(REPO_ROOT)


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

    def extra(self, sample_id: str) -> dict:
        """A sample's extra fields (stored as JSON text, or absent)."""
        extra = self.by_id[sample_id]["extra"]
        return json.loads(extra) if isinstance(extra, str) else dict(extra or {})

    def targets(self) -> dict[str, dict[int, str]]:
        """The class map of every mask target, with integer class ids."""
        return {t: {int(k): v for k, v in d["classes"].items()} for t, d in self.metadata["targets"].items()}


@pytest.fixture
def convert(usreg_home: Path):
    def run(entry: Dataset, source: Path, version: str = "1", workers: int | None = 1) -> Converted:
        return Converted(convert_entry(entry, source, usreg_home, version, workers=workers))

    return run


# What a layout builder's expectations may name beyond "samples", "splits"/"split_kind" and "targets", which each test
# asserts itself; check_layout_details checks every one that is given, and refuses a name it does not know.
DETAIL_KEYS = frozenset(
    {
        "errors",  # the error problems, exactly (default: none)
        "dropped",  # source files dropped, by reason (default: none)
        "ignored",  # files left out on purpose by the entry's ignore patterns (default: 0)
        "problems",  # (kind, file) pairs that must be among the problems
        "subjects",  # how many subjects; no subject in two splits
        "subjects_of",  # sample id -> subject id
        "test_subjects",  # the subjects of the test split, exactly
        "masked",  # how many samples have a mask
        "masks_per_split",  # split -> the number of masks of each of its samples
        "masks_of",  # sample id -> its number of masks
        "labels",  # label -> how many samples carry it
        "label_classes",  # the label names, in order
        "box_categories",  # the box category names, in order
        "boxes",  # sample id -> [(category, x_min, y_min, x_max, y_max)]
        "needle_frames",  # the sample ids with a 'needle' mask, exactly
        "frames_of",  # scan -> the sorted frame numbers of its samples (sample ids '<scan>_f...')
        "frames",  # sample id -> the reference frame its image is close to (mean abs. difference < 8)
        "tform_x",  # sample id -> element 3 of extra['tform']
        "extra",  # sample id -> key/values its extra must hold
        "extra_exact",  # sample id -> its whole extra
        "image_pixels",  # sample id -> ((row, column), value) of its image
        "mask_pixels",  # sample id -> (row, column, class id) of its first mask
        "inside",  # sample id -> (row, column[, class id]): inside its first mask (class 1 unless given)
        "outside",  # sample id -> (row, column[, class id]): outside its first mask (class 0 unless given)
        "resized",  # the sample ids reported as resized, exactly
        "mask_values",  # sample id -> the set of values in its masks
    }
)


def convert_layout(
    convert: Callable[[Dataset, Path], Converted], entry: Dataset, build: Callable[[Path], dict], tmp_path: Path
) -> tuple[Converted, dict]:
    """Stage a layout with its builder, package and unpack it as the host and fetch do, and convert it with entry."""
    assert entry.loader is not None, f"{entry.id}: the catalog entry names no loader"
    expected = build(tmp_path / "stage")
    pack_download(tmp_path / "stage", tmp_path / "downloads", tmp_path / "src")
    return convert(entry, tmp_path / "src"), expected


def convert_downloads(
    convert: Callable[[Dataset, Path], Converted], entry: Dataset, build: Callable[[Path], dict], tmp_path: Path
) -> tuple[Converted, dict]:
    """Like :func:`convert_layout`, for builders that write the host's downloads themselves (the archives as served):
    unpack them as fetch does (archives inside archives too) and convert with ``entry``."""
    from tests.fixtures.builders._common import unpack_like_fetch

    assert entry.loader is not None, f"{entry.id}: the catalog entry names no loader"
    expected = build(tmp_path / "downloads")
    unpack_like_fetch(tmp_path / "downloads", tmp_path / "src")
    return convert(entry, tmp_path / "src"), expected


def check_converted_layout(out: Converted, expected: dict) -> None:
    """Assert what every layout test checks: the sample count, the split kind and counts, the class map, then the
    layout's own details (check_layout_details)."""
    assert len(out.rows) == expected["samples"], out.problems()
    assert out.metadata["splits"]["kind"] == expected.get("split_kind", "official"), out.metadata["splits"]
    assert out.splits() == expected.get("splits", out.metadata["splits"]["counts"])
    assert out.targets() == expected.get("targets", {})
    check_layout_details(out, expected)


def check_layout_details(out: Converted, expected: dict) -> None:
    """Assert every detail a layout builder expects beyond its sample count, split counts and class map."""
    import numpy as np

    named = {"samples", "splits", "split_kind", "targets"}
    assert set(expected) <= named | DETAIL_KEYS, sorted(set(expected) - named - DETAIL_KEYS)
    assert not {"splits", "split_kind"} <= set(expected), "an official split has no seeded kind"
    errors = [p for p in out.problems() if p["severity"] == "error"]
    assert errors == expected.get("errors", []), errors
    usage = out.metadata["source_files"]  # every image file of the layout is used, or left out on purpose
    assert usage["dropped_by_reason"] == expected.get("dropped", {}), usage["dropped_files"]
    assert usage["ignored"] == expected.get("ignored", 0)
    assert expected.get("problems", set()) <= {(p["kind"], p["file"]) for p in out.problems()}
    if "test_subjects" in expected:  # the published test patients, and only they, are in the test split
        assert {r["subject_id"] for r in out.rows if r["split"] == "test"} == expected["test_subjects"]
    if "subjects" in expected:
        assert len({r["subject_id"] for r in out.rows}) == expected["subjects"]
        seen: dict[str, str] = {}
        for row in out.rows:
            assert seen.setdefault(row["subject_id"], row["split"]) == row["split"], row  # no subject in two splits
    for sid, subject in expected.get("subjects_of", {}).items():
        assert out.by_id[sid]["subject_id"] == subject, sid
    if "masked" in expected:
        assert sum(1 for r in out.rows if r["masks"]) == expected["masked"]
    for split, n in expected.get("masks_per_split", {}).items():
        assert {len(r["masks"]) for r in out.rows if r["split"] == split} == {n}, split
    for sid, n in expected.get("masks_of", {}).items():
        assert len(out.by_id[sid]["masks"]) == n, sid
    if "labels" in expected:
        got: dict[str, int] = {}
        for row in out.rows:
            got[row["label"]] = got.get(row["label"], 0) + 1
        assert got == expected["labels"]
    if "label_classes" in expected:
        assert out.metadata["labels"] == expected["label_classes"]
    if "box_categories" in expected:
        assert out.metadata["box_categories"] == expected["box_categories"]
    for sid, boxes in expected.get("boxes", {}).items():
        got_boxes = [
            (b["category"], *(round(v, 3) for v in (b["x_min"], b["y_min"], b["x_max"], b["y_max"])))
            for b in out.by_id[sid]["boxes"]
        ]
        assert got_boxes == boxes, sid
    if "needle_frames" in expected:
        needles = {r["sample_id"] for r in out.rows if any(m["target"] == "needle" for m in r["masks"])}
        assert needles == expected["needle_frames"]
    for scan, frames in expected.get("frames_of", {}).items():
        assert sorted(r["frame"] for r in out.rows if r["sample_id"].startswith(scan + "_f")) == frames, scan
    for sid, reference in expected.get("frames", {}).items():  # the traced frame, not a neighbour
        image = out.image(sid).astype(float)
        image = image.mean(axis=-1) if image.ndim == 3 else image
        assert np.abs(image - reference).mean() < 8, sid
    for sid, x in expected.get("tform_x", {}).items():
        assert out.extra(sid)["tform"][3] == x, sid
    for sid, extra in expected.get("extra", {}).items():
        got_extra = out.extra(sid)
        assert {k: got_extra.get(k) for k in extra} == extra, sid
    for sid, extra in expected.get("extra_exact", {}).items():
        assert out.extra(sid) == extra, sid
    for sid, ((y, x), value) in expected.get("image_pixels", {}).items():
        assert out.image(sid)[y, x] == value, sid
    for sid, (y, x, cls) in expected.get("mask_pixels", {}).items():
        assert out.mask(sid, out.by_id[sid]["masks"][0]["target"])[y, x] == cls, sid
    for key, value in (("inside", 1), ("outside", 0)):
        for sid, (y, x, *cls) in expected.get(key, {}).items():
            mask = out.mask(sid, out.by_id[sid]["masks"][0]["target"])
            assert mask[y, x] == (cls[0] if cls else value), (sid, key)
    if "resized" in expected:
        assert {p["sample_id"] for p in out.problems("resized")} == expected["resized"]
    for sid, values in expected.get("mask_values", {}).items():
        row = out.by_id[sid]
        assert {int(v) for m in row["masks"] for v in np.unique(out.mask(sid, m["target"]))} == values, sid


def fetch_from_file_then_load(run_cli: Callable[..., Result], entry_id: str, *args: str | Path) -> tuple[str, Any]:
    """`usreg fetch ENTRY_ID ARGS` with the real catalog (the user's `--from-file` path), which must exit 0, then
    `registry.load(ENTRY_ID)`: the fetch output and the loaded dataset."""
    import registry

    result = run_cli("fetch", entry_id, *args, root=REPO_ROOT)
    assert result.exit_code == 0, result.output
    return result.output, registry.load(entry_id)


def from_file_args(stage: Path, tmp_path: Path) -> list[str]:
    """Package a staged layout as its host ships it (pack_download) and name every download as `--from-file PATH`:
    the archives, then the loose top-level files, which travel as they are."""
    downloads, loose = tmp_path / "downloads", tmp_path / "unused"
    pack_download(stage, downloads, loose)
    args: list[str] = []
    for path in sorted(downloads.iterdir()):
        args += ["--from-file", str(path)]
    for path in sorted(loose.iterdir()):
        if path.is_file():
            args += ["--from-file", str(path)]
    return args


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
