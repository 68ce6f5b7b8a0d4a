"""Quirks of real copies of the downloads (set j), rebuilt in tiny fixtures made by code.

No real data is stored here: each fixture rebuilds only the file, folder and key names that the real copy showed,
with synthetic pixels.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from tests.fixtures.builders._common import rgb, save, us_image
from tests.loaders.conftest import real_catalog
from tests.loaders.test_loaders_ultatron import _dicom_clip, _volume


def test_chinese_us_report_text_repeated_and_unlisted_images(tmp_path: Path, convert) -> None:
    # fcubiolab/Ultrasound-Report-Generation@237b19a holds the release's Data/ folder: new_<Organ>2.json written with
    # a UTF-8 byte-order mark, 7,364 records naming 14,707 of the 17,149 images. 21 records name their first image
    # twice (Mammary uid 163838: ["163838_1.jpeg", "163838_1.jpeg"], its 163838_2.png named by none), and the
    # <Organ>_report/ folders hold 2,418 images of uids that have no record (106383_1.jpeg, 106383_2.jpeg, ...).
    # The repeat was converted twice (Mammary_163838_1 and Mammary_163838_1__2, an exact duplicate pair), and the
    # unnamed images were counted as dropped, so that no fetch of the release could end complete.
    src = tmp_path / "Data"
    doc = {
        "train": [
            {"uid": 163838, "finding": "双侧乳腺", "image_path": ["163838_1.jpeg", "163838_1.jpeg"], "labels": 10},
            {"uid": 163839, "finding": "右乳", "image_path": ["163839_1.jpeg", "163839_2.jpeg"], "labels": 2},
        ],
        "test": [{"uid": 215212, "finding": "左乳", "image_path": ["215212_1.jpeg"], "labels": 1}],
        "val": [],
    }
    (src / "new_Mammary2.json").parent.mkdir(parents=True)
    (src / "new_Mammary2.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8-sig")
    names = ["163838_1.jpeg", "163839_1.jpeg", "163839_2.jpeg", "215212_1.jpeg", "106383_1.jpeg", "106383_2.jpeg"]
    for n, name in enumerate(names):
        save(src / "Mammary_report" / name, rgb(us_image(30, 40, 7100 + n)), fmt="JPEG")
    save(src / "Mammary_report" / "163838_2.png", rgb(us_image(30, 40, 7190)))
    out = convert(real_catalog().datasets["chinese-us-report-text"], src)
    assert sorted(r["sample_id"] for r in out.rows) == [
        "Mammary_163838_1",
        "Mammary_163839_1",
        "Mammary_163839_2",
        "Mammary_215212_1",
    ]
    assert out.splits() == {"train": 3, "test": 1}
    assert [(p["kind"], p["severity"]) for p in out.problems()] == [("duplicate", "warning")]
    usage = out.metadata["source_files"]
    assert usage["dropped"] == 0, usage["dropped_files"]
    assert usage["ignored"] == 3


def test_resect_mri_volumes_are_left_out_not_dropped(tmp_path: Path, convert) -> None:
    # No real copy of RESECT was found; a file listing of the release (RESECT/NIFTI/Case1/{MRI,Landmark,US}/ with
    # Case1-US-<stage>.nii.gz and .nii.gz.md5 files beside them, and a MINC/ twin) and third-party scripts reading
    # RESECT/NIFTI/Case1/MRI/Case1-T1.nii.gz and Case1-FLAIR.nii.gz show two MRI volumes per case. Nothing marked them
    # as left out on purpose, so the 46 MRI volumes counted as dropped and no fetch of the release could be complete;
    # and each volume's .nii.gz.md5 was warned about as an unexpected volume.
    src = tmp_path / "RESECT"
    case = src / "NIFTI" / "Case1"
    for n, stage in enumerate(("before", "during", "after")):
        _volume(case / "US" / f"Case1-US-{stage}.nii.gz", 6, 20, 24, 7200 + 10 * n)
        (case / "US" / f"Case1-US-{stage}.nii.gz.md5").write_text("0" * 32 + "\n")
    _volume(case / "MRI" / "Case1-T1.nii.gz", 4, 8, 8, 7250)
    _volume(case / "MRI" / "Case1-FLAIR.nii.gz", 4, 8, 8, 7260)
    (case / "Landmark").mkdir()
    (case / "Landmark" / "Case1-MRI-beforeUS.tag").write_text("MNI Tag Point File\n")
    out = convert(real_catalog().datasets["resect"], src)
    assert len(out.rows) == 3 * 6 and not out.problems(), out.problems()
    usage = out.metadata["source_files"]
    assert usage["dropped"] == 0, usage["dropped_files"]
    assert usage["ignored"] == 2


def test_remind_mr_and_seg_series_are_left_out_not_dropped(tmp_path: Path, convert) -> None:
    # ReMIND's TCIA download holds, per case, MR, US and SEG DICOM series (the loader's own layout notes); the
    # converter keeps the Modality US files and skipped the others silently, so every MR and SEG file counted as
    # dropped and no fetch of the collection could be complete.
    case = tmp_path / "remind" / "ReMIND-001" / "1.2.3"
    vol = np.stack([us_image(20, 24, 7300 + k) for k in range(12)])
    _dicom_clip(case / "US_pre" / "1-1.dcm", vol, PatientID="ReMIND-001", SeriesInstanceUID="1.2.3.1")
    _dicom_clip(case / "MR_T1" / "1-1.dcm", vol[:3], PatientID="ReMIND-001", SeriesInstanceUID="1.2.3.9", Modality="MR")
    _dicom_clip(case / "SEG" / "1-1.dcm", vol[:3], PatientID="ReMIND-001", SeriesInstanceUID="1.2.3.8", Modality="SEG")
    out = convert(real_catalog().datasets["remind"], tmp_path / "remind")
    assert len(out.rows) == 10 and not out.problems(), out.problems()
    usage = out.metadata["source_files"]
    assert usage["dropped"] == 0, usage["dropped_files"]
    assert usage["ignored"] == 2


def test_remind2reg_mri_channels_are_left_out_not_dropped(tmp_path: Path, convert) -> None:
    # ReMIND2Reg's imagesTr/ holds, per case, the ultrasound channel <case>_0000.nii.gz beside the MRI channels
    # (<case>_0001.nii.gz, ...), all named in ReMIND2Reg_dataset.json; only _0000 is converted, and the MRI channels
    # counted as dropped, so no fetch of the release could be complete.
    root = tmp_path / "ReMIND2Reg"
    for n, case in enumerate(("ReMIND2Reg_0001", "ReMIND2Reg_0002")):
        _volume(root / "imagesTr" / f"{case}_0000.nii.gz", 12, 20, 22, 7400 + 30 * n)
        _volume(root / "imagesTr" / f"{case}_0001.nii.gz", 3, 8, 8, 7490 + n)
    training = [{"image": f"./imagesTr/ReMIND2Reg_000{i}_000{c}.nii.gz"} for i in (1, 2) for c in (0, 1)]
    (root / "ReMIND2Reg_dataset.json").write_text(json.dumps({"training": training}))
    out = convert(real_catalog().datasets["remind2reg"], root)
    assert len(out.rows) == 20 and not out.problems(), out.problems()
    usage = out.metadata["source_files"]
    assert usage["dropped"] == 0, usage["dropped_files"]
    assert usage["ignored"] == 2
