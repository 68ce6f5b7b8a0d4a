"""The converted output of one dataset per output kind, loaded by the third-party tools a user will use (the sweep in
tests/third_party_sweep.py: `usreg fetch ID --from-file TREE`, then Hugging Face datasets, pycocotools, mlcroissant).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from tests.fixtures.builders._common import rgb, save, us_image
from tests.third_party_sweep import TOOLS, check_dataset, load_hf


def test_hf_view_loads_samples_whose_names_hold_a_split_word(tmp_path):
    """`datasets` reads a split from every file name under data_dir: the training samples `test_image1` and
    `case-val-2` (pcosgen, tn3k and asus name samples so) loaded as test and validation splits without their
    metadata, and a mask target named like a split (`masks_dev/`) would too. Every split loads with its rows."""
    import datasets
    from PIL import Image

    from registry.formats.hf_folder import write_hf_folder

    (tmp_path / "images").mkdir()
    (tmp_path / "masks").mkdir()
    rows = []
    for i, (sid, split) in enumerate((("test_image1", "train"), ("case-val-2", "train"), ("image3", "test"))):
        Image.fromarray(np.full((8, 10), 40 * (i + 1), np.uint8)).save(tmp_path / "images" / f"{sid}.png")
        Image.fromarray(np.eye(8, 10, dtype=np.uint8) * (i + 1)).save(tmp_path / "masks" / f"{sid}.png")
        masks = [{"target": "dev", "path": f"masks/{sid}.png"}]
        rows.append({"sample_id": sid, "image": f"images/{sid}.png", "split": split, "label": "a", "masks": masks})
    assert write_hf_folder(tmp_path, rows) == {"test": 1, "train": 2}
    loaded = datasets.load_dataset("imagefolder", data_dir=str(tmp_path), cache_dir=str(tmp_path / "cache"))
    assert {name: ds.num_rows for name, ds in loaded.items()} == {"train": 2, "test": 1}
    train = {row["sample_id"]: row for row in loaded["train"]}
    assert sorted(train) == ["case-val-2", "test_image1"]
    assert np.asarray(train["case-val-2"]["image"]).max() == 80
    assert np.asarray(train["test_image1"]["mask_dev"]).max() == 1
    one = datasets.load_dataset("imagefolder", data_dir=str(tmp_path / "hf" / "train"), cache_dir=str(tmp_path / "c2"))
    assert list(one) == ["train"] and sorted(one["train"]["sample_id"]) == ["case-val-2", "test_image1"]
    assert load_hf(tmp_path, tmp_path / "c3") == "ok"


def _report_text(stage: Path) -> dict:
    """chinese-us-report-text's Data/ folder: new_<Organ>2.json (records with a finding and their images) and the
    <Organ>_report/ images (the layout of tests/loaders/test_real_layouts_j.py)."""
    doc = {"train": [{"uid": 1, "finding": "双侧乳腺", "image_path": ["1_1.jpeg"], "labels": 1}], "val": []}
    doc["test"] = [{"uid": 2, "finding": "左乳", "image_path": ["2_1.jpeg"], "labels": 2}]
    (stage / "Data").mkdir(parents=True)
    (stage / "Data" / "new_Mammary2.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    for n, name in enumerate(("1_1.jpeg", "2_1.jpeg")):
        save(stage / "Data" / "Mammary_report" / name, rgb(us_image(30, 40, 7100 + n)), fmt="JPEG")
    return {"samples": 2}


def _representatives() -> dict[str, tuple[str, Callable[[Path], dict], dict[str, str]]]:
    """One dataset per output kind: its id, the loader tests' builder of its layout, and each tool's expected result
    (COCO holds masks and boxes only: n/a for a set of class labels, video clips or text)."""
    from tests.loaders import (
        test_catalog_loaders,
        test_loaders_round2_more,
        test_loaders_round4_a,
        test_loaders_round4_b,
    )

    every = dict.fromkeys(TOOLS, "ok")
    no_coco = every | {"coco": "n/a"}
    return {
        "2D masks": ("tg3k", test_catalog_loaders.LAYOUTS["tg3k"], every),
        "boxes": ("tn5000", test_catalog_loaders.LAYOUTS["tn5000"], every),
        # test_bladder-0051.png-like names: the split word in a sample id (the hf/ view fix)
        "classes only": ("usanotai", test_catalog_loaders.LAYOUTS["usanotai"], no_coco),
        "video": ("blues", test_loaders_round2_more.LAYOUTS["blues"][1], no_coco),
        "volume": ("asus", test_loaders_round4_a.LAYOUTS["asus"][1], every),
        # given as the folder that holds the package (UnityLV-MultiX/): the unitylv-multix Images/ fix
        "keypoints": ("unitylv-multix", test_loaders_round4_b.LAYOUTS["unitylv-multix"][1], every),
        "text": ("chinese-us-report-text", _report_text, no_coco),
    }


@pytest.mark.parametrize("kind", ["2D masks", "boxes", "classes only", "video", "volume", "keypoints", "text"])
def test_every_applicable_tool_loads_one_dataset_of_each_output_kind(kind, tmp_path):
    """`usreg fetch ID --from-file TREE` on the loader tests' tree, then datasets, pycocotools and mlcroissant."""
    from tests.loaders.conftest import pack_download

    dataset, build, expected = _representatives()[kind]
    build(tmp_path / "stage")
    pack_download(tmp_path / "stage", tmp_path / "downloads", tmp_path / "tree")
    outcome = check_dataset(dataset, tmp_path / "tree", tmp_path / "work")
    assert outcome.converted, outcome.error
    assert outcome.kind == kind
    assert outcome.tools == expected
