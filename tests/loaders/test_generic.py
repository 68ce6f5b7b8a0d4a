"""The generic converters, configured from loader options only, with the bad-input cases of the issue."""

from __future__ import annotations

import numpy as np
import pytest
from pycocotools.coco import COCO

from registry.errors import UsregError
from tests.fixtures.builders import generic
from tests.loaders.conftest import make_entry

PALETTE_OPTS = {
    "encoding": "palette",
    "palette": [{"color": [255, 0, 0], "id": 1}, {"color": [0, 255, 0], "id": 2}, {"color": [0, 0, 0], "id": 0}],
}


def test_image_mask_folders_with_bad_input(tmp_path, convert):
    fx = generic.image_mask_folders(tmp_path / "src")
    opts = {
        "images": "{split}/images/{stem}.png",
        "masks": {"lesion": "{split}/masks/{stem}_mask.png"},
        "mask": PALETTE_OPTS,
        "classes": {"lesion": {1: "cyst", 2: "solid"}},
    }
    out = convert(make_entry("generic-a", "image-mask-folders", opts), fx.root)
    assert len(out.rows) == fx.expected["samples"]
    assert out.splits() == {"train": 3, "test": 2}
    assert set(np.unique(out.mask("a1", "lesion"))) == {0, 1, 2}
    assert out.metadata["targets"]["lesion"]["classes"] == {"0": "background", "1": "cyst", "2": "solid"}
    for file, kind in fx.expected["bad_files"].items():
        assert file in out.problem_files(kind), (file, kind, out.problems())
    assert not out.mask("c_off", "lesion").any()  # off-palette pixels set to background
    assert out.checks["mask_values_in_class_map"]["details"]["off_palette_files"] == ["test/masks/c_off_mask.png"]


def test_image_mask_folders_index_values_outside_class_map_fail(tmp_path, convert):
    fx = generic.csv_paths(tmp_path / "src")  # grey 0/255 masks
    opts = {
        "images": "data/img/{stem}.png",
        "masks": {"m": "data/gt/{stem}.png"},
        "mask": {"encoding": "index"},
        "classes": {"m": {1: "lesion"}},
    }
    out = convert(make_entry("generic-b", "image-mask-folders", opts), fx.root)
    check = out.checks["mask_values_in_class_map"]
    assert check["status"] == "fail" and all(v == [255] for v in check["details"]["bad"].values())


def test_class_folders_labels_and_unknown_class(tmp_path, convert):
    fx = generic.class_folders(tmp_path / "src")
    opts = {"images": "{split}/{label}/{stem}.png", "classes": ["normal", "abnormal"]}
    out = convert(make_entry("generic-c", "class-folders", opts, tasks=["classification"]), fx.root)
    assert len(out.rows) == fx.expected["samples"]
    assert sum(r["label"] == "abnormal" for r in out.rows) == 4
    assert fx.expected["unknown"] in out.problem_files("unknown_label")
    assert out.by_id["x"]["label"] is None
    assert out.checks["labels_in_class_map"]["status"] == "fail"
    assert out.metadata["labels"] == ["normal", "abnormal"]


def test_coco_polygons_rle_and_missing_images(tmp_path, convert):
    fx = generic.coco(tmp_path / "src")
    opts = {"annotations": "annotations/instances_{split}.json", "target": "lesion"}
    out = convert(make_entry("generic-d", "coco", opts), fx.root)
    assert len(out.rows) == fx.expected["samples"] and out.splits() == {"train": 3, "test": 1}
    mask = out.mask("c1", "lesion")
    assert (mask[10:25, 10:30] == 3).all() and (mask[40:50, 40:60] == 7).all()
    assert out.metadata["targets"]["lesion"]["classes"] == {"0": "background", "3": "nodule", "7": "cyst"}
    assert "missing.jpg" in out.problems("missing_image")[0]["message"]
    coco = COCO(str(out.path / "annotations" / "coco_train.json"))
    names = {c["name"] for c in coco.loadCats(coco.getCatIds())}
    assert names >= {"nodule", "cyst"}


def test_pascal_voc_split_lists_and_clipping(tmp_path, convert):
    fx = generic.pascal_voc(tmp_path / "src")
    out = convert(make_entry("generic-e", "pascal-voc", {"classes": ["cat", "dog"]}), fx.root)
    assert out.splits() == fx.expected["splits"]
    dog = out.by_id["v3"]["boxes"][0]
    assert (dog["x_min"], dog["y_max"]) == (10.5, 50.5) and dog["category_id"] == 2
    assert out.by_id["v2"]["boxes"] == []
    assert out.by_id["v4"]["boxes"][0]["x_max"] == 70  # clipped
    kinds = {p["kind"] for p in out.problems()}
    assert kinds == {"box_outside", "unknown_label"}


def test_csv_paths_subjects_and_labels(tmp_path, convert):
    fx = generic.csv_paths(tmp_path / "src")
    opts = {
        "csv": "{split}.csv",
        "image_column": "image_path",
        "mask_columns": {"lesion": "mask_path"},
        "label_column": "diagnosis",
        "subject_column": "patient",
        "labels": ["benign", "malignant"],
        "mask": {"threshold": 127},
    }
    out = convert(make_entry("generic-f", "csv-paths", opts), fx.root)
    assert len(out.rows) == fx.expected["samples"]
    assert {r["subject_id"] for r in out.rows} == {"p1", "p2", "p3"}
    assert len(out.problems("missing_image")) == 2
    assert "test.csv:3" in out.problems("unknown_label")[0]["file"]
    assert out.checks["subject_leakage"]["status"] == "pass"


def test_dicom_sources_and_phi_check(tmp_path, convert):
    fx = generic.dicom_class_folders(tmp_path / "src")
    out = convert(make_entry("generic-g", "class-folders", {"images": "{label}/{stem}.dcm"}), fx.root)
    phi = out.checks["dicom_phi"]
    assert phi["status"] == "fail"
    flagged = {f["file"] for f in phi["details"]["files"]}
    assert set(fx.expected["phi_files"]) <= flagged and fx.expected["clean"] not in flagged
    assert "PatientName" in phi["details"]["tags"] and "PatientID" in phi["details"]["tags"]
    assert out.by_id["US1_UNCR"]["channels"] == 3  # colour ultrasound kept in colour
    assert out.by_id["OBXXXX1A"]["width"] == 800  # palette-colour DICOM decoded through its LUT


def test_invalid_options_name_the_field(tmp_path, convert):
    fx = generic.class_folders(tmp_path / "src")
    with pytest.raises(UsregError) as err:
        convert(make_entry("generic-h", "image-mask-folders", {"imgs": "x"}), fx.root)
    assert "loader.options.imgs" in err.value.message and "images" in err.value.hint


def test_csv_of_bare_names_with_a_coded_split_column(tmp_path, convert):
    """The FETAL_PLANES_DB layout: ';'-separated CSV of names without folder or extension, Train = 1 / 0."""
    import numpy as np
    from PIL import Image

    root = tmp_path / "src" / "FETAL_PLANES_ZENODO"
    (root / "Images").mkdir(parents=True)
    rows = [
        ("Patient00001_Plane1_1_of_15", "Fetal abdomen", "1"),
        ("Patient00002_Plane3_1_of_3", "Fetal femur", "0"),
        ("Patient00003_Plane1_2_of_9", "Maternal cervix", "1"),
        ("Patient00004_Plane5_1_of_2", "Nope", "0"),
    ]
    for name, _, _ in rows:
        Image.fromarray(np.full((20, 30), 90, np.uint8)).save(root / "Images" / f"{name}.png")
    text = "Image_name;Patient_num;Plane;Train \n" + "".join(f"{n};{i};{p};{t}\n" for i, (n, p, t) in enumerate(rows))
    (root / "FETAL_PLANES_DB_data.csv").write_text(text)
    opts = {
        "csv": "FETAL_PLANES_DB_data.csv",
        "delimiter": ";",
        "image_column": "Image_name",
        "image_template": "Images/{}.png",
        "label_column": "Plane",
        "split_column": "Train",
        "split_values": {"1": "train", "0": "test"},
        "labels": ["Fetal abdomen", "Fetal femur", "Maternal cervix"],
    }
    out = convert(make_entry("fetal-planes-like", "csv-paths", opts, tasks=["classification"]), tmp_path / "src")
    assert out.splits() == {"train": 2, "test": 2}
    assert out.by_id["Patient00002_Plane3_1_of_3"]["label"] == "Fetal femur"
    assert out.by_id["Patient00004_Plane5_1_of_2"]["label"] is None  # reported below, the image kept
    assert out.by_id["Patient00001_Plane1_1_of_15"]["source_file"].endswith("Images/Patient00001_Plane1_1_of_15.png")
    assert "Nope" in out.problems("unknown_label")[0]["message"]


def test_csv_templates_from_several_columns_masks_and_coded_labels(tmp_path, convert):
    """Paths built from two columns ("{Center}/{Filename}.png"), masks from a template, labels from codes."""
    import numpy as np
    from PIL import Image

    root = tmp_path / "src" / "data"
    rows = [("Algeria", "Fetal_abdomen_1", "0"), ("Egypt", "Fetal_abdomen_1", "1"), ("Egypt", "Fetal_brain_2", "1")]
    for center, name, _ in rows:
        (root / center).mkdir(parents=True, exist_ok=True)
        (root / "mask" / center).mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.full((20, 30), 90, np.uint8)).save(root / center / f"{name}.png")
        mask = np.zeros((20, 30), np.uint8)
        mask[5:10, 5:10] = 255
        Image.fromarray(mask).save(root / "mask" / center / f"{name}.png")
    text = "Filename,Center,CATE\n" + "".join(f"{n},{c},{k}\n" for c, n, k in rows) + "Missing,,0\n"
    (root / "labels.csv").write_text(text)
    opts = {
        "csv": "labels.csv",
        "image_column": "Filename",
        "image_template": "{Center}/{}.png",
        "mask_templates": {"nodule": "mask/{Center}/{Filename}.png"},
        "mask": {"threshold": 127},
        "label_column": "CATE",
        "label_values": {"0": "benign", "1": "malignant"},
        "labels": ["benign", "malignant"],
    }
    entry = make_entry("templated", "csv-paths", opts, tasks=["classification", "segmentation"])
    out = convert(entry, tmp_path / "src")
    assert len(out.rows) == 3  # the two "Fetal_abdomen_1" images of two centres stay two samples
    assert len({r["sample_id"] for r in out.rows}) == 3
    assert sorted(r["label"] for r in out.rows) == ["benign", "malignant", "malignant"]
    assert {r["source_file"].split("/")[-2] for r in out.rows} == {"Algeria", "Egypt"}
    assert all(out.mask(r["sample_id"], "nodule").any() for r in out.rows)
    assert any("a column of '{Center}/{}.png' is empty" in p["message"] for p in out.problems())
