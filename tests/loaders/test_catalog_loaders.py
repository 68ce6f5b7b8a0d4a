"""The catalog's ``loader:`` fields: registered converters, valid options, cited layouts, and patterns that match.

The layout tests build a tiny tree in the layout each generic entry cites as evidence (folder names, file-name
patterns, mask encodings) and convert it with the real catalog entry, so a typo in a pattern fails here rather than
after a multi-gigabyte download.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from registry.loaders import GENERIC, names, validate_options
from tests.fixtures.builders._common import blob_mask, rgb, save, us_image
from tests.loaders.conftest import real_catalog

CATALOG = real_catalog()
WITH_LOADER = {i: d for i, d in sorted(CATALOG.datasets.items()) if d.loader is not None}
GENERIC_ENTRIES = sorted(i for i, d in WITH_LOADER.items() if d.loader.name in GENERIC)


def test_catalog_is_valid():
    assert not CATALOG.errors, "\n".join(f.render() for f in CATALOG.errors)


@pytest.mark.parametrize("entry_id", sorted(WITH_LOADER))
def test_loader_is_registered_and_its_options_parse(entry_id):
    loader = WITH_LOADER[entry_id].loader
    assert loader.name in names(), f"{entry_id}: no converter registered as {loader.name!r}"
    assert validate_options(loader.name, loader.options) == []


def test_at_least_20_datasets_have_loaders():
    assert len(WITH_LOADER) >= 20, sorted(WITH_LOADER)


def test_every_dataset_specific_converter_is_named_by_its_entry():
    for name in sorted(set(names()) - set(GENERIC)):
        assert name in CATALOG.datasets, f"converter {name!r} is registered under an id that is not a dataset"
        loader = CATALOG.datasets[name].loader
        assert loader is not None and loader.name == name, f"{name}: the entry does not use its own converter"


@pytest.mark.parametrize("entry_id", GENERIC_ENTRIES)
def test_generic_loaders_cite_the_layout_they_assume(entry_id):
    cited = [ev for ev in WITH_LOADER[entry_id].evidence if "loader" in ev.fields]
    assert cited and all(ev.quote for ev in cited), f"{entry_id}: no evidence with fields [loader] and a quote"


# --- tiny trees in each cited layout -----------------------------------------------------------------------------


def _jpeg(path: Path, array: np.ndarray) -> None:
    save(path, array, fmt="JPEG", quality=85)


def _tg3k(root: Path) -> dict:
    base = root / "Thyroid Dataset" / "tg3k"
    for i in range(3):
        _jpeg(base / "thyroid-image" / f"{i:04d}.jpg", rgb(us_image(40, 50, 7000 + i)))
        _jpeg(base / "thyroid-mask" / f"{i:04d}.jpg", blob_mask(40, 50, 7000 + i))
    (base / "tg3k-trainval.json").write_text('{"train": [0, 1], "val": [2]}')
    return {"samples": 3}


def _bus_uclm(root: Path) -> dict:
    base = root / "BUS-UCLM Breast ultrasound lesion segmentation dataset" / "BUS-UCLM"
    for i, (stem, colour) in enumerate((("ALFO_0001", (0, 255, 0)), ("ALFO_0002", None), ("COPE_0001", (255, 0, 0)))):
        save(base / "images" / f"{stem}.png", rgb(us_image(40, 50, 7050 + i)))
        mask = np.zeros((40, 50, 3), np.uint8)
        if colour:
            mask[10:25, 10:30] = colour
        save(base / "masks" / f"{stem}.png", mask)
    (base / "INFO.csv").write_text("Image;Label\nALFO_0001.png;Benign\n")
    return {
        "samples": 3,
        "subjects": {"ALFO_0001": "ALFO", "COPE_0001": "COPE"},
        "empty": {"ALFO_0002"},
        "mask_values": {"ALFO_0001": {0, 1}, "ALFO_0002": {0}, "COPE_0001": {0, 2}},
    }


def _ccaui(root: Path) -> dict:
    base = root / "Common Carotid Artery Ultrasound Images"
    for i, stem in enumerate(("202201121748100022VAS_slice_1128", "202201121748100022VAS_slice_1129")):
        save(base / "US images" / f"{stem}.png", rgb(us_image(40, 50, 7100 + i)))
        save(base / "Expert mask images" / f"{stem}.png", rgb(blob_mask(40, 50, 7100 + i)))
    return {"samples": 2}


def _buid(root: Path) -> dict:
    for label, n in (("Benign", 2), ("Malignant", 1)):
        for i in range(n):
            save(root / label / f"{i + 1} {label} Image.bmp", rgb(us_image(40, 50, 7200 + i)))
            Image.fromarray(blob_mask(40, 50, 7200 + i)).convert("1").save(root / label / f"{i + 1} {label} Mask.tif")
    return {"samples": 3, "labels": {"Benign": 2, "Malignant": 1}}


def _fh_ps_aop(root: Path) -> dict:
    import SimpleITK as sitk

    base = root / "Pubic Symphysis-Fetal Head Segmentation and Angle of Progression"
    (base / "image_mha").mkdir(parents=True)
    (base / "label_mha").mkdir(parents=True)
    for n in range(2):
        grey = us_image(48, 48, 7300 + n)
        sitk.WriteImage(sitk.GetImageFromArray(np.stack([grey] * 3)), str(base / "image_mha" / f"{n:05d}.mha"))
        lab = np.zeros((48, 48), np.uint8)
        lab[30:40, 10:30] = 1
        lab[5:25, 10:40] = 2
        sitk.WriteImage(sitk.GetImageFromArray(lab), str(base / "label_mha" / f"{n:05d}.mha"))
    return {"samples": 2, "mask_values": {"00000": {0, 1, 2}}}


def _cesarean(root: Path) -> dict:
    base = root / "VOCdevkit_CSD" / "VOCdevkit_CSD" / "VOC2007"
    for i in range(2):
        _jpeg(base / "JPEGImages" / f"{i}.jpg", rgb(us_image(40, 50, 7400 + i)))
        mask = Image.fromarray((blob_mask(40, 50, 7400 + i) > 0).astype(np.uint8), mode="L").convert("P")
        mask.putpalette([0, 0, 0, 128, 0, 0] + [0] * 762)
        (base / "SegmentationClass").mkdir(parents=True, exist_ok=True)
        mask.save(base / "SegmentationClass" / f"{i}.png")
    (base / "ImageSets" / "Segmentation").mkdir(parents=True)
    (base / "ImageSets" / "Segmentation" / "train.txt").write_text("0\n1\n99\n")
    return {"samples": 2}


def _c_trus(root: Path) -> dict:
    base = root / "c-trus-ad3ce4d4bbc4b89792f757c7aeb83f31f9a229bd"
    for i, stem in enumerate(("9U3YBUK", "E26MT6C")):
        _jpeg(base / "original" / f"{stem}.jpg", us_image(36, 58, 7500 + i))
        _jpeg(base / "labels" / f"{stem}.jpg", blob_mask(36, 58, 7500 + i))
    (base / "c-trus.csv").write_text("file,quality,quality_name,patient,testitem_in_fold\n9U3YBUK.jpg,1,medium,1,0\n")
    return {"samples": 2}


def _butterfly(root: Path) -> dict:
    for subset, patient, label in (
        ("training1", "1", "bladder"),
        ("training1", "1", "4ch"),
        ("training2", "12", "morisons_pouch"),
        ("test", "26", "bladder"),
    ):
        save(root / subset / patient / label / "img001.png", us_image(40, 50, 7600 + int(patient)))
    (root / "training2" / "training.csv").write_text("image_file,label\n")
    return {
        "samples": 4,
        "masks": 0,
        "labels": {"bladder": 2, "4ch": 1, "morisons_pouch": 1},
        "splits": {"train": 3, "test": 1},
        "subject_count": 3,
    }


def _usanotai(root: Path) -> dict:
    base = root / "USAnotAI-c8779e873adb12f7c98d10eb614b49a0f7785c40"
    for i, name in enumerate(
        ("train/bladder-0000.png", "train/bowel-0000.png", "test/bladder-0051.png", "test/bowel--0056.png")
    ):
        save(base / name, rgb(us_image(40, 50, 7700 + i)))
    (base / "README.md").write_text("# USAnotAI\n")
    return {"samples": 4, "masks": 0, "labels": {"bladder": 2, "bowel": 2}, "splits": {"train": 2, "test": 2}}


def _smc_lud(root: Path) -> dict:
    base = root / "clean_ver_for_train"
    for i, name in enumerate(
        (
            "train_clean/HCC/img001.png",
            "train_clean/Hemangioma/img001.png",
            "val_clean/HCC/img002.png",
            "test_clean/Hemangioma/img003.png",
        )
    ):
        save(base / name, rgb(us_image(40, 50, 7800 + i)))
    return {
        "samples": 4,
        "masks": 0,
        "labels": {"HCC": 2, "Hemangioma": 2},
        "splits": {"train": 2, "val": 1, "test": 1},
    }


def _gdph_sysucc(root: Path) -> dict:
    base = root / "GDPH&SYSUCC"
    for i, name in enumerate(("benign(0).png", "benign(1).png", "malignant(0).png")):
        save(base / "img" / name, us_image(40, 50, 7900 + i))
    (base / "label.csv").write_text("name,label\nbenign(0).png,0\nbenign(1).png,0\nmalignant(0).png,1\n")
    return {"samples": 3, "masks": 0, "labels": {"benign": 2, "malignant": 1}}


def _mmotu_3d(root: Path) -> dict:
    base = root / "MMOTU"
    for i in range(3):
        _jpeg(base / "OTU_3d" / "images" / f"{i + 1}.JPG", rgb(us_image(40, 50, 8000 + i)))
        colour = np.zeros((40, 50, 3), np.uint8)
        colour[10:25, 10:30] = (64, 0, 0)
        save(base / "OTU_3d" / "annotations" / f"{i + 1}.PNG", colour)
        binary = (blob_mask(40, 50, 8000 + i) > 0).astype(np.uint8)
        save(base / "OTU_3d" / "annotations" / f"{i + 1}_binary.PNG", binary)
    (base / "OTU_3d" / "train.txt").write_text("1\n2\n")
    (base / "OTU_3d" / "val.txt").write_text("3\n")
    _jpeg(base / "OTU_2d" / "images" / "9.JPG", rgb(us_image(40, 50, 8009)))  # the 2-D subset is not this entry
    return {"samples": 3, "mask_values": {"1": {0, 1}}}


def _roboflow_coco(root: Path) -> dict:
    import json

    categories = [
        {"id": 0, "name": "kidney-organs", "supercategory": "none"},
        {"id": 1, "name": "kidney", "supercategory": "kidney-organs"},
        {"id": 2, "name": "liver", "supercategory": "kidney-organs"},
    ]
    for n, split in enumerate(("train", "valid", "test")):
        name = f"img{n}_png.rf.0123456789abcdef.jpg"
        _jpeg(root / split / name, rgb(us_image(40, 50, 8100 + n)))
        doc = {
            "info": {"description": "Exported from roboflow.com"},
            "categories": categories,
            "images": [{"id": 0, "file_name": name, "height": 40, "width": 50}],
            "annotations": [
                {
                    "id": 0,
                    "image_id": 0,
                    "category_id": 1,
                    "bbox": [10, 10, 20, 15],
                    "area": 300,
                    "segmentation": [[10, 10, 30, 10, 30, 25, 10, 25]],
                    "iscrowd": 0,
                }
            ],
        }
        (root / split / "_annotations.coco.json").write_text(json.dumps(doc))
    return {"samples": 3, "splits": {"train": 1, "val": 1, "test": 1}, "boxes": 1}


def _tn5000(root: Path) -> dict:
    base = root / "TN5000" / "VOC2007"
    (base / "Annotations").mkdir(parents=True)
    (base / "ImageSets" / "Main").mkdir(parents=True)
    for i, (stem, cls) in enumerate((("000001", "0"), ("000002", "1"), ("000003", "1"))):
        _jpeg(base / "JPEGImages" / f"{stem}.jpg", rgb(us_image(40, 50, 8200 + i)))
        (base / "Annotations" / f"{stem}.xml").write_text(
            f"<annotation><filename>{stem}.jpg</filename><size><width>50</width><height>40</height><depth>3</depth>"
            f"</size><object><name>{cls}</name><difficult>0</difficult><bndbox><xmin>10</xmin><ymin>8</ymin>"
            "<xmax>30</xmax><ymax>25</ymax></bndbox></object></annotation>"
        )
    for split, stems in (("train", "000001"), ("val", "000002"), ("test", "000003")):
        (base / "ImageSets" / "Main" / f"{split}.txt").write_text(stems + "\n")
    return {"samples": 3, "masks": 0, "boxes": 1, "splits": {"train": 1, "val": 1, "test": 1}}


def _stmus_nda(root: Path) -> dict:
    base = root / "Polito-Radboud-DeepLearningUS" / "Segmentation_models" / "data" / "MuscleCNN"
    for i, (split, stem) in enumerate((("train", "BB_anon_425_2"), ("val", "TA_anon_17_1"), ("test", "GM_anon_9_3"))):
        save(base / split / f"{stem}.png", us_image(48, 52, 8300 + i))
        save(base / f"{split}annot" / f"{stem}.png", (blob_mask(48, 52, 8300 + i) > 0).astype(np.uint8))
    save(root / "Polito-Radboud-DeepLearningUS" / "BB" / "BB_anon_425_2.png", us_image(48, 52, 8309))
    return {"samples": 3, "splits": {"train": 1, "val": 1, "test": 1}, "mask_values": {"BB_anon_425_2": {0, 1}}}


def _fetal_planes_db(root: Path) -> dict:
    base = root / "FETAL_PLANES_ZENODO"
    rows = [
        ("Patient00001_Plane1_1_of_15", 1, "Fetal abdomen", 1),
        ("Patient00001_Plane3_2_of_15", 1, "Fetal femur", 1),
        ("Patient00168_Plane6_1_of_2", 168, "Maternal cervix", 0),
    ]
    for i, (name, _, _, _) in enumerate(rows):
        save(base / "Images" / f"{name}.png", us_image(40, 50, 8400 + i))
    (base / "FETAL_PLANES_DB_data.csv").write_text(
        "Image_name;Patient_num;Plane;Brain_plane;Operator;US_Machine;Train \n"
        + "".join(f"{n};{p};{plane};Not A Brain;Op. 1;Voluson E6;{t}\n" for n, p, plane, t in rows)
    )
    return {
        "samples": 3,
        "masks": 0,
        "splits": {"train": 2, "test": 1},
        "labels": {"Fetal abdomen": 1, "Fetal femur": 1, "Maternal cervix": 1},
    }


def _tn_scui_2020(root: Path) -> dict:
    base = root / "TNSCUI2020_train"
    for i in range(1, 4):
        save(base / "image" / f"{i:05d}.png", us_image(40, 50, 8500 + i))
        save(base / "mask" / f"{i:05d}.png", (blob_mask(40, 50, 8600 + i) > 0).astype(np.uint8) * 255)
    (base / "train.csv").write_text("ID,CATE\n00001.png,0\n00002.png,1\n00003.png,1\n")
    return {"samples": 3, "masks": 1, "mask_values": {"00001": {0, 1}}}


LAYOUTS: dict[str, Callable[[Path], dict]] = {
    "tg3k": _tg3k,
    "bus-uclm": _bus_uclm,
    "ccaui": _ccaui,
    "buid-qamebi": _buid,
    "fh-ps-aop": _fh_ps_aop,
    "cesarean-scar-defect": _cesarean,
    "c-trus": _c_trus,
    "butterfly-mitgrandhack-2018": _butterfly,
    "usanotai": _usanotai,
    "smc-lud": _smc_lud,
    "gdph-sysucc": _gdph_sysucc,
    "mmotu-3d": _mmotu_3d,
    "us-normal-kidney-roboflow": _roboflow_coco,
    "tn5000": _tn5000,
    "stmus-nda": _stmus_nda,
    "fetal-planes-db": _fetal_planes_db,
    "tn-scui-2020": _tn_scui_2020,
}


def _converted_in_other_modules() -> set[str]:
    """Entries that other test modules here convert in their cited layout (``CATALOG.datasets["<id>"]``)."""
    found: set[str] = set()
    for path in sorted(Path(__file__).parent.glob("test_*.py")):
        if path.name != Path(__file__).name:
            found |= set(re.findall(r'CATALOG\.datasets\["([a-z0-9-]+)"\]', path.read_text(encoding="utf-8")))
    return found


def test_every_new_generic_entry_has_a_layout_test():
    older = {"porcine-spinal-cord-detection"}  # dataset-specific converters cover the others
    tested = set(LAYOUTS) | _converted_in_other_modules()
    assert set(GENERIC_ENTRIES) - older <= tested, sorted(set(GENERIC_ENTRIES) - older - tested)


@pytest.mark.parametrize("entry_id", sorted(LAYOUTS))
def test_generic_loader_matches_its_cited_layout(entry_id, tmp_path, convert):
    expected = LAYOUTS[entry_id](tmp_path / "src")
    out = convert(WITH_LOADER[entry_id], tmp_path / "src")
    assert len(out.rows) == expected["samples"], out.problems()
    bad = [
        p
        for p in out.problems()
        if p["kind"] in {"missing_mask", "missing_image", "off_palette", "unreadable", "size_mismatch", "unknown_label"}
    ]
    assert not bad, bad
    for row in out.rows:
        assert len(row["masks"]) == expected.get("masks", 1), row
        if row["masks"]:
            foreground = out.mask(row["sample_id"], row["masks"][0]["target"]).any()
            assert foreground == (row["sample_id"] not in expected.get("empty", set())), row["sample_id"]
    for sid, subject in expected.get("subjects", {}).items():
        assert out.by_id[sid]["subject_id"] == subject
    for sid, values in expected.get("mask_values", {}).items():
        target = out.by_id[sid]["masks"][0]["target"]
        assert set(np.unique(out.mask(sid, target)).tolist()) == values
    if "boxes" in expected:
        assert all(len(row["boxes"]) == expected["boxes"] for row in out.rows), out.rows
    if "splits" in expected:
        assert out.splits() == expected["splits"]
    if "subject_count" in expected:
        assert len({row["subject_id"] for row in out.rows}) == expected["subject_count"]
    if "labels" in expected:
        got: dict[str, int] = {}
        for row in out.rows:
            got[row["label"]] = got.get(row["label"], 0) + 1
        assert got == expected["labels"]
