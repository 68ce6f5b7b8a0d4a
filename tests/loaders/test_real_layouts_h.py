"""Quirks of real copies of the downloads (round h: echocardiography, carotid and eye sets), rebuilt in tiny fixtures.

No real data is stored here: each fixture rebuilds only the file and folder names (and the table layout) that the
real copy showed, with synthetic pixels.
"""

from __future__ import annotations

from pathlib import Path

from tests.fixtures.builders._common import rgb, us_image
from tests.loaders.conftest import real_catalog
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
