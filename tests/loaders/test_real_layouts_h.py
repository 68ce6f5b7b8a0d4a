"""Quirks of real copies of the downloads (round h: echocardiography, carotid and eye sets), rebuilt in tiny fixtures.

No real data is stored here: each fixture rebuilds only the file and folder names (and the table layout) that the
real copy showed, with synthetic pixels.
"""

from __future__ import annotations

from pathlib import Path

from tests.loaders.conftest import real_catalog
from tests.loaders.test_loaders_ultatron import _mp4


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
