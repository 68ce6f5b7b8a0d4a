"""Round 3 of catalog loaders (issue 12): datasets whose real layout an independent converter shows.

Each builder writes a tiny tree exactly as the cited code reads the real download (the archive's top folders and the
host's packaging where known), converts it with the real catalog entry and checks the sample count, the split counts
(or, with no published split, the seeded kind) and the class map of the mask targets or image labels.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from registry.schema import Dataset
from tests.fixtures.builders._common import rgb, save, us_image
from tests.loaders.conftest import (
    check_converted_layout,
    convert_layout,
    fetch_from_file_then_load,
    from_file_args,
    real_catalog,
)

CATALOG = real_catalog()


def _jpeg(path: Path, array: np.ndarray) -> None:
    save(path, array, fmt="JPEG", quality=85)


# --- layouts -------------------------------------------------------------------------------------------------------


def _cactus(stage: Path) -> dict:
    # FRDR's "Cactus Dataset" folder as ultatron's CACTUS adapter reads it: one folder per view, grades beside
    base = stage / "Cactus Dataset"
    counts = {"A4C": 2, "SC": 1, "PL": 1, "PSAV": 1, "PSMV": 1, "Random": 2}
    seed = 0
    for view, n in counts.items():
        rows = ["Image Name,Subfolder Name,Grade"]
        for i in range(n):
            seed += 1
            name = f"{view}_frame{i:04d}.jpg"
            _jpeg(base / "Images Dataset" / view / name, rgb(us_image(36, 44, 2000 + seed)))
            rows.append(f"{name},{view},{i + 5}")
        (base / "Grades").mkdir(parents=True, exist_ok=True)
        (base / "Grades" / f"{view}_grades.csv").write_text("\n".join(rows) + "\n")
    (base / "Videos" / "Training").mkdir(parents=True)
    (base / "Videos" / "Training" / "Video1.csv").write_text("Frame,Grade\n1,7\n")
    return {
        "samples": 8,
        "split_kind": "seeded-random",
        "labels": {
            "A4C": 2,
            "Subcostal": 1,
            "Parasternal long-axis": 1,
            "Parasternal short-axis aortic": 1,
            "Parasternal short-axis mitral": 1,
            "Random": 2,
        },
        "label_classes": [  # the entry's class names; the folders abbreviate them (SC, PL, PSAV, PSMV)
            "A4C",
            "Subcostal",
            "Parasternal long-axis",
            "Parasternal short-axis aortic",
            "Parasternal short-axis mitral",
            "Random",
        ],
    }


def _fugc(stage: Path) -> dict:
    # ultatron's FUGC adapter: dataset/{train/{labeled_data,unlabeled_data},val,test}/images (+ labels), masks 0-2
    base = stage / "dataset"
    seed = 0

    def pair(folder: Path, stem: str, labelled: bool) -> None:
        nonlocal seed
        seed += 1
        save(folder / "images" / f"{stem}.png", rgb(us_image(32, 40, 2100 + seed)))
        if labelled:
            mask = np.zeros((32, 40), np.uint8)
            mask[4:12, 4:16] = 1
            mask[16:28, 20:36] = 2
            save(folder / "labels" / f"{stem}.png", mask)

    for i in range(2):
        pair(base / "train" / "labeled_data", f"{i:04d}", True)
    for i in range(3):
        pair(base / "train" / "unlabeled_data", f"{100 + i:04d}", False)
    pair(base / "val", "0200", True)
    for i in range(2):
        pair(base / "test", f"{300 + i:04d}", True)
    return {
        "samples": 8,
        "splits": {"train": 5, "val": 1, "test": 2},
        "targets": {"cervix": {0: "background", 1: "label 1", 2: "label 2"}},
        "masked": 5,
        "mask_values": {"0000": {0, 1, 2}, "0301": {0, 1, 2}},
    }


def _tud_thyroid(stage: Path) -> dict:
    # NEU-LX's README tree: ThyroidDatasets/{DDTI,TUD}/{images,annotations}/{training,test}, TUD/normal_thyroid;
    # 512 x 512 in the real data, labels 0/1 (not 0/255)
    top = stage / "ThyroidDatasets"
    seed = 0
    for part, counts in (("TUD", {"training": 3, "test": 2}), ("DDTI", {"training": 1, "test": 1})):
        for folder, n in counts.items():
            for i in range(n):
                seed += 1
                save(top / part / "images" / folder / f"{i}.png", us_image(32, 32, 2200 + seed))
                mask = np.zeros((32, 32), np.uint8)
                mask[8 : 16 + i, 8:20] = 1
                save(top / part / "annotations" / folder / f"{i}.png", mask)
    save(top / "TUD" / "normal_thyroid" / "1.png", us_image(32, 32, 2290))
    return {
        "samples": 5,
        "splits": {"train": 3, "test": 2},
        "targets": {"nodule": {0: "background", 1: "nodule"}},
        "mask_values": {"training_0": {0, 1}, "test_1": {0, 1}},
        "ignored": 5,  # the bundled DDTI copy (2 images, 2 masks) and TUD's normal thyroid image, left out on purpose
    }


def _h5_scan(path: Path, frames: int, seed: int, tforms: bool = True) -> None:
    import h5py

    path.parent.mkdir(parents=True, exist_ok=True)
    stack = np.stack([us_image(16, 20, seed + k) for k in range(frames)])
    with h5py.File(path, "w") as h5:
        h5.create_dataset("frames", data=stack)
        if tforms:
            poses = np.tile(np.eye(4, dtype=np.float32), (frames, 1, 1))
            poses[:, 0, 3] = np.arange(frames)  # the probe moves 1 mm per frame along x
            h5.create_dataset("tforms", data=poses)


def _tus_rec_2025(stage: Path) -> dict:
    # the challenge's data.md: training scans hold frames and tforms; validation frames and transforms are split
    train = stage / "Freehand_US_data_train_2025"
    _h5_scan(train / "frames_transfs" / "000" / "RH_rotation.h5", 12, 2300)
    _h5_scan(train / "frames_transfs" / "000" / "LH_rotation.h5", 4, 2320)  # shorter than 10 frames: all of them
    _h5_scan(train / "frames_transfs" / "001" / "RH_rotation.h5", 12, 2340)
    (train / "landmarks").mkdir(parents=True)
    with __import__("h5py").File(train / "landmarks" / "landmark_000.h5", "w") as h5:
        h5.create_dataset("RH_rotation", data=np.zeros((100, 3), np.int64))
    (train / "calib_matrix.csv").write_text("scaling_from_pixel_to_mm\n0.2,0.2\n")
    val = stage / "Freehand_US_data_val_2025"
    _h5_scan(val / "frames" / "050" / "RH_rotation.h5", 12, 2360, tforms=False)
    _h5_scan(val / "transfs" / "050" / "RH_rotation.h5", 12, 2380)  # transforms only: not a scan of frames
    (val / "calib_matrix.csv").write_text("scaling_from_pixel_to_mm\n0.2,0.2\n")
    return {
        "samples": 10 + 4 + 10 + 10,
        "splits": {"train": 24, "val": 10},
        "subjects": 3,
        "subjects_of": {"000_RH_rotation_f00000": "000", "050_RH_rotation_f00011": "050"},
        "frames_of": {"000_RH_rotation": [0, 1, 2, 4, 5, 6, 7, 9, 10, 11], "000_LH_rotation": [0, 1, 2, 3]},
        "tform_x": {"000_RH_rotation_f00011": 11.0},
    }


def _tus_rec_2024(stage: Path) -> dict:
    # the baseline README: train_part1.zip / train_part2.zip start at the subject folders, landmark.zip at its files
    _h5_scan(stage / "train_part1.zip" / "000" / "RH_Per_L_DtP.h5", 12, 2400)
    _h5_scan(stage / "train_part1.zip" / "000" / "LH_Par_C_PtD.h5", 3, 2420)
    _h5_scan(stage / "train_part1.zip" / "001" / "RH_Per_S_DtP.h5", 12, 2440)
    _h5_scan(stage / "train_part2.zip" / "002" / "LH_Per_L_PtD.h5", 11, 2460)
    (stage / "landmark.zip").mkdir()
    with __import__("h5py").File(stage / "landmark.zip" / "landmark_000.h5", "w") as h5:
        h5.create_dataset("RH_Per_L_DtP", data=np.zeros((100, 3), np.int64))
    (stage / "calib_matrix.csv").write_text("scaling_from_pixel_to_mm\n0.2,0.2\n")
    return {
        "samples": 10 + 3 + 10 + 10,
        "splits": {"train": 33},  # official: every scan of the training parts is train
        "subjects": 3,
        "subjects_of": {"002_LH_Per_L_PtD_f00010": "002"},
        "frames_of": {"000_LH_Par_C_PtD": [0, 1, 2], "002_LH_Per_L_PtD": [0, 1, 2, 3, 4, 6, 7, 8, 9, 10]},
        "tform_x": {"001_RH_Per_S_DtP_f00004": 4.0},
    }


def _kidney_us_amas(stage: Path) -> dict:
    # the authors' notebooks: one folder per class (Good, Bad, Null), patient id = '<name>-<n>of<m>' of the file name
    names = {
        "Good": ["case 7-1of2 (1).png", "case 7-1of2 (2).png", "case 9-2of3 (1).png"],
        "Bad": ["case 7-1of2 (3).png", "case 12-1of1 (1).png"],
        "Null": ["case 15-3of3 (1).png"],
    }
    seed = 0
    for label, files in names.items():
        for name in files:
            seed += 1
            save(stage / label / name, rgb(us_image(30, 40, 2600 + seed)))
    return {
        "samples": 6,
        "split_kind": "seeded-subject",
        "subjects": 4,
        "subjects_of": {"case_7-1of2_3": "case 7-1of2", "case_15-3of3_1": "case 15-3of3"},
        "labels": {"Good": 3, "Bad": 2, "Null": 1},
        "label_classes": ["Good", "Bad", "Null"],
    }


def _gbusv(stage: Path) -> dict:
    # the authors' UCL code: Data_64/<video>/<NNNNN>.jpg, the video = the frame's parent folder
    seed = 0
    for video, frames in (("Video_1", 3), ("Video_2", 2), ("Video_3", 2)):
        for k in range(frames):
            seed += 1
            _jpeg(stage / "Data_64" / video / f"{k:05d}.jpg", rgb(us_image(30, 40, 2700 + seed)))
    return {
        "samples": 7,
        "split_kind": "seeded-subject",
        "subjects": 3,
        "subjects_of": {"Video_1_00002": "Video_1", "Video_3_00000": "Video_3"},
    }


LAYOUTS: dict[str, tuple[Dataset, Callable[[Path], dict]]] = {
    "cactus": (CATALOG.datasets["cactus"], _cactus),
    "fugc": (CATALOG.datasets["fugc"], _fugc),
    "gbusv": (CATALOG.datasets["gbusv"], _gbusv),
    "kidney-us-amas": (CATALOG.datasets["kidney-us-amas"], _kidney_us_amas),
    "tud-thyroid": (CATALOG.datasets["tud-thyroid"], _tud_thyroid),
    "tus-rec-2024": (CATALOG.datasets["tus-rec-2024"], _tus_rec_2024),
    "tus-rec-2025": (CATALOG.datasets["tus-rec-2025"], _tus_rec_2025),
}


@pytest.mark.parametrize("entry_id", sorted(LAYOUTS))
def test_catalog_entry_converts_its_cited_layout(entry_id, tmp_path, convert):
    out, expected = convert_layout(convert, *LAYOUTS[entry_id], tmp_path)
    check_converted_layout(out, expected)


def test_tus_rec_reports_a_scan_without_frames_and_converts_the_others(tmp_path, convert):
    import h5py

    base = tmp_path / "src" / "Freehand_US_data_train_2025" / "frames_transfs"
    _h5_scan(base / "000" / "RH_rotation.h5", 5, 2500)
    (base / "001").mkdir(parents=True)
    with h5py.File(base / "001" / "RH_rotation.h5", "w") as h5:
        h5.create_dataset("tforms", data=np.zeros((3, 4, 4), np.float32))  # no frames
    (base / "002" / "LH_rotation.h5").parent.mkdir(parents=True)
    (base / "002" / "LH_rotation.h5").write_bytes(b"not an HDF5 file")
    out = convert(CATALOG.datasets["tus-rec-2025"], tmp_path / "src")
    assert len(out.rows) == 5 and {r["subject_id"] for r in out.rows} == {"000"}
    kinds = {(p["kind"], p["file"].rsplit("/", 2)[-2]) for p in out.problems()}
    assert {("unreadable", "001"), ("unreadable", "002")} <= kinds


@pytest.mark.parametrize(("entry_id", "archive"), [("tud-thyroid", "ThyroidDatasets.zip"), ("tus-rec-2024", None)])
def test_usreg_fetch_from_file_then_load(entry_id, archive, tmp_path, run_cli, usreg_home):
    """The user's path: `usreg fetch ID --from-file` with the download(s) and the real catalog, then load."""
    _, build = LAYOUTS[entry_id]
    stage = tmp_path / "stage"
    expected = build(stage)
    if archive:  # a folder the host serves as one archive: packed whole, top folder included
        (tmp_path / "wrapped" / archive).mkdir(parents=True)
        for top in sorted(stage.iterdir()):
            shutil.move(str(top), tmp_path / "wrapped" / archive / top.name)
        stage = tmp_path / "wrapped"
    # the tiny trees cannot hold the entries' declared counts: the partial conversion is accepted knowingly
    # (loose files such as calib_matrix.csv travel as they are)
    output, ds = fetch_from_file_then_load(run_cli, entry_id, "--keep-going", *from_file_args(stage, tmp_path))
    assert "counts_match" in output  # the failed count check is named, not hidden
    assert len(ds) == expected["samples"]
