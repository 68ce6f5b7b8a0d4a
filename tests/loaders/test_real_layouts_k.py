"""Quirks of real copies of the downloads (set k), rebuilt in tiny fixtures made by code.

No real data is stored here: each fixture rebuilds only the file, folder and key names that the real copy showed,
with synthetic pixels.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.fixtures.builders._common import blob_mask, rgb, save, us_image
from tests.loaders.conftest import real_catalog


def test_usanotai_double_hyphen_test_names_keep_their_organ(tmp_path: Path, convert) -> None:
    # ftsvd/USAnotAI@c8779e8 (the release itself): train/<organ>-0000.png ... -0050.png, and test/<organ>-0051.png ...
    # -0055.png beside test/<organ>--0056.png ... --0060.png for every organ but bladder (25 names with a double
    # hyphen). The organ is the prefix before the first hyphen; a greedy read would make 'bowel-' a seventh class.
    src = tmp_path / "USAnotAI"
    names = ["train/bowel-0000.png", "train/spleen-0000.png", "test/bladder-0056.png"]
    names += ["test/bowel-0051.png", "test/bowel--0056.png", "test/spleen--0060.png"]
    for n, name in enumerate(names):
        save(src / name, us_image(64, 64, 7300 + n))
    out = convert(real_catalog().datasets["usanotai"], src)
    labels = {r["source_file"]: r["label"] for r in out.rows}
    assert labels == {name: Path(name).name.split("-")[0] for name in names}
    assert out.splits() == {"train": 2, "test": 4}
    assert len({r["sample_id"] for r in out.rows}) == len(names)
    assert out.metadata["source_files"]["dropped"] == 0


def test_ultrasound_fetus_annotation_masks_are_not_malignant_images(tmp_path: Path, convert) -> None:
    # No real copy of the Kaggle images was found. A user's notebook on the download
    # (MustaqueemAlam/impact-of-image-preprocessing-on-fetal-ultrasound@55a9dea) counts 1,669 images in
    # Data/{train,test,validation}/{benign,malignant,normal}/ only after leaving out the files named with 'Annotation',
    # and a third party's adapter shows them: <stem>_Annotation.png masks beside their images in the malignant folders,
    # under 'Ultrasound Fetus Dataset/Ultrasound Fetus Dataset/Data/Data/'. class-folders converted every such mask as
    # one more malignant image; the entry's ignore pattern now leaves them out, reported as ignored.
    src = tmp_path / "Ultrasound Fetus Dataset" / "Ultrasound Fetus Dataset" / "Data" / "Data"
    images = ["train/benign/001_HC.png", "train/malignant/002_HC.png", "validation/malignant/003_HC.png"]
    images += ["test/normal/004_HC.png", "test/malignant/005_HC.png"]
    for n, name in enumerate(images):
        save(src / name, us_image(60, 80, 7400 + n))
        if "/malignant/" in name:
            save(src / name.replace(".png", "_Annotation.png"), blob_mask(60, 80, 7450 + n))
    out = convert(real_catalog().datasets["ultrasound-fetus-anitha"], tmp_path)
    assert sorted(r["sample_id"] for r in out.rows) == ["001_HC", "002_HC", "003_HC", "004_HC", "005_HC"]
    assert out.splits() == {"train": 2, "val": 1, "test": 2}
    assert sorted(r["label"] for r in out.rows) == ["benign", "malignant", "malignant", "malignant", "normal"]
    usage = out.metadata["source_files"]
    assert (usage["ignored"], usage["dropped"]) == (3, 0)


def test_cca_mi_segnet_vals_set_is_the_validation_split(tmp_path: Path, convert) -> None:
    # No real copy of the images was found. A third party's copy of the Google Drive download lists
    # MI_SegNet_dataset/{Training,ValS,TS3}/{img,label}/, and the authors' first train_MI_SegNet.py
    # (yuan-12138/MI-SegNet@13047b9) tested on NUM_TEST_DEMO=['ValS']. The ValS set kept its folder name as split, which
    # no split of the Hugging Face view holds, so datasets users never saw it.
    src = tmp_path / "MI_SegNet_dataset"
    for n, (name, count) in enumerate([("Training", 3), ("ValS", 2), ("TS3", 1)]):
        for i in range(count):
            save(src / name / "img" / f"{i:04d}.png", us_image(48, 48, 7500 + 10 * n + i))
            save(src / name / "label" / f"{i:04d}.png", (blob_mask(48, 48, 7550 + 10 * n + i) > 0).astype("uint8"))
    out = convert(real_catalog().datasets["cca-mi-segnet"], tmp_path)
    assert out.splits() == {"train": 3, "val": 2, "test": 1}


def test_fass_images_of_one_p_id_stay_in_one_seeded_split(tmp_path: Path, convert) -> None:
    # No real copy of the images was found. A third party's adapter for the download (tbrokowski/ultatron@0598ecc)
    # names the pairs IMAGES/P<id>_IMG<N>.png and ARRAY_FORMAT/P<id>_IMG<N>.npy (P01_IMG1, P01_IMG2, ...) and keeps a
    # P<id> together. The seeded split drew image by image, so a P<id>'s images fell in several splits.
    base = tmp_path / "Fetal Abdominal Structures Segmentation Dataset Using Ultrasonic Images"
    (base / "ARRAY_FORMAT").mkdir(parents=True)
    for p in range(1, 13):
        for i in range(1, 4):
            stem, seed = f"P{p:02d}_IMG{i}", 7600 + 10 * p + i
            save(base / "IMAGES" / f"{stem}.png", rgb(us_image(36, 44, seed)))
            structures = {k: blob_mask(36, 44, seed + n) > 0 for n, k in enumerate(("liver", "stomach", "artery"))}
            structures["vein"] = np.zeros((36, 44), bool)
            np.save(base / "ARRAY_FORMAT" / f"{stem}.npy", np.array({"structures": structures}, dtype=object))
    out = convert(real_catalog().datasets["fass"], tmp_path)
    assert len(out.rows) == 36
    splits: dict[str, set[str]] = {}
    for r in out.rows:
        splits.setdefault(r["sample_id"].split("_")[0], set()).add(r["split"])
    assert all(len(s) == 1 for s in splits.values()), splits
    assert len({s for group in splits.values() for s in group}) > 1


def test_lung_us_3class_patient_folders_inside_class_folders(tmp_path: Path, convert) -> None:
    # No real copy was found. The Marconi Lab's split script for this release
    # (Marconi-Lab/lung-ultrasound-ai-disease-classification@89d19ee, sort_lus_data.py) copies whole patient folders
    # named by the metadata's _uuid: <split>/<class>/<_uuid>/<image>. The loader took only images lying directly in
    # dataset/<split>/<class>/ (a third party's listing) and converted nothing from the nested tree; both are taken now,
    # and the patient folder is the subject.
    src = tmp_path / "dataset"
    nested = {
        "train/covid/0b6f2d0e-1f3a-4c55-9a7e-2f1d3c4b5a61/1.png": "0b6f2d0e-1f3a-4c55-9a7e-2f1d3c4b5a61",
        "train/covid/0b6f2d0e-1f3a-4c55-9a7e-2f1d3c4b5a61/2.png": "0b6f2d0e-1f3a-4c55-9a7e-2f1d3c4b5a61",
        "validation/healthy/5c2e9a41-7d8b-4e0f-b1a2-9c8d7e6f5a43/1.png": "5c2e9a41-7d8b-4e0f-b1a2-9c8d7e6f5a43",
        "test/other/a7d4c3b2-0e1f-4a5b-8c9d-1e2f3a4b5c6d/1.png": "a7d4c3b2-0e1f-4a5b-8c9d-1e2f3a4b5c6d",
    }
    for n, name in enumerate([*nested, "train/healthy/flat.png"]):
        save(src / name, us_image(40, 50, 7700 + n))
    out = convert(real_catalog().datasets["lung-us-3class-mendeley"], tmp_path)
    got = {r["source_file"]: (r["split"], r["label"], r["subject_id"]) for r in out.rows}
    labels = {"covid": "COVID-19", "healthy": "healthy", "other": "other lung disease"}
    splits = {"train": "train", "validation": "val", "test": "test"}
    want = {f"dataset/{k}": (splits[k.split("/")[0]], labels[k.split("/")[1]], v) for k, v in nested.items()}
    want["dataset/train/healthy/flat.png"] = ("train", "healthy", None)
    assert got == want
    assert out.metadata["source_files"]["dropped"] == 0
