"""Round 7 (j): catalog datasets converted in the layout that the authors' code or the host's export format shows.

amubus: bscs12/BUSSAM (commit 42c3013). Its README shows ``datasets/{AMUBUS,BUSI}/{img,label}/<name>.png`` with
``datasets/MainPatient/{AMUBUS,BUSI}_{train,val,test}.txt`` and ``class.json``; ``utils/data_us.py`` reads a train or
val line as ``<class id>/AMUBUS/<name>`` and a test line as ``AMUBUS/<name>``, both images greyscale, and sets mask
values above 1 to 1 (so a 0/255 and a 0/1 mask both give a lesion). The Baidu share's packaging was not seen, so the
fixture is a zip of the README's datasets/ folder, with BUSI beside AMUBUS as the share holds both.

liver-ultrasound-roboflow: a Roboflow Universe "COCO" export (rfdetr's and Luxonis's documentation of the format):
``<project>.v<N>i.coco.zip`` holding README.dataset.txt, README.roboflow.txt and train/ valid/ test/, each with the
images (``<name>_png.rf.<hash>.jpg``) and an ``_annotations.coco.json`` whose category 0 is the project's root
category. Boxes only (a box export's ``segmentation`` lists are empty). The project's class names were not read; the
fixture's names are placeholders, and the converter takes whatever the export declares.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from tests.fixtures.builders._common import blob_mask, rgb, save, us_image
from tests.loaders.conftest import (
    check_converted_layout,
    convert_layout,
    fetch_from_file_then_load,
    from_file_args,
    real_catalog,
)

CATALOG = real_catalog()
LESION = {"lesion": {0: "background", 1: "lesion"}}


# --- amubus -------------------------------------------------------------------------------------------------------

AMUBUS_ZIP = "datasets.zip"
AMUBUS_SPLITS = {"train": ["101_1", "101_2", "102_1", "103_4"], "val": ["104_1"], "test": ["105_2", "106_1"]}


def _amubus(stage: Path, missing_label: bool = False, unlisted: bool = False) -> dict:
    """datasets/AMUBUS/{img,label}/<name>.png (mask 0/255; one 0/1), datasets/BUSI/{img,label}/ beside it, and
    datasets/MainPatient/ with the AMUBUS and BUSI lists (train/val '1/<set>/<name>', test '<set>/<name>') and
    class.json."""
    root = stage / AMUBUS_ZIP / "datasets"
    main = root / "MainPatient"
    main.mkdir(parents=True)
    names = [n for split in AMUBUS_SPLITS.values() for n in split]
    for i, name in enumerate(names):
        seed = 9100 + i
        save(root / "AMUBUS" / "img" / f"{name}.png", us_image(40, 52, seed))
        if missing_label and name == "103_4":
            continue
        mask = blob_mask(40, 52, seed)
        save(root / "AMUBUS" / "label" / f"{name}.png", (mask > 0).astype(np.uint8) if name == "104_1" else mask)
    for split, stems in AMUBUS_SPLITS.items():
        prefix = "" if split == "test" else "1/"
        (main / f"AMUBUS_{split}.txt").write_text("".join(f"{prefix}AMUBUS/{s}\n" for s in stems))
    for n, split in enumerate(("train", "val", "test")):  # BUSI's own lists and files: not this entry
        stem = f"benign ({n + 1})"
        save(root / "BUSI" / "img" / f"{stem}.png", us_image(40, 52, 9200 + n))
        save(root / "BUSI" / "label" / f"{stem}.png", blob_mask(40, 52, 9200 + n))
        prefix = "" if split == "test" else "1/"
        (main / f"BUSI_{split}.txt").write_text(f"{prefix}BUSI/{stem}\n")
    (main / "class.json").write_text(json.dumps({"AMUBUS": 2, "BUSI": 2}))
    expected: dict = {
        "samples": 7,
        "splits": {"train": 4, "val": 1, "test": 2},
        "targets": LESION,
        "masked": 7,
        "ignored": 6,
        "mask_values": {"101_1": {0, 1}, "104_1": {0, 1}},
    }
    if missing_label:  # BUSSAM would fail on cv2.imread(None); here the image is reported and dropped
        expected.update(
            samples=6,
            splits={"train": 3, "val": 1, "test": 2},
            masked=6,
            errors=[
                {
                    "kind": "missing_mask",
                    "file": "datasets/AMUBUS/img/103_4.png",
                    "message": "no mask for target(s) lesion; image skipped",
                    "severity": "error",
                    "sample_id": "103_4",
                }
            ],
            dropped={"missing_mask": 1},
        )
    if unlisted:  # an image and mask in no list: kept with a seeded split, and reported as in no published list
        save(root / "AMUBUS" / "img" / "107_1.png", us_image(40, 52, 9300))
        save(root / "AMUBUS" / "label" / "107_1.png", blob_mask(40, 52, 9300))
        (main / "AMUBUS_test.txt").write_text("AMUBUS/105_2\nAMUBUS/106_1\nAMUBUS/199_9\n")
        expected.update(
            samples=8,
            masked=8,
            split_kind="official-partial",
            problems={
                ("not_in_split_list", "datasets/AMUBUS/img/107_1.png"),
                ("listed_not_found", "datasets/MainPatient/AMUBUS_test.txt"),
            },
        )
        del expected["splits"]
    return expected


def test_amubus_converts_the_bussam_layout(tmp_path, convert):
    out, expected = convert_layout(convert, CATALOG.datasets["amubus"], _amubus, tmp_path)
    check_converted_layout(out, expected)
    assert out.by_id["104_1"]["split"] == "val" and out.by_id["106_1"]["split"] == "test"
    assert out.by_id["101_1"]["subject_id"] is None  # no subject ids in the release
    assert out.metadata["splits"]["published_lists"] == [
        "datasets/MainPatient/AMUBUS_test.txt",
        "datasets/MainPatient/AMUBUS_train.txt",
        "datasets/MainPatient/AMUBUS_val.txt",
    ]


def test_amubus_reports_an_image_without_a_label(tmp_path, convert):
    build = lambda s: _amubus(s, missing_label=True)  # noqa: E731
    out, expected = convert_layout(convert, CATALOG.datasets["amubus"], build, tmp_path)
    check_converted_layout(out, expected)


def test_amubus_reports_unlisted_images_and_list_lines_without_a_file(tmp_path, convert):
    build = lambda s: _amubus(s, unlisted=True)  # noqa: E731
    out, expected = convert_layout(convert, CATALOG.datasets["amubus"], build, tmp_path)
    check_converted_layout(out, expected)
    assert out.by_id["106_1"]["split"] == "test"
    assert sum(1 for r in out.rows if r["split"] == "train") >= 4


def test_usreg_fetch_amubus_from_the_datasets_zip_then_load(tmp_path, run_cli, usreg_home):
    """`usreg fetch amubus --from-file datasets.zip`: no count is declared, so every check passes."""
    expected = _amubus(tmp_path / "stage")
    output, ds = fetch_from_file_then_load(run_cli, "amubus", *from_file_args(tmp_path / "stage", tmp_path))
    assert "ready" in output
    assert len(ds) == expected["samples"]


# --- liver-ultrasound-roboflow ------------------------------------------------------------------------------------

LIVER_ZIP = "liver_ultrasound.v1i.coco.zip"
# Placeholder names (the project's 14 class names were not read): the converter takes the export's categories.
LIVER_CATEGORIES = [
    {"id": 0, "name": "organs", "supercategory": "none"},
    {"id": 1, "name": "gallbladder", "supercategory": "organs"},
    {"id": 2, "name": "kidney", "supercategory": "organs"},
    {"id": 3, "name": "liver", "supercategory": "organs"},
]
LIVER_IMAGES = {
    "train": [("scan01_png", [(3, 4, 6, 30, 24), (2, 20, 18, 14, 12)]), ("scan02_png", [(3, 6, 8, 28, 20)])],
    "valid": [("scan03_png", [(1, 10, 10, 12, 8)])],
    "test": [("scan04_png", [(3, 5, 5, 30, 25)]), ("scan05_png", [])],  # an image with no object
}


def _rf(stem: str) -> str:
    """Roboflow's renamed file stem, ``<name>_png.rf.<32 hex digits>``."""
    return f"{stem}.rf.{hashlib.md5(stem.encode()).hexdigest()}"


def _liver(stage: Path, stray: bool = False, missing: bool = False) -> dict:
    root = stage / LIVER_ZIP
    root.mkdir(parents=True)
    (root / "README.dataset.txt").write_text("# liver_ultrasound > 2023-01-01\nhttps://universe.roboflow.com\n")
    (root / "README.roboflow.txt").write_text("This dataset was exported via roboflow.com\n")
    seed = 9400
    for split, images in LIVER_IMAGES.items():
        doc: dict = {
            "info": {"description": "Exported from roboflow.com"},
            "licenses": [],
            "categories": LIVER_CATEGORIES,
            "images": [],
            "annotations": [],
        }
        for n, (stem, objects) in enumerate(images):
            name = f"{_rf(stem)}.jpg"
            seed += 1
            if not (missing and stem == "scan02_png"):
                save(root / split / name, rgb(us_image(40, 50, seed)), fmt="JPEG", quality=90)
            doc["images"].append({"id": n, "license": 1, "file_name": name, "height": 40, "width": 50})
            for cid, x, y, w, h in objects:
                doc["annotations"].append(
                    {
                        "id": len(doc["annotations"]),
                        "image_id": n,
                        "category_id": cid,
                        "bbox": [x, y, w, h],
                        "area": w * h,
                        "segmentation": [],
                        "iscrowd": 0,
                    }
                )
        (root / split / "_annotations.coco.json").write_text(json.dumps(doc))
    expected: dict = {
        "samples": 5,
        "splits": {"train": 2, "val": 1, "test": 2},
        "box_categories": ["gallbladder", "kidney", "liver"],
        "boxes": {
            _rf("scan01_png"): [("liver", 4.0, 6.0, 34.0, 30.0), ("kidney", 20.0, 18.0, 34.0, 30.0)],
            _rf("scan05_png"): [],
        },
        "problems": {("root_category", "train/_annotations.coco.json")},
    }
    if stray:  # an image in a split folder that its _annotations.coco.json does not list
        save(root / "train" / "extra_png.rf.0.jpg", rgb(us_image(40, 50, 9499)), fmt="JPEG")
        expected["dropped"] = {"layout": 1}
    if missing:  # listed in train's file but absent from the zip
        expected.update(
            samples=4,
            splits={"train": 1, "val": 1, "test": 2},
            errors=[
                {
                    "kind": "missing_image",
                    "file": "train/_annotations.coco.json",
                    "message": f"image '{_rf('scan02_png')}.jpg' listed in the file is not in the download",
                    "severity": "error",
                }
            ],
        )
    return expected


def test_liver_ultrasound_roboflow_converts_the_coco_export(tmp_path, convert):
    out, expected = convert_layout(convert, CATALOG.datasets["liver-ultrasound-roboflow"], _liver, tmp_path)
    check_converted_layout(out, expected)
    assert all(r["masks"] == [] for r in out.rows)  # a box project: no label maps


def test_liver_ultrasound_roboflow_reports_a_stray_and_a_missing_image(tmp_path, convert):
    build = lambda s: _liver(s, stray=True, missing=True)  # noqa: E731
    out, expected = convert_layout(convert, CATALOG.datasets["liver-ultrasound-roboflow"], build, tmp_path)
    check_converted_layout(out, expected)
    assert [d["file"] for d in out.metadata["source_files"]["dropped_files"]] == ["train/extra_png.rf.0.jpg"]


def test_usreg_fetch_liver_ultrasound_roboflow_from_the_export_zip_then_load(tmp_path, run_cli, usreg_home):
    """`usreg fetch liver-ultrasound-roboflow --from-file liver_ultrasound.v1i.coco.zip`: no count is declared."""
    expected = _liver(tmp_path / "stage")
    args = from_file_args(tmp_path / "stage", tmp_path)
    output, ds = fetch_from_file_then_load(run_cli, "liver-ultrasound-roboflow", *args)
    assert "ready" in output
    assert len(ds) == expected["samples"]
