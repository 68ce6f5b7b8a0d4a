"""porcine-spinal-cord (RGB palette -> 10 classes) and porcine-spinal-cord-detection (Pascal-VOC XML)."""

from __future__ import annotations

import numpy as np
import pytest
from pycocotools.coco import COCO

from registry.loaders.datasets.porcine_spinal_cord import PALETTE
from tests.fixtures.builders import porcine_spinal_cord as fixture
from tests.loaders.conftest import make_entry


@pytest.mark.parametrize("wrapper", [True, False])
def test_segmentation_palette_to_class_ids(tmp_path, convert, wrapper):
    fx = fixture.build_segmentation(tmp_path / "src", wrapper=wrapper)
    out = convert(make_entry("porcine-spinal-cord", "porcine-spinal-cord"), fx.root)
    assert out.splits() == fx.expected["splits"]
    assert out.metadata["targets"]["anatomy"]["classes"]["6"] == "hematoma"
    mask = out.mask("train_x1", "anatomy")
    # band k of the fixture has colour PALETTE[(k + seed) % 10]; every class id must appear once per band
    assert set(np.unique(mask)) == set(range(10))
    assert out.image("train_x1").ndim == 2  # grey stored as RGB -> grey
    off = out.problems("off_palette")
    assert len(off) == 1 and off[0]["file"].endswith(fx.expected["off_palette_file"])
    assert f"{fx.expected['off_palette_pixels']} pixel(s)" in off[0]["message"] and "(255,255,0)" in off[0]["message"]
    assert out.checks["mask_values_in_class_map"]["status"] == "warn"
    assert out.metadata["splits"]["kind"] == "official"


def test_segmentation_entry_colours_win(tmp_path, convert):
    fx = fixture.build_segmentation(tmp_path / "src")
    classes = [{"id": k, "name": f"c{k}", "color": list(PALETTE[k][1])} for k in PALETTE]
    out = convert(make_entry("porcine-spinal-cord", "porcine-spinal-cord", annotation={"classes": classes}), fx.root)
    assert out.metadata["targets"]["anatomy"]["classes"]["6"] == "c6"


def test_segmentation_wrong_size_mask_skipped(tmp_path, convert):
    fx = fixture.build_segmentation(tmp_path / "src", bad=True)
    out = convert(make_entry("porcine-spinal-cord", "porcine-spinal-cord"), fx.root)
    assert "train_x9" not in out.by_id and len(out.rows) == 4
    assert any(f.endswith("train_images/x9.png") for f in out.problem_files("size_mismatch"))


def test_detection_boxes_and_negatives(tmp_path, convert):
    fx = fixture.build_detection(tmp_path / "src", wrapper="hematoma localization")
    out = convert(
        make_entry("porcine-spinal-cord-detection", "porcine-spinal-cord-detection", tasks=["detection"]), fx.root
    )
    assert out.splits() == fx.expected["splits"]
    assert out.by_id["p02_pre"]["boxes"] == []
    box = out.by_id["p01_a"]["boxes"][0]
    assert (box["x_min"], box["y_min"], box["x_max"], box["y_max"], box["category"]) == (100, 80, 220, 160, "hematoma")
    assert sum(len(r["boxes"]) for r in out.rows) == fx.expected["boxes"]
    coco = COCO(str(out.path / "annotations" / "coco_test.json"))
    assert len(coco.getAnnIds()) == 2 and coco.loadCats(coco.getCatIds())[0]["name"] == "hematoma"
    assert not out.problems()


def test_detection_bad_input(tmp_path, convert):
    fx = fixture.build_detection(tmp_path / "src", bad=True)
    out = convert(make_entry("porcine-spinal-cord-detection", "porcine-spinal-cord-detection"), fx.root)
    for file, kind in fx.expected["bad_files"].items():
        assert file in out.problem_files(kind), (file, kind)
    boxes = out.by_id["p05_out"]["boxes"]
    assert len(boxes) == 1 and boxes[0]["x_max"] == 690  # clipped; the box wholly outside is dropped
    assert "hemorrhage" in out.problems("unknown_label")[0]["message"]
    assert out.checks["boxes_inside_image"]["status"] == "fail"
    assert out.checks["boxes_inside_image"]["details"] == {"files": ["train/p05_out.xml"], "dropped": 1, "clipped": 1}
    assert out.checks["labels_in_class_map"]["status"] == "fail"
    assert "p07_noxml" not in out.by_id
