"""fm-uia-2026: the CSV layout with segmentation, classification, detection and regression subtasks."""

from __future__ import annotations

import numpy as np

from tests.fixtures.builders import fm_uia
from tests.loaders.conftest import make_entry


def test_four_task_types(tmp_path, convert):
    fx = fm_uia.build(tmp_path / "src")
    out = convert(make_entry("fm-uia-2026", "fm-uia-2026"), fx.root)
    assert out.splits() == fx.expected["splits"]
    seg = out.by_id["train_breast_lesion_img_001"]
    assert [m["target"] for m in seg["masks"]] == ["breast_lesion"]
    three = out.mask("train_head_symphysis_multi_img_001", "head_symphysis_multi")
    assert set(np.unique(three)) == {0, 1, 2}
    assert out.metadata["targets"]["head_symphysis_multi"]["classes"] == {
        "0": "background",
        "1": "class_1",
        "2": "class_2",
    }
    assert out.by_id["train_breast_2cls_img_001"]["label"] == "breast_2cls/1"
    box = out.by_id["train_thyroid_nodule_det_img_001"]["boxes"][0]
    assert (box["x_min"], box["y_min"], box["x_max"], box["y_max"], box["category"]) == (
        10,
        20,
        50,
        60,
        "thyroid_nodule_det",
    )
    assert out.by_id["train_FUGC_img_001"]["points"] == [{"x": 12.0, "y": 34.0}, {"x": 56.0, "y": 58.0}]
    assert '"task_name": "Regression"' in out.by_id["train_FUGC_img_001"]["extra"]
    assert not out.problems()


def test_bad_rows_reported_with_line_numbers(tmp_path, convert):
    fx = fm_uia.build(tmp_path / "src", bad=True)
    out = convert(make_entry("fm-uia-2026", "fm-uia-2026"), fx.root)
    unknown = out.problems("unknown_label")
    assert len(unknown) == 1 and "line 3" in unknown[0]["message"] and "'7'" in unknown[0]["message"]
    assert out.by_id["train_breast_2cls_img_002"]["label"] is None
    missing = out.problems("missing_image")
    assert len(missing) == 1 and missing[0]["file"] == "data/train/csv_files/breast_2cls.csv"
    assert "line 4" in missing[0]["message"]
