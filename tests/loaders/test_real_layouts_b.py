"""Quirks found by converting real copies of releases (datasets erdes .. pcosgen), each rebuilt in a tiny fixture.

- hc18 (a full copy, medical-images-process/VCLab_HC18@6480f69): the 999 + 335 images are numbered as 1141
  examinations of 551 women, so the catalog entry stops using the number as the subject id (it stays in extra).
- mmotu-2d (images and annotations of OTU_2d, SonBH0410/OTU-2D-Dataset@1ece195): every image has a
  ``<n>_binary_binary.PNG`` beside its ``<n>_binary.PNG``; they are left out on purpose, not reported as dropped.
- open-kidney (the authors' labels/, rsingla92/kidneyUS@becfa9a, with stand-in images of the masks' names and sizes):
  the repository holds ``reviewed_masks_2`` beside ``reviewed_masks_1``, and the 20 duplicate images have masks too;
  both were counted as dropped files, so a real fetch was never complete.
"""

from __future__ import annotations

import json

import numpy as np

from tests.fixtures.builders import hc18, open_kidney
from tests.fixtures.builders._common import save, us_image
from tests.loaders.conftest import make_entry, real_catalog


def test_hc18_entry_keeps_examinations_out_of_subject_ids(tmp_path, convert):
    entry = real_catalog().datasets["hc18"]
    assert entry.loader is not None and entry.loader.options.get("examination_subjects") is False
    fx = hc18.build(tmp_path / "src")
    out = convert(
        make_entry("hc18", "hc18", {"examination_subjects": False}, counts={"images": 6, "subjects": 2}), fx.root
    )
    assert len(out.rows) == fx.expected["samples"]
    assert all(r["subject_id"] is None for r in out.rows)
    # the examination number is kept: the two images of examination 001 still share it
    assert json.loads(out.by_id["train_001_2HC"]["extra"])["examination"] == "train-001"
    assert json.loads(out.by_id["train_001_HC"]["extra"])["examination"] == "train-001"
    assert json.loads(out.by_id["test_000_HC"]["extra"])["examination"] == "test-000"
    # fewer women than examination numbers: no subject count is compared, so the counts check does not fail
    assert out.checks["counts_match"]["status"] == "pass", out.checks["counts_match"]


def test_hc18_default_still_groups_by_examination(tmp_path, convert):
    fx = hc18.build(tmp_path / "src")
    out = convert(make_entry("hc18", "hc18"), fx.root)
    assert out.by_id["train_001_2HC"]["subject_id"] == "train-001"
    assert "examination" not in json.loads(out.by_id["train_001_2HC"]["extra"])


PALETTE_RGB = {1: (64, 0, 0), 6: (64, 64, 64)}  # chocolate cyst, normal ovary


def _mmotu_release(root, stems: dict[str, int]) -> None:
    """OTU_2d as the real release holds it: every image with <n>.PNG, <n>_binary.PNG and <n>_binary_binary.PNG."""
    base = root / "OTU_2d"
    for n, (stem, cls) in enumerate(stems.items()):
        save(base / "images" / f"{stem}.JPG", us_image(40, 48, 700 + n), fmt="JPEG")
        region = np.zeros((40, 48), bool)
        region[10:30, 12:36] = True
        colour = np.zeros((40, 48, 3), np.uint8)
        colour[region] = PALETTE_RGB[cls]
        save(base / "annotations" / f"{stem}.PNG", colour, fmt="PNG")
        binary = region.astype(np.uint8) * 255
        save(base / "annotations" / f"{stem}_binary.PNG", binary, fmt="PNG")
        save(base / "annotations" / f"{stem}_binary_binary.PNG", binary, fmt="PNG")
    (base / "train.txt").write_text("1\n10\n")
    (base / "val.txt").write_text("100\n")
    (base / "train_cls.txt").write_text("1.JPG  0\n10.JPG  5\n")
    (base / "val_cls.txt").write_text("100.JPG  0\n")


def test_mmotu_binary_binary_duplicates_are_ignored_not_dropped(tmp_path, convert):
    _mmotu_release(tmp_path / "src", {"1": 1, "10": 6, "100": 1})
    out = convert(make_entry("mmotu-2d", "mmotu-2d"), tmp_path / "src")
    assert len(out.rows) == 3
    assert out.splits() == {"train": 2, "test": 1}
    usage = out.metadata["source_files"]
    assert usage["dropped_by_reason"] == {}, usage["dropped_files"]
    assert usage["ignored"] == 3
    assert not [p for p in out.problems() if p["severity"] == "error"]
    assert set(np.unique(out.mask("10", "tumor")).tolist()) == {0, 6}
    assert out.by_id["10"]["label"] == "normal ovary"


def test_open_kidney_other_sonographer_and_duplicates_are_not_dropped(tmp_path, convert):
    fx = open_kidney.build(tmp_path / "src")
    first = tmp_path / "src" / "labels" / "reviewed_masks_1"
    for kind in ("capsule", "regions"):  # the repository ships the second sonographer's masks beside the first's
        for f in (first / kind).iterdir():
            second = tmp_path / "src" / "labels" / "reviewed_masks_2" / kind / f.name
            second.parent.mkdir(parents=True, exist_ok=True)
            second.write_bytes(f.read_bytes())
    out = convert(make_entry("open-kidney", "open-kidney"), tmp_path / "src")
    assert len(out.rows) == fx.expected["samples"]
    usage = out.metadata["source_files"]
    assert usage["dropped_by_reason"] == {}, usage["dropped_files"]
    assert usage["ignored"] == 4 * 2 + 3  # the other sonographer's masks, and the duplicate with its two masks
    assert out.problems("duplicate_image")[0]["sample_id"] == fx.expected["duplicate"]
