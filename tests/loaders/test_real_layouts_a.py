"""Loaders checked against real copies of the releases (datasets whose ids sort before 'erdes'): each test rebuilds,
in a tiny generated fixture, a quirk that a real copy showed. No real file is stored here.

- c-trus: the release is the GitHub repository wwu-mmll/c-trus (commit ad3ce4d): ``original/<id>.jpg``,
  ``labels/<id>.jpg`` and ``c-trus.csv`` (``file,quality,quality_name,patient,testitem_in_fold``). The entry declares
  the official split as the five folds of ``testitem_in_fold`` (fold0 128 ... fold4 235), but the loader read only the
  patient column, so a real copy got a seeded train/val/test split and failed counts_match. The folds are read now;
  most patients are in two folds (the entry says so), so the samples of one patient span splits.
- blues: the release is the GitHub repository NinaWie/COVID-BLUES (commit 1857a6f). 25 of its 362 H.264 videos
  (patient_2_*, patient_26_*, ...) open with two all-black frames; sampling from frame 0 made 25 black samples,
  identical across patients and splits (near_duplicates failed). Leading uniform frames are now skipped and reported.
  The README's sample_video.gif beside lus_videos/ is left out by the entry's ignore option.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.fixtures.builders._common import blob_mask, rgb, save, us_image
from tests.loaders.conftest import check_converted_layout, convert_layout, real_catalog

CATALOG = real_catalog()

CTRUS_ZIP = "c-trus-main.zip"
CTRUS_TOP = "c-trus-main"
# (file, quality, quality_name, patient, testitem_in_fold), names in the release's style (7 random characters)
CTRUS_ROWS = [
    ("9U3YBUK.jpg", 1, "medium", 1, 0),
    ("E26MT6C.jpg", 0, "high", 2, 1),
    ("013X3BP.jpg", 2, "low", 2, 2),
    ("0311XXS.jpg", 2, "low", 3, 2),
    ("032NSKK.jpg", 0, "high", 3, 3),
    ("03OTIMC.jpg", 1, "medium", 1, 4),
    ("06OUXCY.jpg", 1, "medium", 1, 4),
]
H, W = 36, 58


def _ctrus(stage: Path) -> dict:
    """GitHub's archive of the repository: <repo>-main/original/*.jpg, labels/*.jpg (JPEG masks), c-trus.csv."""
    top = stage / CTRUS_ZIP / CTRUS_TOP
    lines = ["file,quality,quality_name,patient,testitem_in_fold"]
    for i, (name, quality, qname, patient, fold) in enumerate(CTRUS_ROWS):
        save(top / "original" / name, us_image(H, W, 7300 + i), quality=95)
        save(top / "labels" / name, blob_mask(H, W, 7300 + i), quality=95)
        lines.append(f"{name},{quality},{qname},{patient},{fold}")
    (top / "c-trus.csv").write_text("\n".join(lines) + "\n")
    (top / "README.md").write_text("# C-TRUS\n")
    return {
        "samples": 7,
        "splits": {"fold0": 1, "fold1": 1, "fold2": 2, "fold3": 1, "fold4": 2},
        "targets": {"colon_wall": {0: "background", 1: "colon_wall"}},
        "subjects_of": {"9U3YBUK": "1", "E26MT6C": "2", "013X3BP": "2", "032NSKK": "3", "06OUXCY": "1"},
    }


def test_ctrus_reads_the_folds_of_the_csv(tmp_path, convert):
    out, expected = convert_layout(convert, CATALOG.datasets["c-trus"], _ctrus, tmp_path)
    check_converted_layout(out, expected)
    assert out.metadata["splits"]["kind"] == "official"
    assert out.by_id["0311XXS"]["split"] == "fold2" and out.by_id["03OTIMC"]["split"] == "fold4"
    # the release's folds are not patient-level: patient 1 is in fold0 and fold4
    assert out.checks["subject_leakage"]["status"] == "fail"


def _mp4(path: Path, frames: list[np.ndarray], fps: int) -> None:
    import av

    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 48, 32, "yuv420p"
        for frame in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def test_blues_skips_the_black_frames_a_video_opens_with(tmp_path, convert):
    base = tmp_path / "src" / "COVID-BLUES-main"
    black = np.zeros((32, 48, 3), np.uint8)
    shown = [rgb(us_image(32, 48, 7400 + k)) for k in range(8)]
    # 2 frames per second sampled at 1 per second: every 2nd frame; patient_26_L1 opens with a black frame
    _mp4(base / "lus_videos" / "patient_26_L1.mp4", [black, *shown[:5]], fps=2)
    _mp4(base / "lus_videos" / "patient_10_L1.mp4", shown[:6], fps=2)
    (base / "severity.csv").write_text("video_file,Severity Score\npatient_26_L1,2.0\npatient_10_L1,0.0\n")
    save(base / "sample_video.gif", us_image(32, 48, 7499))
    out = convert(CATALOG.datasets["blues"], tmp_path / "src")
    frames = {sid: out.by_id[sid]["frame"] for sid in out.by_id}
    assert sorted(s for s in frames if s.startswith("patient_26")) == [
        "patient_26_L1_0001",
        "patient_26_L1_0003",
        "patient_26_L1_0005",
    ]
    assert sorted(s for s in frames if s.startswith("patient_10")) == [
        "patient_10_L1_0000",
        "patient_10_L1_0002",
        "patient_10_L1_0004",
    ]
    assert all(out.image(sid).max() > out.image(sid).min() for sid in out.by_id)
    blank = out.problems("blank_frame")
    assert [(p["file"], p["severity"]) for p in blank] == [("COVID-BLUES-main/lus_videos/patient_26_L1.mp4", "warning")]
    assert out.metadata["source_files"]["dropped"] == 0 and out.metadata["source_files"]["ignored"] == 1
