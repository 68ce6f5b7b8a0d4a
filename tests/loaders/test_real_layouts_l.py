"""Quirks of real copies of the downloads (set l), rebuilt in tiny fixtures made by code.

No real data is stored here: each fixture rebuilds only the file, folder and key names that the real copy showed,
with synthetic pixels.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.fixtures.builders._common import blob_mask, rgb, save, us_image
from tests.loaders.conftest import real_catalog
from tests.loaders.test_loaders_ultatron import _volume
from tests.loaders.test_loaders_ultrasam import _scan
from tests.loaders.test_loaders_ultrasam import _volume as _write_volume


def _tdsc_case(split_dir: Path, data_folder: str, case: int, depth: int, tumour: range) -> None:
    _volume(split_dir / data_folder / f"DATA_{case:03d}.nrrd", depth, 20, 24, 9400 + case)
    mask = np.zeros((depth, 20, 24), np.uint8)
    for k in tumour:
        mask[k, 6:14, 8:16] = 1
    _write_volume(split_dir / "MASK" / f"MASK_{case:03d}.nrrd", mask)


def test_tdsc_abus_2023_training_volumes_in_shard_folders(tmp_path: Path, convert) -> None:
    # No real copy of the volumes was found (the data agreement forbids redistribution). Two users' copies show the
    # training volumes in two shard folders under Train/DATA/ that labels.csv does not name: a pipeline's layout note
    # ("Train/DATA/DATA00_49/DATA_<NNN>.nrrd", "DATA50_99/", MASK flat, Validation and Test flat) and a script reading
    # /home/.../DATA00_49-003/DATA_001.nrrd beside MASK/MASK_001.nrrd. labels.csv names DATA\DATA_000.nrrd, so every
    # training case was reported as missing and nothing of Train converted.
    src = tmp_path / "src"
    train, val = src / "Train", src / "Validation"
    _tdsc_case(train, "DATA/DATA00_49", 0, 6, range(2, 4))
    _tdsc_case(train, "DATA/DATA50_99", 50, 5, range(1, 2))
    _tdsc_case(val, "DATA", 100, 5, range(3, 4))
    (train / "labels.csv").write_text(
        "case_id,label,data_path,mask_path\n0,M,DATA\\DATA_000.nrrd,MASK\\MASK_000.nrrd\n"
        "50,B,DATA\\DATA_050.nrrd,MASK\\MASK_050.nrrd\n"
    )
    (val / "labels.csv").write_text(
        "case_id,label,data_path,mask_path\n100,B,DATA\\DATA_100.nrrd,MASK\\MASK_100.nrrd\n"
    )
    for split_dir in (train, val):
        (split_dir / "bbx_labels.csv").write_text("id,c_x,c_y,c_z,len_x,len_y,len_z\n")
    out = convert(real_catalog().datasets["tdsc-abus-2023"], src)
    assert sorted((r["sample_id"], r["label"], r["subject_id"]) for r in out.rows) == [
        ("train_0_s002", "malignant", "0"),
        ("train_0_s003", "malignant", "0"),
        ("train_50_s001", "benign", "50"),
        ("val_100_s003", "benign", "100"),
    ]
    assert out.splits() == {"train": 3, "val": 1}
    assert [p["kind"] for p in out.problems()] == []
    assert out.metadata["source_files"]["dropped"] == 0, out.metadata["source_files"]["dropped_files"]


def test_stmus_nda_per_muscle_folders_and_results_are_left_out(tmp_path: Path, convert) -> None:
    # The release's own readme.txt (a copy committed to GitHub) lists, beside Segmentation_models/data/MuscleCNN/, the
    # per-muscle folders it is derived from (BB|GM|TA/Healthy|Pathological/Images|Masks/*.png) and the models' outputs
    # (Results/<network>/{Train,Val,Test}_output/, the ensemble's *_processed and *_overlay folders). None of them is
    # converted, and all were counted as dropped, so no fetch of the release could be complete.
    root = tmp_path / "src" / "Polito-Radboud-DeepLearningUS"
    base = root / "Segmentation_models" / "data" / "MuscleCNN"
    for i, (split, stem) in enumerate((("train", "BB_anon_425_2"), ("test", "GM_anon_9_3"))):
        save(base / split / f"{stem}.png", us_image(48, 52, 9500 + i))
        save(base / f"{split}annot" / f"{stem}.png", (blob_mask(48, 52, 9500 + i) > 0).astype(np.uint8))
    left_out = [
        "BB/Healthy/Images/BB_anon_425_2.png",
        "BB/Healthy/Masks/BB_anon_425_2.png",
        "GM/Pathological/Images/GM_anon_9_3.png",
        "GM/Pathological/Masks/GM_anon_9_3.png",
        "Results/Unet_resnet50_DiceLoss/Test_output/GM_anon_9_3.png",
        "Results/U-Upp-FPN-Att/Train_output_processed/BB_anon_425_2.png",
        "Results/U-Upp-FPN-Att/Train_overlay/BB_anon_425_2.png",
    ]
    for n, name in enumerate(left_out):
        save(root / name, us_image(48, 52, 9510 + n))
    out = convert(real_catalog().datasets["stmus-nda"], tmp_path / "src")
    assert out.splits() == {"train": 1, "test": 1}
    usage = out.metadata["source_files"]
    assert usage["dropped"] == 0, usage["dropped_files"]
    assert usage["ignored"] == len(left_out)


def test_ultrabones100k_probe_folder_is_not_the_specimen(tmp_path: Path, convert) -> None:
    # The authors' own scripts (luohwu/UltraBones100k@3de6ffc: UltrasoundDataset.py, train_lightning.py) read
    # <root>/<cadaver>/Linear18/record<NN>/UltrasoundImages/<timestamp>.png, with a probe folder the README's tree does
    # not show. The probe folder Linear18 was taken as the subject of every image: all specimens became one subject.
    root = tmp_path / "src" / "AI_Ultrasound_dataset"
    records = [f"cadaver0{c}_{t}/Linear18/record0{r}" for c, t in ((1, "F231091"), (2, "F231218")) for r in (1, 2)]
    records.append("cadaver03_S231783/record01")  # the README's tree, without the probe folder
    for n, record in enumerate(records):
        base, stamp = root / record, 161601 + n
        save(base / "UltrasoundImages" / f"{stamp}.png", us_image(40, 48, 9600 + n))
        surface = np.zeros((40, 48), np.uint8)
        surface[20:22, 5:40] = 255
        save(base / "Labels" / f"{stamp}_label.png", surface)
        surface[22:40, 5:40] = 255
        save(base / "Labels_full" / f"{stamp}_label.png", surface)
    out = convert(real_catalog().datasets["ultrabones100k"], tmp_path / "src")
    assert sorted((r["sample_id"], r["subject_id"]) for r in out.rows) == [
        ("161601", "cadaver01_F231091"),
        ("161602", "cadaver01_F231091"),
        ("161603", "cadaver02_F231218"),
        ("161604", "cadaver02_F231218"),
        ("161605", "cadaver03_S231783"),
    ]


def test_fugc_numbering_restarts_in_every_folder(tmp_path: Path, convert) -> None:
    # A participating team's README (baijieyun/ISBI-2025-FUGC-Source-Code@9731b7b, Code_T10) shows the release's tree,
    # train/unlabeled_data/images/0001.png ... and train/labeled_data/{images,labels}/0001.png ..., and another team's
    # file lists (Code_T5/oursdataPath) number 450 unlabeled images and the validation images from 0001 as well: one
    # stem names up to three different images, and only the labelled one has a mask.
    base = tmp_path / "src" / "dataset"
    for n, folder in enumerate(("train/labeled_data", "train/unlabeled_data", "val")):
        save(base / folder / "images" / "0001.png", rgb(us_image(32, 40, 9700 + n)))
        if folder != "train/unlabeled_data":
            mask = np.zeros((32, 40), np.uint8)
            mask[4:12, 4:16], mask[16:28, 20:36] = 1, 2
            save(base / folder / "labels" / "0001.png", mask)
    out = convert(real_catalog().datasets["fugc"], tmp_path / "src")
    rows = {r["sample_id"]: r for r in out.rows}
    assert sorted(rows) == ["labeled_data_0001", "unlabeled_data_0001", "val_0001"]
    assert [rows[s]["split"] for s in sorted(rows)] == ["train", "train", "val"]
    assert {s for s, r in rows.items() if r["masks"]} == {"labeled_data_0001", "val_0001"}
    assert not out.problems()


def test_cardiacudc_patients_of_label_all_frame_are_not_one_subject(tmp_path: Path, convert) -> None:
    # The release's label_all_frame/ folder names its volumes normal-<id>-4_image.nii.gz and patient-<id>-4_image.nii.gz
    # (ultatron's adapter, read from the extracted Kaggle download), and the authors' own index of their volumes
    # (xmed-lab/GraphEcho@2b6c475 datasets/infos.npy: 2,792 paths) names 1,013 images patient-<id>-<view>_image.nii.gz
    # beside patient<id>-<view>. The subject was the name before the first '-', so every normal-<id> volume was one
    # subject 'normal' and every patient-<id> volume one subject 'patient'.
    base = tmp_path / "src" / "cardiacUDC_dataset"
    names = [("label_all_frame", "normal-3-4"), ("label_all_frame", "normal-5-4"), ("label_all_frame", "patient-3-4")]
    names += [("Site_G_100", "patient1-4"), ("Site_G_100", "patient-12-4")]
    for n, (folder, name) in enumerate(names):
        image, mask = _scan(2, 9800 + 10 * n, range(1, 2))
        _write_volume(base / folder / f"{name}_image.nii.gz", image)
        _write_volume(base / folder / f"{name}_label.nii.gz", mask)
    out = convert(real_catalog().datasets["cardiacudc"], tmp_path / "src")
    assert sorted((r["sample_id"], r["subject_id"], r["label"]) for r in out.rows) == [
        ("Site_G_100_patient-12-4_s001", "Site_G_100_patient-12", None),
        ("Site_G_100_patient1-4_s001", "Site_G_100_patient1", None),
        ("label_all_frame_normal-3-4_s001", "label_all_frame_normal-3", "normal"),
        ("label_all_frame_normal-5-4_s001", "label_all_frame_normal-5", "normal"),
        ("label_all_frame_patient-3-4_s001", "label_all_frame_patient-3", "patient"),
    ]
