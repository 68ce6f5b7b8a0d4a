"""Round 3 (b): more catalog datasets converted in the layouts that code which opened their real downloads shows.

Each builder writes a tiny tree exactly as the host or the authors' README packages it (the archive's name and its
top folders); the tree is packed, unpacked by the fetch layer's extractor and converted with the real catalog entry.
Each case checks the sample count, the split counts (or, with no published split, the seeded kind with no subject in
two splits) and the class map of every mask target or of the image labels.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from registry.schema import Dataset
from tests.fixtures.builders._common import rgb, save, us_image
from tests.loaders.conftest import (
    check_converted_layout,
    convert_layout,
    fetch_from_file_then_load,
    pack_download,
    real_catalog,
)

CATALOG = real_catalog()


def _jpeg(path: Path, array: np.ndarray) -> None:
    save(path, array, fmt="JPEG", quality=85)


# --- layouts -------------------------------------------------------------------------------------------------------


def _ultrabones100k(stage: Path) -> dict:
    """The README's tree (copied out of the Azure container as a folder): specimen/record/UltrasoundImages + Labels."""
    root = stage / "AI_Ultrasound_dataset"
    seed = 3000
    frames = {("specimen01", "record01"): 2, ("specimen01", "record02"): 1, ("specimen02_F231218", "record01"): 2}
    frames |= {("specimen03_S231783", "record01"): 1, ("specimen04", "record01"): 1}
    for (specimen, record), n in frames.items():
        base = root / specimen / record
        (base / "tracking.csv").parent.mkdir(parents=True, exist_ok=True)
        (base / "tracking.csv").write_text("timestamp,x,x_optimized\n")
        for _ in range(n):
            seed += 1
            stamp = f"{1700000000 + seed}"
            save(base / "UltrasoundImages" / f"{stamp}.png", us_image(40, 48, seed))
            surface = np.zeros((40, 48), np.uint8)
            surface[20:22, 5:40] = 255
            save(base / "Labels" / f"{stamp}_label.png", surface)
            full = surface.copy()
            full[22:40, 5:40] = 255
            save(base / "Labels_full" / f"{stamp}_label.png", full)
        (root / specimen / "CT_bone_model.stl").write_bytes(b"solid bone\nendsolid bone\n")
    return {
        "samples": 7,
        "split_kind": "seeded-subject",
        "subjects": 4,
        "subjects_of": {"1700003001": "specimen01", "1700003004": "specimen02_F231218"},
        "targets": {
            "bone_surface": {0: "background", 1: "bone surface"},
            "bone_full": {0: "background", 1: "bone"},
        },
        "mask_values": {"1700003001": {0, 1}},
    }


def _lung_us_3class_mendeley(stage: Path) -> dict:
    """Mendeley's "Download All" zip (<id>-<version>.zip) with the release folder ultatron's adapter reads."""
    base = stage / "hb3p34ytvx-2.zip" / "A Dataset of Lung Ultrasound Images for Automated" / "dataset"
    files = {("train", "covid"): 2, ("train", "other"): 1, ("train", "healthy"): 2, ("validation", "other"): 1}
    files |= {("test", "covid"): 1, ("test", "healthy"): 1}
    seed = 3300
    for (split, label), n in files.items():
        for i in range(n):
            seed += 1
            save(base / split / label / f"{label}_{split}_{i}.png", us_image(36, 44, seed))
    return {
        "samples": 8,
        "splits": {"train": 5, "val": 1, "test": 2},
        "labels": {"COVID-19": 3, "other lung disease": 2, "healthy": 3},  # the entry's names for the folders
        "label_classes": ["COVID-19", "other lung disease", "healthy"],
    }


NNUS_CLASSES = ["trachea", "thyroid", "CCA", "IJV", "esophagus", "longus colli", "strap", "SCM"]


def _nnus_neck(stage: Path) -> dict:
    """The README's tree: NNUS/images/NNNN.jpg, NNUS/labels/NNNN.txt (LabelImg YOLO) and labels/classes.txt."""
    base = stage / "NNUS"
    (base / "labels").mkdir(parents=True)
    (base / "labels" / "classes.txt").write_text("\n".join(NNUS_CLASSES) + "\n")
    boxes = {"0001": ["0 0.5 0.25 0.5 0.25", "1 0.25 0.5 0.2 0.4"], "0002": ["7 0.5 0.5 1.0 1.0"], "0003": []}
    for n, (stem, lines) in enumerate(boxes.items()):
        _jpeg(base / "images" / f"{stem}.jpg", rgb(us_image(40, 80, 3100 + n)))
        (base / "labels" / f"{stem}.txt").write_text("".join(line + "\n" for line in lines))
    return {
        "samples": 3,
        "split_kind": "seeded-random",
        "box_categories": NNUS_CLASSES,
        "boxes": {
            "0001": [("trachea", 20.0, 5.0, 60.0, 15.0), ("thyroid", 12.0, 12.0, 28.0, 28.0)],
            "0002": [("SCM", 0.0, 0.0, 80.0, 40.0)],
            "0003": [],
        },
    }


LAYOUTS: dict[str, tuple[Dataset, Callable[[Path], dict]]] = {
    "lung-us-3class-mendeley": (CATALOG.datasets["lung-us-3class-mendeley"], _lung_us_3class_mendeley),
    "nnus-neck": (CATALOG.datasets["nnus-neck"], _nnus_neck),
    "ultrabones100k": (CATALOG.datasets["ultrabones100k"], _ultrabones100k),
}


@pytest.mark.parametrize("entry_id", sorted(LAYOUTS))
def test_catalog_entry_converts_its_cited_layout(entry_id, tmp_path, convert):
    out, expected = convert_layout(convert, *LAYOUTS[entry_id], tmp_path)
    check_converted_layout(out, expected)


def test_nnus_neck_reports_bad_yolo_lines_and_unpaired_files(tmp_path, convert):
    base = tmp_path / "src" / "NNUS"
    (base / "labels").mkdir(parents=True)
    (base / "labels" / "classes.txt").write_text("trachea\nthyroid\n")
    for n, stem in enumerate(("0001", "0002")):
        _jpeg(base / "images" / f"{stem}.jpg", rgb(us_image(40, 80, 3200 + n)))
    (base / "labels" / "0001.txt").write_text("0 0.5 0.5 0.2 0.2\n5 0.5 0.5 0.2 0.2\n1 0.5 oops 0.2 0.2\n")
    (base / "labels" / "0009.txt").write_text("0 0.5 0.5 0.2 0.2\n")  # a label file without its image
    out = convert(CATALOG.datasets["nnus-neck"], tmp_path / "src")
    assert sorted(out.by_id) == ["0001", "0002"]
    assert [b["category"] for b in out.by_id["0001"]["boxes"]] == ["trachea"]
    assert out.by_id["0002"]["boxes"] == []
    kinds = {(p["kind"], p["file"]) for p in out.problems()}
    assert ("unknown_label", "NNUS/labels/0001.txt") in kinds  # class 5 is not in classes.txt
    assert ("annotation_unreadable", "NNUS/labels/0001.txt") in kinds
    assert ("missing_annotation", "NNUS/images/0002.jpg") in kinds
    assert ("missing_image", "NNUS/labels/0009.txt") in kinds


def test_declared_validation_split_counts_match_the_converted_val_split(tmp_path, convert):
    """The entry declares its published split as 'validation'; the loader names it 'val'; counts_match accepts both."""
    entry = CATALOG.datasets["lung-us-3class-mendeley"]
    expected = _lung_us_3class_mendeley(tmp_path / "stage")
    pack_download(tmp_path / "stage", tmp_path / "downloads", tmp_path / "src")
    splits = entry.splits.model_copy(update={"counts": {"train": 5, "validation": 1, "test": 2}})
    counts = entry.counts.model_copy(update={"images": expected["samples"]})
    out = convert(entry.model_copy(update={"splits": splits, "counts": counts}), tmp_path / "src")
    check = out.checks["counts_match"]
    assert check["status"] == "pass", check


def test_usreg_fetch_from_file_with_the_downloaded_container_folder_then_load(tmp_path, run_cli, usreg_home):
    """Azure Storage Explorer saves the AI_Ultrasound_dataset container as a folder; --from-file takes its contents."""
    expected = _ultrabones100k(tmp_path / "stage")
    folder = tmp_path / "stage" / "AI_Ultrasound_dataset"
    _, ds = fetch_from_file_then_load(run_cli, "ultrabones100k", "--from-file", folder)
    assert len(ds) == expected["samples"]
    assert {t: dict(c) for t, c in ds.classes.items()} == expected["targets"]
