"""Catalog loaders whose layouts come from ultatron's adapters and UltraBench's process scripts.

Each test builds a tiny download in the layout the cited code reads (the archive's top folder and the host's
packaging included), unpacks it the way ``usreg fetch --from-file`` does, converts it with the real catalog entry, and
checks the sample count, the split counts and the class map.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np

from registry.fetch.extract import extract
from tests.fixtures.builders._common import rgb, save, us_image, zip_tree
from tests.loaders.conftest import real_catalog

CATALOG = real_catalog()


def _download(tmp_path: Path, archive: str, top: str, build: Callable[[Path], None]) -> Path:
    """``build`` a tree, pack it as the host does (``archive`` holding ``top/``), unpack it as fetch does."""
    staging = tmp_path / "staging"
    staging.mkdir()
    build(staging)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    (downloads / archive).write_bytes(zip_tree(staging, top))
    src = tmp_path / "src"
    src.mkdir()
    extract(downloads / archive, src)
    return src


def _labels(rows: list[dict]) -> dict[str, int]:
    return dict(Counter(r["label"] for r in rows))


def _classes(out, target: str) -> dict[int, str]:
    return {int(k): v for k, v in out.metadata["targets"][target]["classes"].items()}


# --- natalia-pbf-us1: resume.csv joins <studie>/<file_name> -----------------------------------------------------


def test_natalia_pbf_us1_frames_by_exam_folder(tmp_path, convert):
    exams = ["Obstetrics Exam - 05-Mar-2024_10_AM", "Obstetrics Exam - 06-Mar-2024_02_PM"]
    rows = [
        (exams[0], "cineframe_1_2024-03-05T10:00:00.jpeg", "No plane", 5),
        (exams[0], "cineframe_2_2024-03-05T10:00:01.jpeg", "Heart standard plane", 2),
        (exams[1], "cineframe_1_2024-03-06T14:00:00.jpeg", "Femur standard plane", 4),
    ]

    def build(root: Path) -> None:
        for i, (exam, name, _, _) in enumerate(rows):
            save(root / exam / name, rgb(us_image(40, 56, 100 + i)), fmt="JPEG", quality=85)
        (root / "resume.csv").write_text(
            "file_name,studie,class,value,image\n" + "".join(f"{n},{e},{c},{v},\n" for e, n, c, v in rows)
        )
        (root / "metadata.csv").write_text("Study Name,protocol,position\n" + f"{exams[0]},Vertical,OP\n")

    src = _download(tmp_path, "PBF-US1.zip", "PBF-US1", build)
    out = convert(CATALOG.datasets["natalia-pbf-us1"], src)
    assert len(out.rows) == 3, out.problems()
    assert not out.problems()
    assert _labels(out.rows) == {"No plane": 1, "Heart standard plane": 1, "Femur standard plane": 1}
    assert out.metadata["labels"] == [
        "Biparietal standard plane",
        "Abdominal standard plane",
        "Heart standard plane",
        "Spine standard plane",
        "Femur standard plane",
        "No plane",
    ]
    assert {r["subject_id"] for r in out.rows} == set(exams)
    assert sum(out.splits().values()) == 3
    by_subject = {}
    for r in out.rows:
        by_subject.setdefault(r["subject_id"], set()).add(r["split"])
    assert all(len(s) == 1 for s in by_subject.values()), by_subject  # one sweep never spans two splits


# --- focus-fetal-cardiac: one mask PNG per structure in each split folder ---------------------------------------


def test_focus_fetal_cardiac_two_structure_masks_per_split(tmp_path, convert):
    def build(root: Path) -> None:
        for i, (folder, stem) in enumerate((("training", "001"), ("training", "002"), ("testing", "101"))):
            save(root / folder / "images" / f"{stem}.png", rgb(us_image(48, 64, 200 + i)))
            thorax = np.zeros((48, 64), np.uint8)
            thorax[8:40, 10:54] = 255
            heart = np.zeros((48, 64), np.uint8)
            heart[16:30, 20:40] = 255
            save(root / folder / "annfiles_mask" / f"{stem}-thorax.png", thorax)
            save(root / folder / "annfiles_mask" / f"{stem}-cardiac.png", heart)
            (root / folder / "annfiles_ellipse").mkdir(exist_ok=True)
            (root / folder / "annfiles_ellipse" / f"{stem}.txt").write_text("cardiac 30 23 10 7 0\n")
            (root / folder / "annfiles_rectangle").mkdir(exist_ok=True)
            (root / folder / "annfiles_rectangle" / f"{stem}.txt").write_text("20 16 40 16 40 30 20 30 cardiac 0\n")

    src = _download(tmp_path, "FOCUS.zip", "FOCUS", build)
    out = convert(CATALOG.datasets["focus-fetal-cardiac"], src)
    assert len(out.rows) == 3, out.problems()
    assert not out.problems()
    assert out.splits() == {"train": 2, "test": 1}
    assert _classes(out, "cardiac") == {0: "background", 1: "cardiac region"}
    assert _classes(out, "thorax") == {0: "background", 1: "thoracic region"}
    assert out.mask("001", "cardiac").sum() == 14 * 20
    assert out.mask("001", "thorax").sum() == 32 * 44


# --- fpus23: the plane-classification folders of the Google Drive archive ----------------------------------------


def test_fpus23_plane_folders(tmp_path, convert):
    def build(root: Path) -> None:
        planes = {"AC_PLANE": 2, "BPD_PLANE": 1, "FL_PLANE": 1, "NO_PLANE": 2}
        n = 0
        for plane, count in planes.items():
            for k in range(count):
                save(root / "Dataset_Plane" / plane / f"{plane.lower()}_{k}.png", us_image(40, 50, 300 + n))
                n += 1
        stream = root / "Dataset" / "four_poses" / "stream_hdvb_aroundabd_h"
        save(stream / "frame_000.png", us_image(40, 50, 399))  # pose streams: not part of this loader
        (root / "Dataset" / "boxes" / "annotation" / "stream_hdvb_aroundabd_h").mkdir(parents=True)
        (root / "Dataset" / "boxes" / "annotation" / "stream_hdvb_aroundabd_h" / "annotations.xml").write_text(
            "<annotations/>"
        )

    src = _download(tmp_path, "archive.zip", "archive", build)
    out = convert(CATALOG.datasets["fpus23"], src)
    assert len(out.rows) == 6, out.problems()
    assert not out.problems()
    assert _labels(out.rows) == {"AC_PLANE": 2, "BPD_PLANE": 1, "FL_PLANE": 1, "NO_PLANE": 2}
    assert out.metadata["labels"] == ["AC_PLANE", "BPD_PLANE", "FL_PLANE", "NO_PLANE"]
    assert sum(out.splits().values()) == 6 and out.metadata["splits"]["kind"] != "official"


# --- jnu-ifm: us_data/<video>/image and mask, label values 7 and 8 ----------------------------------------------


def test_jnu_ifm_index_masks_grouped_by_video(tmp_path, convert):
    frames = {"V001": [1, 2], "V002": [5]}

    def build(root: Path) -> None:
        for video, ids in frames.items():
            base = root / "us_data" / video
            for i in ids:
                stem = f"{video}_{i}"
                save(base / "image" / f"{stem}.png", us_image(48, 64, 400 + i))
                if i != 2:  # a frame without a mask file is kept unannotated
                    lab = np.zeros((48, 64), np.uint8)
                    lab[30:44, 5:25] = 7
                    lab[4:26, 20:60] = 8
                    save(base / "mask" / f"{stem}_mask.png", lab)
                    save(base / "mask_enhance" / f"{stem}_mask.png", lab * 30)
            (base / "frame_label.csv").write_text("frame_id,frame_label\n" + "".join(f"{i},6\n" for i in ids))

    src = _download(tmp_path, "JNU-IFM.zip", "JNU-IFM", build)
    out = convert(CATALOG.datasets["jnu-ifm"], src)
    assert len(out.rows) == 3, out.problems()
    assert _classes(out, "structures") == {0: "background", 7: "pubic symphysis", 8: "fetal head"}
    assert set(np.unique(out.mask("V001_1", "structures")).tolist()) == {0, 7, 8}
    assert out.by_id["V001_2"]["masks"] == []
    assert {r["sample_id"]: r["subject_id"] for r in out.rows} == {"V001_1": "V001", "V001_2": "V001", "V002_5": "V002"}
    assert sum(out.splits().values()) == 3
    assert len({r["split"] for r in out.rows if r["subject_id"] == "V001"}) == 1


# --- fatty-liver-bmode: one .mat file of patient records (UltraBench's reader) -----------------------------------


def _liver_mat(path: Path, patients: list[tuple[int, int, float]], frames: int = 3) -> None:
    import scipy.io

    recs = np.empty((1, len(patients)), dtype=[("id", "O"), ("class", "O"), ("fat", "O"), ("images", "O")])
    for n, (pid, cls, fat) in enumerate(patients):
        imgs = np.stack([us_image(43, 63, 500 + 10 * n + i) for i in range(frames)])
        recs[0, n] = (np.array([[pid]]), np.array([[cls]]), np.array([[fat]]), imgs)
    path.parent.mkdir(parents=True, exist_ok=True)
    scipy.io.savemat(str(path), {"data": recs})


def test_fatty_liver_bmode_frames_of_each_patient(tmp_path, convert):
    src = tmp_path / "src"  # Zenodo serves the .mat file itself, not an archive
    _liver_mat(src / "dataset_liver_bmodes_steatosis_assessment_IJCARS.mat", [(1, 0, 2.0), (2, 1, 40.0), (3, 1, 12.5)])
    out = convert(CATALOG.datasets["fatty-liver-bmode"], src)
    assert len(out.rows) == 9, out.problems()
    assert not out.problems()
    normal, fatty = "normal (steatosis < 5% of hepatocytes)", "fatty liver (steatosis >= 5% of hepatocytes)"
    assert out.metadata["labels"] == [normal, fatty]
    assert _labels(out.rows) == {normal: 3, fatty: 6}
    assert out.by_id["2_1"]["subject_id"] == "2" and '"steatosis_percent": 40.0' in out.by_id["2_1"]["extra"]
    assert out.image("3_2").shape == (43, 63)
    assert np.array_equal(out.image("1_0"), us_image(43, 63, 500))
    assert sum(out.splits().values()) == 9
    for pid in ("1", "2", "3"):
        assert len({r["split"] for r in out.rows if r["subject_id"] == pid}) == 1


def test_fatty_liver_bmode_bad_record_is_reported(tmp_path, convert):
    import scipy.io

    src = tmp_path / "src"
    _liver_mat(src / "liver.mat", [(1, 0, 2.0)])
    data = scipy.io.loadmat(str(src / "liver.mat"))["data"]
    bad = np.empty((1, 2), dtype=data.dtype)
    bad[0, 0] = data[0, 0]
    bad[0, 1] = (np.array([[7]]), np.array([[1]]), np.array([[9.0]]), np.zeros((2, 2, 2, 2), np.uint8))
    scipy.io.savemat(str(src / "liver.mat"), {"data": bad})
    out = convert(CATALOG.datasets["fatty-liver-bmode"], src)
    assert len(out.rows) == 3
    assert [p["kind"] for p in out.problems()] == ["annotation_unreadable"]
    assert "record 2" in out.problems()[0]["message"]


# --- busv-breastvid: rawframes/<class>/<video>/<frame>.png (CVA-Net's data root) ---------------------------------


def test_busv_frames_labelled_by_class_folder_grouped_by_video(tmp_path, convert):
    videos = {("benign", "1dc9ca2f1748c2ec"): 3, ("malignant", "3e1fa0c5d8ab7712"): 2, ("malignant", "a0b1c2d3e4f5"): 1}

    def build(root: Path) -> None:
        n = 0
        for (label, vid), frames in videos.items():
            for i in range(frames):
                save(root / "rawframes" / label / vid / f"{i:06d}.png", rgb(us_image(40, 52, 600 + n)))
                n += 1
        (root / "imagenet_vid_train_15frames.json").write_text('{"images": [], "annotations": [], "categories": []}')
        (root / "imagenet_vid_val.json").write_text('{"images": [], "annotations": [], "categories": []}')

    src = _download(tmp_path, "BUSV.zip", "BUSV", build)
    out = convert(CATALOG.datasets["busv-breastvid"], src)
    assert len(out.rows) == 6, out.problems()
    assert not out.problems()
    assert out.metadata["labels"] == ["benign", "malignant"]
    assert _labels(out.rows) == {"benign": 3, "malignant": 3}
    assert out.by_id["benign_1dc9ca2f1748c2ec_000002"]["subject_id"] == "1dc9ca2f1748c2ec"
    assert sum(out.splits().values()) == 6
    for (_, vid), _frames in videos.items():
        assert len({r["split"] for r in out.rows if r["subject_id"] == vid}) == 1


# --- gbcu: imgs/ with train.txt / test.txt and bbox_annot.json (UltraBench's reader) -----------------------------


def test_gbcu_official_lists_labels_and_boxes(tmp_path, convert):
    import json

    def build(root: Path) -> None:
        for i, name in enumerate(("im00001.jpg", "im00002.jpg", "im00003.jpg", "im00004.jpg")):
            save(root / "imgs" / name, rgb(us_image(60, 80, 700 + i)), fmt="JPEG", quality=85)
        (root / "train.txt").write_text("im00001.jpg,0\nim00002.jpg,1\nim00003.jpg,2\n")
        (root / "test.txt").write_text("im00004.jpg,2\n")
        boxes = {
            "im00001.jpg": {"dim": [80, 60], "bbs": [["nml", [10, 12, 60, 50]]]},
            "im00002.jpg": {"dim": [80, 60], "bbs": [["abn", [5, 5, 70, 55]], ["stn", [20, 20, 30, 28]]]},
            "im00003.jpg": {"dim": [80, 60], "bbs": [["abn", [8, 9, 66, 52]], ["malg", [30, 30, 50, 45]]]},
            "im00004.jpg": {"dim": [80, 60], "bbs": [["abn", [4, 4, 76, 56]]]},
        }
        (root / "bbox_annot.json").write_text(json.dumps(boxes))

    src = _download(tmp_path, "GBCU-Shared.zip", "GBCU-Shared", build)
    out = convert(CATALOG.datasets["gbcu"], src)
    assert len(out.rows) == 4, out.problems()
    assert not out.problems()
    assert out.splits() == {"train": 3, "test": 1}
    assert out.metadata["labels"] == ["normal", "benign", "malignant"]
    assert _labels(out.rows) == {"normal": 1, "benign": 1, "malignant": 2}
    got = {(b["category"], b["x_min"], b["y_min"], b["x_max"], b["y_max"]) for b in out.by_id["im00002"]["boxes"]}
    assert got == {("abn", 5.0, 5.0, 70.0, 55.0), ("stn", 20.0, 20.0, 30.0, 28.0)}
    assert sorted({b["category"] for r in out.rows for b in r["boxes"]}) == ["abn", "malg", "nml", "stn"]


def test_gbcu_reports_bad_lines_and_missing_boxes(tmp_path, convert):
    root = tmp_path / "src" / "GBCU-Shared"
    for i, name in enumerate(("a.jpg", "b.jpg")):
        save(root / "imgs" / name, rgb(us_image(40, 50, 750 + i)), fmt="JPEG", quality=85)
    (root / "train.txt").write_text("a.jpg,0\nb.jpg,7\nmissing.jpg,1\nnot a line\n")
    (root / "bbox_annot.json").write_text('{"a.jpg": {"dim": [50, 40], "bbs": [["nml", [30, 5]]]}}')
    out = convert(CATALOG.datasets["gbcu"], tmp_path / "src")
    assert sorted(out.by_id) == ["a", "b"]
    assert out.by_id["a"]["boxes"] == [] and out.by_id["b"]["label"] is None
    kinds = sorted(p["kind"] for p in out.problems())
    assert kinds == [
        "annotation_unreadable",
        "annotation_unreadable",
        "missing_annotation",
        "missing_annotation",
        "missing_image",
        "unknown_label",
    ], out.problems()


# --- resect: NIFTI/Case<N>/US/Case<N>-US-<stage>.nii.gz volumes, sliced ------------------------------------------


def _volume(path: Path, depth: int, h: int, w: int, seed: int) -> np.ndarray:
    import SimpleITK as sitk

    vol = np.stack([us_image(h, w, seed + k) for k in range(depth)])
    path.parent.mkdir(parents=True, exist_ok=True)
    sitk.WriteImage(sitk.GetImageFromArray(vol), str(path))
    return vol


def test_slice_indices_spread_over_the_middle_of_the_volume():
    from registry.loaders.datasets._volumes import slice_indices

    assert slice_indices(100, 5) == [10, 30, 50, 69, 89]
    assert slice_indices(3, 10) == [0, 1, 2]
    assert slice_indices(6, 6) == [0, 1, 2, 3, 4, 5]  # a volume no deeper than the count gives every slice
    assert slice_indices(40, 1) == [20]
    assert slice_indices(0, 4) == []


def test_resect_volumes_become_slices_grouped_by_case(tmp_path, convert):
    vols: dict[str, np.ndarray] = {}

    def build(root: Path) -> None:
        for n, (case, stage, depth) in enumerate(
            (("Case1", "before", 20), ("Case1", "after", 4), ("Case2", "during", 20))
        ):
            vols[f"{case}-US-{stage}"] = _volume(
                root / "NIFTI" / case / "US" / f"{case}-US-{stage}.nii.gz", depth, 24, 28, 800 + 50 * n
            )
        _volume(root / "NIFTI" / "Case1" / "MRI" / "Case1-FLAIR.nii.gz", 3, 8, 8, 900)  # MRI is not converted
        (root / "NIFTI" / "Case1" / "Landmarks").mkdir(parents=True)
        (root / "NIFTI" / "Case1" / "Landmarks" / "Case1-MRI-beforeUS.tag").write_text("MNI Tag Point File\n")

    src = _download(tmp_path, "RESECT.zip", "RESECT", build)
    out = convert(CATALOG.datasets["resect"], src)
    assert len(out.rows) == 10 + 4 + 10, out.problems()
    assert not out.problems()
    assert Counter(r["subject_id"] for r in out.rows) == {"Case1": 14, "Case2": 10}
    assert sum(out.splits().values()) == 24
    for case in ("Case1", "Case2"):
        assert len({r["split"] for r in out.rows if r["subject_id"] == case}) == 1
    row = out.by_id["Case2-US-during_0002"]
    assert row["frame"] == 2 and '"stage": "during"' in row["extra"]
    assert np.array_equal(out.image("Case2-US-during_0002"), vols["Case2-US-during"][2])
    assert sorted(r["frame"] for r in out.rows if r["sample_id"].startswith("Case1-US-after")) == [0, 1, 2, 3]
    assert out.metadata["labels"] in (None, [])


# --- bite: group<G>/<subject>/{2D/*.mnc, 3D/US3DT.mnc} ------------------------------------------------------------


def test_bite_minc_frames_and_sliced_volumes(tmp_path, convert):
    import SimpleITK as sitk

    frames: dict[str, np.ndarray] = {}

    def build(root: Path) -> None:
        for g, subject, n2d, depth in (("group1", "01", 2, 12), ("group1", "02", 1, 0), ("group2", "01", 0, 5)):
            base = root / g / subject
            for i in range(n2d):
                frame = us_image(30, 34, 1000 + 10 * int(subject) + i)
                frames[f"{g}_{subject}_2D_us{i}"] = frame
                (base / "2D").mkdir(parents=True, exist_ok=True)
                sitk.WriteImage(sitk.GetImageFromArray(frame[None]), str(base / "2D" / f"us{i}.mnc"))
            if depth:
                _volume(base / "3D" / "US3DT.mnc", depth, 20, 22, 1100 + 7 * depth)
            (base / "3D").mkdir(parents=True, exist_ok=True)
            sitk.WriteImage(sitk.GetImageFromArray(np.zeros((3, 6, 6), np.uint8)), str(base / "3D" / "MRI3D.mnc"))
            (base / "tags.tag").write_text("MNI Tag Point File\n")

    src = _download(tmp_path, "BITE.zip", "BITE", build)
    out = convert(CATALOG.datasets["bite"], src)
    assert len(out.rows) == 3 + 10 + 5, out.problems()
    assert not out.problems()
    assert Counter(r["subject_id"] for r in out.rows) == {"group1_01": 12, "group1_02": 1, "group2_01": 5}
    for sid, frame in frames.items():
        assert np.array_equal(out.image(sid), frame), sid
    assert sorted(r["frame"] for r in out.rows if r["subject_id"] == "group2_01") == [0, 1, 2, 3, 4]
    assert sum(out.splits().values()) == 18
    for subject in ("group1_01", "group1_02", "group2_01"):
        assert len({r["split"] for r in out.rows if r["subject_id"] == subject}) == 1


def test_bite_unreadable_minc_is_reported(tmp_path, convert):
    base = tmp_path / "src" / "group3" / "07" / "2D"
    base.mkdir(parents=True)
    (base / "us0.mnc").write_bytes(b"CDF\x01 a MINC 1 (netCDF) header SimpleITK does not read")
    import SimpleITK as sitk

    sitk.WriteImage(sitk.GetImageFromArray(us_image(30, 34, 1200)[None]), str(base / "us1.mnc"))
    out = convert(CATALOG.datasets["bite"], tmp_path / "src")
    assert sorted(out.by_id) == ["group3_07_2D_us1"]
    assert [(p["kind"], p["file"]) for p in out.problems()] == [("unreadable", "group3/07/2D/us0.mnc")]


# --- pocus-covid19: data/pocus_{images,videos}/convex/, class from the file-name prefix ---------------------------


def _mp4(path: Path, frames: int, fps: int, h: int = 48, w: int = 64, seed: int = 0) -> None:
    import av

    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=fps)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        for k in range(frames):
            img = np.repeat(us_image(h, w, seed + k)[:, :, None], 3, axis=2)
            for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def test_pocus_convex_images_and_videos_sampled_at_3_hz(tmp_path, convert):
    from PIL import Image

    def build(root: Path) -> None:
        images, videos = root / "data" / "pocus_images", root / "data" / "pocus_videos"
        save(images / "convex" / "Cov_grepmed_1.png", rgb(us_image(40, 50, 1300)))
        save(images / "convex" / "reg_butterfly_2.jpg", rgb(us_image(40, 50, 1301)), fmt="JPEG", quality=85)
        save(images / "convex" / "Vir_case_3.png", rgb(us_image(40, 50, 1302)))  # a class UltraBench leaves out
        save(images / "linear" / "Cov_linear_4.png", rgb(us_image(40, 50, 1303)))  # linear probe: not by default
        _mp4(videos / "convex" / "Pne_litfl_5.mp4", frames=100, fps=30, seed=1400)  # every 10th from 1: 10 frames
        _mp4(videos / "convex" / "Cov_clip_6.mp4", frames=40, fps=6, seed=1500)  # every 2nd from 1: 20 frames
        gif = [Image.fromarray(us_image(32, 40, 1600 + k)) for k in range(7)]
        gif[0].save(videos / "convex" / "Reg_gif_7.gif", save_all=True, append_images=gif[1:], duration=500)
        (root / "data" / "dataset_metadata.csv").write_text("Filename,Label\n")

    src = _download(tmp_path, "covid19_ultrasound-master.zip", "covid19_ultrasound-master", build)
    out = convert(CATALOG.datasets["pocus-covid19"], src)
    counts = Counter(r["subject_id"] for r in out.rows)
    assert counts == {"Cov_grepmed_1": 1, "reg_butterfly_2": 1, "Pne_litfl_5": 10, "Cov_clip_6": 20, "Reg_gif_7": 6}
    assert len(out.rows) == 38
    assert [(p["kind"], p["file"]) for p in out.problems() if p["severity"] != "info" or p["kind"] != "rescaled"] == [
        ("not_converted", "covid19_ultrasound-master/data/pocus_images/convex/Vir_case_3.png")
    ]
    assert out.metadata["labels"] == ["covid", "pneumonia", "regular"]
    assert _labels(out.rows) == {"covid": 21, "regular": 7, "pneumonia": 10}
    assert sorted(r["frame"] for r in out.rows if r["subject_id"] == "Pne_litfl_5") == list(range(1, 100, 10))
    assert out.image("Pne_litfl_5_0011").shape == (48, 64)
    assert sum(out.splits().values()) == 38
    for subject in counts:
        assert len({r["split"] for r in out.rows if r["subject_id"] == subject}) == 1


# --- erdes: MP4 clips in the class tree, official non_rd_vs_rd split files ---------------------------------------


def test_erdes_clips_sampled_with_the_official_split(tmp_path, convert):
    clips = {
        "Non_Retinal_Detachment/Normal/164267_00001.mp4": ("train", 0),
        "Non_Retinal_Detachment/Posterior_Vitreous_Detachment/825315_00047.mp4": ("val", 0),
        "Retinal_Detachment/Macula_Intact/ND/258033_00052.mp4": ("test", 1),
        "Retinal_Detachment/Macula_Detached/Bilateral/755384_00062.mp4": ("train", 1),
    }

    def build(root: Path) -> None:
        for n, rel in enumerate(clips):
            _mp4(root / "clips" / rel, frames=25, fps=10, h=32, w=48, seed=1700 + 40 * n)  # every 10th: 0, 10, 20
        for split in ("train", "val", "test"):
            rows = "".join(f"data/erdes/{rel},{lab}\n" for rel, (s, lab) in clips.items() if s == split)
            (root / "splits" / "non_rd_vs_rd").mkdir(parents=True, exist_ok=True)
            (root / "splits" / "non_rd_vs_rd" / f"{split}.csv").write_text("path,label\n" + rows)
        (root / "erdes_metadata.csv").write_text("clip_id,file_path,diagnostic_class\n")

    src = _download(tmp_path, "ERDES.zip", "ERDES", build)
    out = convert(CATALOG.datasets["erdes"], src)
    assert len(out.rows) == 12, out.problems()
    assert not [p for p in out.problems() if p["kind"] != "rescaled"]
    assert out.splits() == {"train": 6, "val": 3, "test": 3}
    assert out.metadata["labels"] == ["non_rd", "rd"]
    assert _labels(out.rows) == {"non_rd": 6, "rd": 6}
    row = out.by_id["755384_00062_0010"]
    assert (
        row["subject_id"] == "755384_00062"
        and row["frame"] == 10
        and '"subclass": "Macula_Detached/Bilateral"' in row["extra"]
    )
    assert sorted(r["frame"] for r in out.rows if r["subject_id"] == "164267_00001") == [0, 10, 20]


# --- cubs: IMAGES/*.tiff with Manual-A1 LI/MA tracings -----------------------------------------------------------


def test_cubs_intima_media_region_between_tracings(tmp_path, convert):
    from PIL import Image

    def build(root: Path) -> None:
        for n, stem in enumerate(("0001_left", "0001_right", "0002_left", "0003_left")):
            (root / "IMAGES").mkdir(parents=True, exist_ok=True)
            Image.fromarray(us_image(60, 80, 1800 + n)).save(root / "IMAGES" / f"{stem}.tiff")
            (root / "CF").mkdir(exist_ok=True)
            (root / "CF" / f"{stem}_CF.txt").write_text("0,0625\n")
            if stem == "0003_left":
                continue  # no tracing: reported
            a1 = root / "SEGMENTATIONS" / "Manual-A1"
            a1.mkdir(parents=True, exist_ok=True)
            (a1 / f"{stem}-LI.txt").write_text("".join(f"{x},0 20,0\n" for x in range(10, 71, 10)))
            (a1 / f"{stem}-MA.txt").write_text("".join(f"{x}.5 30\n" for x in range(70, 9, -20)))
        (root / "ClinicalDatabase-CUBS.csv").write_text(";patient_id;age\nA;0001;55\n")

    src = _download(tmp_path, "CUBS.zip", "CUBS", build)
    out = convert(CATALOG.datasets["cubs"], src)
    assert len(out.rows) == 3
    assert [(p["kind"], p["sample_id"]) for p in out.problems()] == [("missing_mask", "0003_left")]
    assert _classes(out, "intima_media") == {0: "background", 1: "intima-media complex"}
    mask = out.mask("0001_left", "intima_media")
    assert set(np.unique(mask).tolist()) == {0, 1}
    assert mask[25, 40] == 1 and mask[15, 40] == 0 and mask[35, 40] == 0 and mask[25, 5] == 0
    assert {r["sample_id"]: r["subject_id"] for r in out.rows} == {
        "0001_left": "0001",
        "0001_right": "0001",
        "0002_left": "0002",
    }
    assert '"cf_mm_per_px": 0.0625' in out.by_id["0002_left"]["extra"]
    assert sum(out.splits().values()) == 3
    assert len({r["split"] for r in out.rows if r["subject_id"] == "0001"}) == 1


# --- echonet-lvh: Batch*/<hash>.avi with MeasurementsList.csv calipers -------------------------------------------


def test_echonet_lvh_measured_frames_with_calipers(tmp_path, convert):
    import av

    def build(root: Path) -> None:
        _mp4(root / "Batch1" / "0X1A2B.avi", frames=10, fps=50, h=32, w=48, seed=1900)
        _mp4(root / "Batch3" / "0X9F00.avi", frames=4, fps=50, h=32, w=48, seed=1950)
        rows = [
            ("0X1A2B", "IVSd", 1.1, 2, 10, 12, 10, 20, "train"),
            ("0X1A2B", "LVIDd", 4.5, 2, 10, 20, 10, 30, "train"),
            ("0X1A2B", "LVIDs", 3.0, 8, 11, 20, 11, 28, "train"),
            ("0X9F00", "IVSd", 0.9, 0, 5, 5, 5, 9, "val"),
            ("0XDEAD", "IVSd", 1.0, 1, 5, 5, 5, 9, "test"),  # its video is not in the download
        ]
        (root / "MeasurementsList.csv").write_text(
            ",HashedFileName,Calc,CalcValue,Frame,X1,X2,Y1,Y2,Frames,FPS,Width,Height,split\n"
            + "".join(
                f"{i},{n},{c},{v},{f},{x1},{x2},{y1},{y2},10,50,48,32,{s}\n"
                for i, (n, c, v, f, x1, y1, x2, y2, s) in enumerate(rows)
            )
        )

    src = _download(tmp_path, "EchoNet-LVH.zip", "", build)
    out = convert(CATALOG.datasets["echonet-lvh"], src)
    assert sorted(out.by_id) == ["0X1A2B_0002", "0X1A2B_0008", "0X9F00_0000"]
    assert [(p["kind"], p["file"]) for p in out.problems()] == [("missing_image", "MeasurementsList.csv")]
    assert out.splits() == {"train": 2, "val": 1}
    row = out.by_id["0X1A2B_0002"]
    assert [(p["x"], p["y"]) for p in row["points"]] == [(10, 12), (10, 20), (10, 20), (10, 30)]
    assert '"LVIDd": [4.5, 10.0, 20.0, 10.0, 30.0]' in row["extra"]
    with av.open(str(src / "Batch1" / "0X1A2B.avi")) as c:
        frame8 = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)][8]
    assert np.array_equal(out.image("0X1A2B_0008"), frame8)
    assert out.by_id["0X9F00_0000"]["subject_id"] == "0X9F00" and out.by_id["0X9F00_0000"]["frame"] == 0


# --- unity-imaging: png-cache.zip and labels.zip ------------------------------------------------------------------


def test_unity_imaging_landmarks_and_published_split(tmp_path, convert):
    import json

    names = ["01-000cf58f11aa-0002.png", "01-000cf58f11aa-0007.png", "02-7e3d0a9b22bb-0011.png"]
    labels = {
        names[0]: {"labels": {"lv-apex": {"type": "point", "x": "20.5", "y": "10"}, "mv-ant": {"type": "off"}}},
        names[1]: {"labels": {"curve-lv-endo": {"type": "curve", "x": "10 20 30", "y": "30 12 30"}}},
        names[2]: {
            "labels": {
                "lv-apex": {"type": "blurred", "x": "1", "y": "1"},
                "ao-l": {"type": "point", "x": "5", "y": "6"},
            }
        },
    }
    staging = tmp_path / "staging"
    for i, name in enumerate(names):
        prefix, digest, _ = name.split("-", 2)
        save(staging / "png" / "png-cache" / prefix / digest[:2] / digest[2:4] / name, us_image(40, 50, 2000 + i))
    (staging / "lab" / "labels").mkdir(parents=True)
    (staging / "lab" / "labels" / "labels-all.json").write_text(json.dumps(labels))
    (staging / "lab" / "labels" / "labels-train.json").write_text(json.dumps({n: labels[n] for n in names[:2]}))
    (staging / "lab" / "labels" / "labels-tune.json").write_text(json.dumps({names[2]: labels[names[2]]}))
    (staging / "lab" / "labels" / "keys.json").write_text("{}")
    src = tmp_path / "src"
    src.mkdir()
    for archive, folder in (("png-cache.zip", "png"), ("labels.zip", "lab")):
        (tmp_path / archive).write_bytes(zip_tree(staging / folder))
        extract(tmp_path / archive, src)

    out = convert(CATALOG.datasets["unity-imaging"], src)
    assert len(out.rows) == 3 and not out.problems(), out.problems()
    assert out.splits() == {"train": 2, "val": 1}
    pts = {r["sample_id"]: [(p["x"], p["y"]) for p in r["points"]] for r in out.rows}
    assert pts == {
        "01-000cf58f11aa-0002": [(20.5, 10.0)],
        "01-000cf58f11aa-0007": [(10.0, 30.0), (20.0, 12.0), (30.0, 30.0)],
        "02-7e3d0a9b22bb-0011": [(5.0, 6.0)],
    }
    assert {r["subject_id"] for r in out.rows} == {"000cf58f11aa", "7e3d0a9b22bb"}
    assert '"curve-lv-endo"' in out.by_id["01-000cf58f11aa-0007"]["extra"]


# --- remind2reg: imagesTr/<case>_0000.nii.gz ultrasound channel ---------------------------------------------------


def test_remind2reg_ultrasound_channel_only(tmp_path, convert):
    import json

    def build(root: Path) -> None:
        for n, case in enumerate(("ReMIND2Reg_0001", "ReMIND2Reg_0002")):
            _volume(root / "imagesTr" / f"{case}_0000.nii.gz", 12, 20, 22, 2100 + 30 * n)
            _volume(root / "imagesTr" / f"{case}_0001.nii.gz", 3, 8, 8, 2190 + n)  # MRI channel
        training = [{"image": f"./imagesTr/ReMIND2Reg_000{i}_000{c}.nii.gz"} for i in (1, 2) for c in (0, 1)]
        (root / "ReMIND2Reg_dataset.json").write_text(json.dumps({"training": training}))

    src = _download(tmp_path, "ReMIND2Reg.zip", "ReMIND2Reg", build)
    out = convert(CATALOG.datasets["remind2reg"], src)
    assert len(out.rows) == 20 and not out.problems(), out.problems()
    assert Counter(r["subject_id"] for r in out.rows) == {"ReMIND2Reg_0001": 10, "ReMIND2Reg_0002": 10}
    assert sum(out.splits().values()) == 20
    assert all(len({r["split"] for r in out.rows if r["subject_id"] == c}) == 1 for c in ("ReMIND2Reg_0001",))
    assert out.image("ReMIND2Reg_0002_0001").shape == (20, 22)


# --- mimic-iv-echo: the PhysioNet tree, driven by echo-record-list.csv --------------------------------------------


def _dicom_clip(path: Path, frames: np.ndarray, **tags) -> None:
    """An uncompressed multi-frame (or single-frame) MONOCHROME2 ultrasound DICOM, with extra ``tags``."""
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.3.1"  # ultrasound multi-frame image storage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(str(path), {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID, ds.SOPInstanceUID, ds.Modality = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID, "US"
    ds.Rows, ds.Columns = frames.shape[-2:]
    if frames.shape[0] > 1:
        ds.NumberOfFrames = frames.shape[0]
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.PixelData = np.ascontiguousarray(frames if frames.shape[0] > 1 else frames[0]).tobytes()
    for key, value in tags.items():
        setattr(ds, key, value)
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(str(path), enforce_file_format=True)


def test_mimic_iv_echo_frames_of_each_listed_clip(tmp_path, convert):
    clips: dict[str, np.ndarray] = {}

    def build(root: Path) -> None:
        base = root / "physionet.org" / "files" / "mimic-iv-echo" / "1.0"
        records = [
            ("10002221", "94106955", "94106955_0001", 20),
            ("10002221", "94106955", "94106955_0002", 1),
            ("10003400", "90001234", "90001234_0001", 6),
            ("10004000", "90005555", "90005555_0001", 0),  # listed but not downloaded
        ]
        lines = ["subject_id,study_id,acquisition_datetime,dicom_filepath"]
        for n, (subject, study, stem, count) in enumerate(records):
            rel = f"files/p{subject[:2]}/p{subject}/s{study}/{stem}.dcm"
            lines.append(f"{subject},{study},2180-01-01 10:00:00,{rel}")
            if count:
                clips[stem] = np.stack([us_image(24, 32, 2200 + 40 * n + k) for k in range(count)])
                _dicom_clip(base / rel, clips[stem])
        (base / "echo-record-list.csv").write_text("\n".join(lines) + "\n")
        (base / "echo-study-list.csv").write_text("subject_id,study_id\n")

    src = _download(tmp_path, "mimic-iv-echo-1.0.zip", "", build)
    out = convert(CATALOG.datasets["mimic-iv-echo"], src)
    assert sorted(out.by_id) == [
        "90001234_0001_0000",
        "90001234_0001_0002",
        "90001234_0001_0004",
        "94106955_0001_0002",
        "94106955_0001_0010",
        "94106955_0001_0017",
        "94106955_0002_0000",
    ]
    assert [p["kind"] for p in out.problems()] == ["missing_image"]
    assert np.array_equal(out.image("94106955_0001_0010"), clips["94106955_0001"][10])
    assert np.array_equal(out.image("94106955_0002_0000"), clips["94106955_0002"][0])
    assert Counter(r["subject_id"] for r in out.rows) == {"10002221": 4, "10003400": 3}
    assert len({r["split"] for r in out.rows if r["subject_id"] == "10002221"}) == 1
    assert '"study_id": "94106955"' in out.by_id["94106955_0002_0000"]["extra"]


# --- remind: DICOM series of the TCIA collection; the ultrasound only ---------------------------------------------


def test_remind_ultrasound_volumes_and_series_by_patient(tmp_path, convert):
    vol = np.stack([us_image(20, 24, 2300 + k) for k in range(12)])
    series_files = [us_image(20, 24, 2400 + k) for k in range(4)]

    def build(root: Path) -> None:
        case = root / "remind" / "ReMIND-001" / "1.2.3"
        _dicom_clip(case / "US_pre" / "1-1.dcm", vol, PatientID="ReMIND-001", SeriesInstanceUID="1.2.3.1")
        for k, img in enumerate(series_files):  # a series of single-frame files, written out of order
            _dicom_clip(
                case / "US_post" / f"1-{4 - k}.dcm",
                img[None],
                PatientID="ReMIND-001",
                SeriesInstanceUID="1.2.3.2",
                InstanceNumber=k + 1,
            )
        mr = root / "remind" / "ReMIND-001" / "1.2.3" / "MR_T1" / "1-1.dcm"
        _dicom_clip(mr, vol[:3], PatientID="ReMIND-001", SeriesInstanceUID="1.2.3.9", Modality="MR")
        _dicom_clip(
            root / "remind" / "ReMIND-002" / "4.5" / "US_pre" / "1-1.dcm",
            vol[:5],
            PatientID="ReMIND-002",
            SeriesInstanceUID="4.5.1",
        )

    src = _download(tmp_path, "ReMIND.zip", "", build)
    out = convert(CATALOG.datasets["remind"], src)
    assert not out.problems(), out.problems()
    assert Counter(r["subject_id"] for r in out.rows) == {"ReMIND-001": 10 + 4, "ReMIND-002": 5}
    assert np.array_equal(out.image("ReMIND-001_s1_1-1_0006"), vol[6])
    for k, img in enumerate(series_files):  # instance order, whatever the file names
        assert np.array_equal(out.image(f"ReMIND-001_s2_1-{4 - k}"), img)
    assert len({r["split"] for r in out.rows if r["subject_id"] == "ReMIND-001"}) == 1
    assert sum(out.splits().values()) == 19


# --- chinese-us-report-text: new_<Organ>2.json records with <Organ>_report/ images --------------------------------


def test_chinese_us_report_images_with_reports_and_splits(tmp_path, convert):
    import json

    def build(root: Path) -> None:
        docs = {
            "Mammary": {
                "train": [
                    {
                        "uid": 215168,
                        "finding": "双侧乳腺体未见明显异常",
                        "image_path": ["215168_1.jpeg", "215168_2.jpeg"],
                        "labels": 1,
                    }
                ],
                "val": [{"uid": 215170, "finding": "右乳低回声结节", "image_path": ["215170_1.jpeg"], "labels": 3}],
                "test": [{"uid": 215171, "finding": "x", "image_path": ["215171_1.jpeg", "missing.jpeg"], "labels": 0}],
            },
            "Thyroid": {"train": [{"uid": 9, "finding": "甲状腺", "image_path": ["9_1.jpeg"], "labels": 2}]},
        }
        n = 0
        for organ, doc in docs.items():
            (root / f"new_{organ}2.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
            for records in doc.values():
                for rec in records:
                    for name in rec["image_path"]:
                        if name != "missing.jpeg":
                            save(root / f"{organ}_report" / name, rgb(us_image(40, 50, 2500 + n)), fmt="JPEG")
                            n += 1

    src = _download(tmp_path, "Ultrasound_Report_Data.zip", "Data", build)
    out = convert(CATALOG.datasets["chinese-us-report-text"], src)
    assert len(out.rows) == 5
    assert [(p["kind"], p["file"]) for p in out.problems()] == [("missing_image", "Data/new_Mammary2.json")]
    assert out.splits() == {"train": 3, "val": 1, "test": 1}
    assert out.by_id["Mammary_215168_2"]["subject_id"] == "Mammary_215168"
    assert out.by_id["Thyroid_9_1"]["label"] is None
    extra = json.loads(out.by_id["Mammary_215170_1"]["extra"])
    assert extra == {"organ": "Mammary", "uid": "215170", "report": "右乳低回声结节", "cluster": 3}


# --- neonatal-3d-us-neuro: *.nrrd volumes side by side ------------------------------------------------------------


def test_neonatal_3d_us_neuro_nrrd_volumes_sliced_by_study(tmp_path, convert):
    vols: dict[str, np.ndarray] = {}

    def build(root: Path) -> None:
        for n, name in enumerate(("P01_vol1", "P01_vol2", "P02_vol1")):
            vols[name] = _volume(root / f"{name}.nrrd", 6, 18, 20, 2600 + 10 * n)

    src = _download(tmp_path, "3D-US-Neuroimages-Dataset.zip", "3D-US-Neuroimages-Dataset", build)
    out = convert(CATALOG.datasets["neonatal-3d-us-neuro"], src)
    assert len(out.rows) == 18 and not out.problems(), out.problems()
    assert Counter(r["subject_id"] for r in out.rows) == {"P01": 12, "P02": 6}
    assert np.array_equal(out.image("P01_vol2_0003"), vols["P01_vol2"][3])
    assert len({r["split"] for r in out.rows if r["subject_id"] == "P01"}) == 1
