"""busi, hc18, camus, open-kidney, psfhs, aul, ddti and tn3k converters on fixtures in their real layouts."""

from __future__ import annotations

import numpy as np
from PIL import Image

from tests.fixtures.builders import aul, busi, camus, ddti, hc18, open_kidney, psfhs, tn3k
from tests.loaders.conftest import make_entry


def test_busi_unites_extra_masks_and_keeps_normals(tmp_path, convert):
    fx = busi.build(tmp_path / "src")
    out = convert(make_entry("busi", "busi"), fx.root)
    assert len(out.rows) == fx.expected["samples"]
    assert {
        label: sum(r["label"] == label for r in out.rows) for label in ("benign", "malignant", "normal")
    } == fx.expected["labels"]
    y0, y1, x0, x1 = fx.expected["second_mask_box"]
    assert out.mask(fx.expected["two_masks"], "lesion")[y0:y1, x0:x1].all()  # benign (2)_mask_1.png united
    assert not out.mask("normal_1", "lesion").any()
    assert out.metadata["splits"]["kind"] == "seeded-random"


def test_hc18_fills_ellipse_outlines(tmp_path, convert):
    fx = hc18.build(tmp_path / "src")
    out = convert(make_entry("hc18", "hc18", splits={"counts": {"train": 4, "test": 2}}), fx.root)
    assert out.splits() == fx.expected["splits"]
    assert out.checks["counts_match"]["status"] == "pass"
    for stem, box in fx.expected["ellipses"].items():
        got = out.mask(f"train_{stem}", "head").astype(bool)
        ref = np.asarray(hc18.filled(box)).astype(bool)
        iou = (got & ref).sum() / (got | ref).sum()
        assert iou > 0.95, (stem, iou)  # 002_HC is cut by the border and still closed
    assert out.by_id["train_001_2HC"]["subject_id"] == out.by_id["train_001_HC"]["subject_id"] == "train-001"
    assert out.by_id["test_000_HC"]["subject_id"] == "test-000"
    assert all(not r["masks"] for r in out.rows if r["split"] == "test")
    assert '"head_circumference_mm": 150.5' in out.by_id["train_000_HC"]["extra"]
    assert out.by_id["test_001_HC"]["extra"] == '{"pixel_size_mm": 0.14}'
    assert not out.problems()
    assert out.checks["subject_leakage"]["status"] == "pass"
    files = out.metadata["source_files"]  # the two CSV tables the converter read are used, not "other, not read"
    assert files["other_not_used"] == 0 and files["used"] == files["total"]


def test_camus_official_split_and_sequences(tmp_path, convert):
    fx = camus.build(tmp_path / "src")
    out = convert(make_entry("camus", "camus"), fx.root)
    assert len(out.rows) == fx.expected["samples"] and out.splits() == fx.expected["splits"]
    assert set(np.unique(out.mask("patient0001_2CH_ED", "heart"))) == {0, 1, 2, 3}
    assert out.by_id["patient0002_4CH_ES"]["subject_id"] == "patient0002"
    assert '"imagequality": "Good"' in out.by_id["patient0001_2CH_ED"]["extra"]
    # the half sequences are left out on purpose with frames: ed-es, not dropped (a complete conversion)
    assert out.metadata["source_files"]["dropped"] == 0 and out.metadata["status"]["state"] == "complete"
    seq = convert(make_entry("camus", "camus", {"frames": "sequence"}), fx.root, version="seq")
    assert len(seq.rows) == fx.expected["sequence_samples"]
    assert sorted({r["frame"] for r in seq.rows}) == [0, 1, 2]


def test_open_kidney_targets_views_and_duplicates(tmp_path, convert):
    fx = open_kidney.build(tmp_path / "src")
    out = convert(make_entry("open-kidney", "open-kidney"), fx.root)
    assert len(out.rows) == fx.expected["samples"]
    assert fx.expected["duplicate"] not in out.by_id
    assert out.problems("duplicate_image")[0]["sample_id"] == fx.expected["duplicate"]
    sid = "1_IM-0001-0001_anon"
    assert set(np.unique(out.mask(sid, "regions"))) == {0, 1, 2, 3}
    assert set(np.unique(out.mask(sid, "capsule"))) == {0, 1}
    assert out.by_id[sid]["label"] == "Longitudinal"
    assert '"transplant": true' in out.by_id["2_IM-0002-0005_anon"]["extra"]


def test_psfhs_channel_first_mha(tmp_path, convert):
    """The catalog entry's generic image-mask-folders configuration (UltraBench's layout) on PSFHS.zip's tree."""
    from registry.catalog import load_catalog
    from tests.conftest import REPO_ROOT

    CATALOG = load_catalog(REPO_ROOT, only=[REPO_ROOT / "entries/datasets/psfhs.yaml"])
    entry = CATALOG.datasets["psfhs"]
    assert entry.loader.name == "image-mask-folders"
    fx = psfhs.build(tmp_path / "src")
    out = convert(entry, fx.root)
    assert len(out.rows) == fx.expected["samples"]
    assert out.image("00000").shape == (64, 64)  # 3 equal channels stored first -> grey
    assert set(np.unique(out.mask("00000", "psfh"))) == {0, 1, 2}
    assert out.metadata["splits"]["kind"] == "seeded-random"


def test_aul_polygons_and_quirks(tmp_path, convert):
    fx = aul.build(tmp_path / "src")
    out = convert(make_entry("aul", "aul"), fx.root)
    assert len(out.rows) == fx.expected["samples"]
    targets = {r["sample_id"]: sorted(m["target"] for m in r["masks"]) for r in out.rows}
    assert targets[fx.expected["no_liver"]] == ["mass", "outline"]
    assert targets[fx.expected["swapped"]] == ["liver", "mass"]  # 229's outline file is the liver
    assert targets["normal_3"] == ["liver", "mass", "outline"] and not out.mask("normal_3", "mass").any()
    liver = out.mask(fx.expected["swapped"], "liver")
    assert liver[10:60, 10:80].all() and not liver[:5].any()
    assert out.by_id["benign_1"]["label"] == "benign"
    assert fx.expected["no_liver"] in {p.get("sample_id") for p in out.problems("missing_mask")}


def test_ddti_repairs_truncated_outline(tmp_path, convert):
    fx = ddti.build(tmp_path / "src")
    out = convert(make_entry("ddti", "ddti"), fx.root)
    assert sorted(out.by_id) == ["1_1", "1_2", "2_1"]
    assert out.problems("repaired")[0]["file"] == fx.expected["repaired"]
    assert out.mask("2_1", "nodule")[25:45, 25:55].all()
    assert fx.expected["orphan"] in out.problem_files("missing_annotation")
    assert out.by_id["1_2"]["label"] == "4a" and out.by_id["1_1"]["subject_id"] == "1"
    assert out.metadata["splits"]["kind"] == "seeded-subject"
    assert out.by_id["1_1"]["split"] == out.by_id["1_2"]["split"]


def test_tn3k_jpeg_masks_and_fold_file(tmp_path, convert):
    fx = tn3k.build(tmp_path / "src")
    out = convert(make_entry("tn3k", "tn3k"), fx.root)
    assert out.splits() == fx.expected["splits"]
    mask = out.mask("trainval_0000", "nodule")
    assert set(np.unique(mask)) == {0, 1}  # JPEG noise thresholded
    src = np.asarray(Image.open(fx.root / "tn3k" / "trainval-mask" / "0000.jpg").convert("L"))
    assert ((src > 127) == (mask == 1)).all()
