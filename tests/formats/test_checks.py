"""Data checks: DICOM PHI on real ultrasound files, the burned-in heuristic, duplicates, and the checks.json shape."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw
from pydicom.data import get_testdata_file

from registry.checks import CHECK_NAMES, STATUSES
from registry.checks.burned_in import score_image
from registry.checks.dicom_phi import dicom_phi_check, find_dicom_files, scan_file
from registry.checks.duplicates import duplicate_check
from tests.fixtures.builders import carotid_plaque
from tests.fixtures.builders._common import rgb, us_image
from tests.loaders.conftest import make_entry

CONTRACT = Path(__file__).resolve().parents[2] / "registry" / "formats" / "checks_contract.md"


def test_phi_found_in_real_ultrasound_dicom():
    us1 = scan_file(Path(get_testdata_file("US1_UNCR.dcm")))
    assert {"PatientName", "PatientID"} <= set(us1["identifying"])
    assert "InstitutionName" in us1["quasi"] and "StudyDate" in us1["quasi"]
    ob = scan_file(Path(get_testdata_file("OBXXXX1A.dcm")))
    assert "PatientName" in ob["identifying"]
    anon = scan_file(Path(get_testdata_file("color-pl.dcm")))  # "Anonymized" placeholders
    assert anon["identifying"] == []


def test_phi_check_statuses(tmp_path):
    clean_dir, dirty_dir = tmp_path / "clean", tmp_path / "dirty"
    clean_dir.mkdir()
    dirty_dir.mkdir()
    shutil.copy(get_testdata_file("color-pl.dcm"), clean_dir / "a.dcm")
    shutil.copy(get_testdata_file("US1_UNCR.dcm"), dirty_dir / "b.dcm")
    shutil.copy(get_testdata_file("gdcm-US-ALOKA-16.dcm"), dirty_dir / "noext")  # found by its DICM preamble
    dirty = dicom_phi_check(find_dicom_files(dirty_dir))
    assert dirty["status"] == "fail" and dirty["details"]["files_with_phi"] == 2
    clean = dicom_phi_check(find_dicom_files(clean_dir))
    assert clean["status"] == "warn" and clean["details"]["files_with_phi"] == 0  # study date only
    assert dicom_phi_check([])["status"] == "skipped"


def test_burned_in_heuristic():
    plain = us_image(200, 240, 1)
    assert score_image(plain) == (False, "")
    marked = Image.fromarray(plain.copy())
    d = ImageDraw.Draw(marked)
    for x, y in ((60, 60), (150, 120)):  # caliper crosses
        d.line((x - 8, y, x + 8, y), fill=255)
        d.line((x, y - 8, x, y + 8), fill=255)
    d.text((10, 180), "HC 172.4mm", fill=255)
    assert score_image(np.asarray(marked))[0]
    blob = plain.copy()
    blob[50:120, 60:160] = 255  # a saturated reflector is a blob, not a stroke
    assert not score_image(blob)[0]
    coloured = rgb(plain)
    coloured[100:103, 20:60] = (255, 255, 0)  # a yellow measurement line
    assert score_image(coloured)[0]
    doppler = rgb(plain)
    doppler[40:140, 40:200] = (200, 30, 30)  # colour flow covers a large area
    assert not score_image(doppler)[0]


def _row(sid, split, sha, ph):
    return {"sample_id": sid, "split": split, "image_sha256": sha, "phash": ph}


def test_duplicate_counting():
    rows = [
        _row("a", "train", "x", "0000000000000000"),
        _row("b", "test", "x", "0000000000000000"),  # exact copy of a across splits
        _row("c", "train", "x", "0000000000000000"),  # and within train
        _row("d", "test", "y", "0000000000000001"),  # near (1 bit) to a, b, c
        _row("e", "train", "z", "ffffffffffffffff"),
    ]
    check = duplicate_check(rows, max_distance=4)
    d = check["details"]
    assert check["status"] == "fail"
    assert d["exact_cross_split"] == 2 and d["exact_within_split"] == 1
    assert d["near_cross_split"] == 2 and d["near_within_split"] == 1
    assert d["within_split"] == 2
    assert d["pairs"][0]["kind"] == "exact" and set(d["pairs"][0]["splits"]) == {"train", "test"}
    assert duplicate_check(rows[3:])["status"] == "pass"


def test_checks_json_follows_the_contract(tmp_path, convert):
    contract = CONTRACT.read_text()
    named = set(re.findall(r'"name": "([a-z_]+)"', contract))
    fx = carotid_plaque.build(tmp_path / "src", size=120)
    out = convert(make_entry("carotid-plaque", "carotid-plaque"), fx.root)
    doc = out.checks_doc
    assert doc["schema"] == "usreg-checks/1" and doc["dataset"] == "carotid-plaque" and doc["version"] == "1"
    assert doc["converter"] == {"name": "carotid-plaque", "version": "1.0"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", doc["created"])
    names = [c["name"] for c in doc["checks"]]
    assert named <= set(names) and set(names) == set(CHECK_NAMES)
    for c in doc["checks"]:
        assert c["status"] in STATUSES and isinstance(c["details"], dict) and c["summary"]
    dup = out.checks["near_duplicates"]["details"]
    assert {"exact_cross_split", "near_cross_split", "within_split", "pairs"} <= set(dup)
    assert {"fraction", "empty", "total"} <= set(out.checks["empty_mask_fraction"]["details"])
    assert out.checks["split_kind"]["details"]["kind"] == "seeded-random"


def _frame_rows(volumes: dict[str, tuple[str, int]]) -> list[dict]:
    """Rows as a volume or video converter writes them: a few sampled frames per source file."""
    rows = []
    for source, (split, frames) in volumes.items():
        for f in range(frames):
            rows.append({"sample_id": f"{source}_{f}", "split": split, "subject_id": source, "frame": f * 5,
                         "source_file": f"{source}.nii.gz"})  # fmt: skip
    return rows


def test_counts_of_volumes_are_compared_with_source_files_not_sampled_frames():
    from registry.checks.run import counts_match

    rows = _frame_rows({"case1": ("train", 10), "case2": ("train", 10), "case3": ("test", 10)})
    entry = {"counts": {"volumes": 3, "images": 3, "subjects": 3}, "splits": {"counts": {"train": 2, "test": 1}}}
    check = counts_match(rows, {"entry": entry})
    assert check["status"] == "pass", check["summary"]
    assert "images" not in check["details"]["declared"]  # images of a volume dataset are not the sampled frames
    wrong = {"counts": {"volumes": 4}, "splits": {"counts": {"train": 3, "test": 1}}}
    check = counts_match(rows, {"entry": wrong})
    assert check["status"] == "fail" and "volumes: declared 4, found 3" in check["summary"]
    assert "split train: declared 3, found 20" in check["summary"]


def test_counts_of_plain_images_still_compare_rows():
    from registry.checks.run import counts_match

    rows = [{"sample_id": str(i), "split": "train", "subject_id": None, "frame": None} for i in range(5)]
    assert counts_match(rows, {"entry": {"counts": {"images": 5}}})["status"] == "pass"
    assert counts_match(rows, {"entry": {"counts": {"images": 6}}})["status"] == "fail"


def test_a_held_out_split_missing_from_the_download_is_a_warning_not_a_failure():
    """A challenge's hidden test set is declared but never downloadable: the conversion is still complete."""
    from registry.checks.run import counts_match

    sizes = {"train": 6, "val": 2}
    rows = [
        {"sample_id": f"{s}{i}", "split": s, "subject_id": None, "frame": None} for s in sizes for i in range(sizes[s])
    ]
    entry = {"counts": {"images": 12}, "splits": {"counts": {"train": 6, "val": 2, "test": 4}}}
    check = counts_match(rows, {"entry": entry})
    assert check["status"] == "warn" and "split test is not in the download" in check["summary"]
    short = {"counts": {"images": 12}, "splits": {"counts": {"train": 7, "val": 2, "test": 4}}}
    assert counts_match(rows, {"entry": short})["status"] == "fail"  # a present split still has to match
    assert counts_match([], {"entry": entry})["status"] == "fail"  # nothing converted is no held-out set


def test_a_declared_trainval_pool_is_the_converted_train_and_val_together():
    """tn3k declares its release's trainval pool; the loader divides it by a fold file (or keeps it all as train)."""
    from registry.checks.run import counts_match

    def rows_of(sizes: dict[str, int]) -> list[dict]:
        return [
            {"sample_id": f"{s}{i}", "split": s, "subject_id": None, "frame": None}
            for s in sizes
            for i in range(sizes[s])
        ]

    entry = {"splits": {"counts": {"trainval": 5, "test": 2}}}
    assert counts_match(rows_of({"train": 4, "val": 1, "test": 2}), {"entry": entry})["status"] == "pass"
    assert counts_match(rows_of({"train": 5, "test": 2}), {"entry": entry})["status"] == "pass"  # no val split
    assert counts_match(rows_of({"train": 3, "val": 1, "test": 2}), {"entry": entry})["status"] == "fail"


def test_clips_inside_one_container_file_count_as_videos():
    """stanford-thyroid-cineclip: 192 clips in one dataset.hdf5; the loader names each in extra.source_item."""
    from registry.checks.run import counts_match

    rows = [
        {
            "sample_id": f"{c}_f{f}",
            "split": "train",
            "subject_id": None,
            "frame": f,
            "source_file": "dataset.hdf5",
            "extra": {"source_item": c},
        }
        for c in ("1", "2", "3")
        for f in range(2)
    ]
    assert counts_match(rows, {"entry": {"counts": {"videos": 3, "subjects": 2}}})["status"] == "pass"
    for r in rows:
        del r["extra"]
    assert counts_match(rows, {"entry": {"counts": {"videos": 3}}})["status"] == "fail"  # one file, one video
