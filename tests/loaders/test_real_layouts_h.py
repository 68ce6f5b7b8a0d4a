"""Quirks of real copies of the downloads (round h: echocardiography, carotid and eye sets), rebuilt in tiny fixtures.

No real data is stored here: each fixture rebuilds only the file and folder names (and the table layout) that the
real copy showed, with synthetic pixels.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.fixtures.builders._common import rgb, us_image
from tests.loaders.conftest import real_catalog
from tests.loaders.test_loaders_round2_more import _avi_mjpeg, _xlsx
from tests.loaders.test_loaders_ultatron import _mp4
from tests.loaders.test_loaders_ultrasam import _avi


def test_erdes_clip_code_is_one_per_folder_not_an_eye(tmp_path: Path, convert) -> None:
    # The authors' split files (OSUPCVLab/ERDES@cd1a216, data/splits/non_rd_vs_rd/{train,val,test}.csv: 3,873 + 431
    # + 1,077 = 5,381 clips) name every Normal clip 164267_<n>.mp4 (4,233 clips) and every PVD clip 825315_<n>.mp4:
    # six codes in all, one per sub-class folder, each spread over train, val and test. Taken as the subject, the
    # code failed subject_leakage on the official split, so no fetch could end 'ready'.
    base = tmp_path / "src" / "ERDES"
    clips = {
        "Non_Retinal_Detachment/Normal/164267_00796.mp4": "train",
        "Non_Retinal_Detachment/Normal/164267_00302.mp4": "val",
        "Non_Retinal_Detachment/Normal/164267_03372.mp4": "test",
        "Retinal_Detachment/Macula_Detached/TD/405744_00090.mp4": "train",
        "Retinal_Detachment/Macula_Intact/ND/258033_00052.mp4": "test",
    }
    for n, (rel, split) in enumerate(clips.items()):
        _mp4(base / rel, frames=2, fps=1, h=32, w=32, seed=6100 + 10 * n)
        lists = base / "data" / "splits" / "non_rd_vs_rd"
        lists.mkdir(parents=True, exist_ok=True)
        label = int(rel.startswith("Retinal"))
        with open(lists / f"{split}.csv", "a", encoding="utf-8") as fh:
            fh.write(("path,label\n" if fh.tell() == 0 else "") + f"{rel},{label}\n")
    out = convert(real_catalog().datasets["erdes"], tmp_path / "src")
    assert out.splits() == {"train": 4, "val": 2, "test": 4}
    assert out.checks["subject_leakage"]["status"] == "pass", out.checks["subject_leakage"]
    assert {r["subject_id"] for r in out.rows if r["label"] == "non_rd"} == {
        "164267_00796",
        "164267_00302",
        "164267_03372",
    }
    assert "subject_leakage" not in out.metadata["status"]["failed_checks"]


def test_echonet_pediatric_patient_is_the_first_part_of_the_file_name(tmp_path: Path, convert) -> None:
    # A real listing of the release (Khadeeja2000/EchoNet-Pediatric-BIGAN-AUGMENTATION@f56c927, data/processed/
    # manifest.csv: 1,994 videos under pediatric_echo_avi/pediatric_echo_avi/{A4C,PSAX}/Videos/ with their FileList.csv
    # fold, sex and age) names videos CR32a7555-CR32a97e1-000009.avi: the first part (1,142 values) is shared by up to
    # 7 videos of both views and several ages, always in one fold. Taken per video, the seeded split put one patient's
    # videos in train and test.
    base = tmp_path / "src" / "echonetpediatric" / "pediatric_echo_avi" / "pediatric_echo_avi"
    videos = {
        "A4C": ("CR32a7555-CR32a9a90-000039", "CR32a7555-CR32a988d-000034", "CR32a95c7-CR32a9aa4-000028"),
        "PSAX": ("CR32a7555-CR32a97e1-000009", "CR32a7555-CR32a9920-000019", "CR32a95e8-CR32a9abd-000032"),
    }
    outline = ((10, 10), (22, 10), (22, 22), (10, 22))
    for v, (view, names) in enumerate(videos.items()):
        for i, name in enumerate(names):
            _avi(
                base / view / "Videos" / f"{name}.avi",
                [rgb(us_image(32, 32, 6200 + 10 * (3 * v + i) + k)) for k in range(2)],
            )
        (base / view / "FileList.csv").write_text(
            "FileName,EF,Sex,Age,Weight,Height,Split\n" + "".join(f"{n}.avi,55.1,F,2,12.8,77.5,5\n" for n in names)
        )
        rows = "".join(f"{n}.avi,{x},{y},{f}\n" for n in names for f in (0, 1) for x, y in outline)
        (base / view / "VolumeTracings.csv").write_text("FileName,X,Y,Frame\n" + rows)
    out = convert(real_catalog().datasets["echonet-pediatric"], tmp_path / "src")
    assert len(out.rows) == 12, out.problems()
    subjects = {r["sample_id"]: r["subject_id"] for r in out.rows}
    assert subjects["PSAX_CR32a7555-CR32a97e1-000009_f0001"] == "CR32a7555"
    assert subjects["A4C_CR32a7555-CR32a9a90-000039_f0000"] == "CR32a7555"
    assert set(subjects.values()) == {"CR32a7555", "CR32a95c7", "CR32a95e8"}
    assert len({r["split"] for r in out.rows if r["subject_id"] == "CR32a7555"}) == 1


def test_hmc_qu_a2c_videos_and_table_are_reported_not_converted(tmp_path: Path, convert) -> None:
    # The real A2C.xlsx beside A4C.xlsx (FUZHANGCHENG-23071497/Myocardial_infarction_detection@b69b9e5; sheet
    # 'Tabelle1', two header rows, 160 cycles such as 'ES0001_CH2_1', 30 ids marked '*' and a legend row '* indicates
    # HMC-QU-TAU') goes with 160 videos in HMC-QU/A2C/. They have no masks: the conversion must say it leaves them out
    # (they were silently unused), and must not read A2C.xlsx as a table of A4C cycles.
    import scipy.io

    base = tmp_path / "src" / "hmcqu-dataset"
    header = [None, "SEG4", "SEG10", "SEG15", "SEG13", "SEG7", "SEG1", "Reference Frame", "End of Cycle"]
    a2c = [["ECHO", "LABEL", None, None, None, None, None, "One cardiac-cycle frames", None], header]
    for n, echo in enumerate(("ES0001_CH2_1", "ES000101_CH2_1")):
        a2c.append([echo, "MI", "MI", "MI", "non-MI", "non-MI", "non-MI", 1, 3])
        _avi_mjpeg(base / "HMC-QU" / "A2C" / f"{echo}.avi", 4, seed=6300 + 10 * n)
    a2c.append(["* indicates HMC-QU-TAU"] + [None] * 8)
    _xlsx(base / "A2C.xlsx", {"Tabelle1": a2c})
    a4c = [["ECHO", "LABEL", None, None, None, None, None, "One cardiac-cycle frames", None, "LV Wall Masks"]]
    a4c.append([None] + header[1:] + ["Available: ü Not Available: û"])
    a4c.append(["ES0001 _4CH_1", "MI", "MI", "MI", "MI", "MI", "non-MI", 1, 2, "ü"])
    _xlsx(base / "A4C.xlsx", {"Tabelle1": a4c})
    _avi_mjpeg(base / "HMC-QU" / "A4C" / "ES0001 _4CH_1.avi", 3, seed=6350)
    masks = np.zeros((2, 16, 16), np.uint8)
    masks[:, 4:12, 2:6] = 1
    (base / "LV Ground-truth Segmentation Masks").mkdir()
    scipy.io.savemat(str(base / "LV Ground-truth Segmentation Masks" / "Mask_ES0001 _4CH_1.mat"), {"predicted": masks})
    out = convert(real_catalog().datasets["hmc-qu"], tmp_path / "src")
    assert {r["sample_id"] for r in out.rows} == {"ES0001_4CH_1_0000", "ES0001_4CH_1_0001"}
    assert [p["message"] for p in out.problems("not_converted")] == [
        "2 A2C video(s) have no masks and are not converted"
    ]
    assert out.metadata["source_files"]["dropped"] == 0
