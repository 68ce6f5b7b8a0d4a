"""bus-bra (Case ids, official 5-fold split), mmotu-2d (JPG, palette + binary masks, lists) and gist514-db."""

from __future__ import annotations

import numpy as np
from pycocotools.coco import COCO

from tests.fixtures.builders import bus_bra, gist514, mmotu
from tests.loaders.conftest import make_entry


def test_bus_bra_cases_and_official_folds(tmp_path, convert):
    fx = bus_bra.build(tmp_path / "src")
    out = convert(make_entry("bus-bra", "bus-bra", counts={"images": 6, "subjects": 4}), fx.root)
    assert sorted(r["sample_id"] for r in out.rows if r["split"] == "test") == fx.expected["test_ids"]
    assert out.metadata["splits"]["kind"] == "official"
    assert out.by_id["bus_0001-r"]["subject_id"] == "1" and out.by_id["bus_0001-r"]["label"] == "malignant"
    assert '"fold": 1' in out.by_id["bus_0001-r"]["extra"] and '"birads": "4"' in out.by_id["bus_0001-r"]["extra"]
    assert out.checks["subject_leakage"]["status"] == "pass"
    assert out.checks["counts_match"]["status"] == "pass"
    assert set(np.unique(out.mask("bus_0002-s", "lesion"))) == {0, 1}


def test_bus_bra_ten_fold_option(tmp_path, convert):
    fx = bus_bra.build(tmp_path / "src")
    out = convert(make_entry("bus-bra", "bus-bra", {"folds": 10, "test_fold": 3}), fx.root)
    assert sorted(r["sample_id"] for r in out.rows if r["split"] == "test") == ["bus_0002-l", "bus_0002-s"]
    assert out.metadata["splits"]["test_fold"] == 3


def test_mmotu_masks_labels_and_lists(tmp_path, convert):
    fx = mmotu.build(tmp_path / "src")
    out = convert(make_entry("mmotu-2d", "mmotu-2d"), fx.root)
    assert len(out.rows) == 3  # OTU_3d ignored, _binary_binary ignored
    assert out.splits() == fx.expected["splits"]
    for sid, label in fx.expected["labels"].items():
        assert out.by_id[sid]["label"] == label
    assert set(np.unique(out.mask("2", "tumor"))) == {0, 6}  # (64,64,64) normal ovary
    assert set(np.unique(out.mask("2", "tumor_binary"))) == {0, 1}
    assert (out.mask("2", "tumor") > 0).sum() == out.mask("2", "tumor_binary").sum()
    assert not out.problems()


def test_gist514_polygons_and_five_splits(tmp_path, convert):
    fx = gist514.build(tmp_path / "src")
    out = convert(make_entry("gist514-db", "gist514-db"), fx.root)
    assert [r["sample_id"] for r in out.rows if r["split"] == "test"] == fx.expected["test_ids"]
    assert out.by_id["b"]["label"] == "gist" and out.by_id["a"]["label"] == "lmym"  # "GIST" normalised
    assert set(np.unique(out.mask("b", "lesion"))) == {0, 2}
    for sid, fold in fx.expected["folds"].items():
        assert f'"fold": {fold}' in out.by_id[sid]["extra"]
    coco = COCO(str(out.path / "annotations" / "coco_train.json"))
    ann = coco.loadAnns(coco.getAnnIds())[0]
    assert coco.annToMask(ann).sum() == ann["area"] > 0
    out3 = convert(make_entry("gist514-db", "gist514-db", {"split_index": 3}), fx.root, version="s3")
    assert [r["sample_id"] for r in out3.rows if r["split"] == "test"] == ["d"]
