"""Quirks found by converting real copies of the downloads (round g: fetal and obstetric sets), rebuilt in fixtures.

No real data is stored here: each fixture rebuilds only the file and folder names (and the table layout) that the
real copy showed, with synthetic pixels.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from tests.fixtures.builders._common import rgb, save, us_image
from tests.loaders.conftest import real_catalog


def test_fetal_planes_db_split_values_with_a_trailing_space(tmp_path: Path, convert) -> None:
    # The real FETAL_PLANES_DB_data.csv (kareemkhaleel4/DeepLearningProjectDataset@17d2ead, 909,942 characters) has
    # the header '...;US_Machine;Train' and ends every row with the Train code and a space ('...;Aloka;1 '); its
    # Brain_plane column says 'Not A Brain' or, for brain images, a sub-plane or 'Other'. Split codes must match.
    root = tmp_path / "src" / "FETAL_PLANES_ZENODO"
    rows = [
        ("Patient00001_Plane1_1_of_15", 1, "Other", "Not A Brain", "Other", "Aloka", 1),
        ("Patient00001_Plane1_2_of_15", 1, "Other", "Not A Brain", "Other", "Aloka", 1),
        ("Patient01316_Plane3_2_of_3", 1316, "Fetal brain", "Other", "Op. 2", "Voluson E6", 0),
        ("Patient01310_Plane4_1_of_7", 1310, "Maternal cervix", "Not A Brain", "Op. 2", "Voluson E6", 0),
    ]
    lines = ["Image_name;Patient_num;Plane;Brain_plane;Operator;US_Machine;Train"]
    for n, row in enumerate(rows):
        save(root / "Images" / f"{row[0]}.png", us_image(24, 28, 7000 + n))
        lines.append(";".join(map(str, row)) + " ")
    (root / "FETAL_PLANES_DB_data.csv").write_text("\n".join(lines) + "\n")
    out = convert(real_catalog().datasets["fetal-planes-db"], tmp_path / "src")
    assert out.splits() == {"train": 2, "test": 2}
    assert out.metadata["splits"]["kind"] == "official"
    assert out.by_id["Patient01316_Plane3_2_of_3"]["label"] == "Fetal brain"
    assert out.by_id["Patient01316_Plane3_2_of_3"]["subject_id"] == "1316"
    assert out.metadata["source_files"]["dropped"] == 0


def test_jnu_ifm_video_folders_with_mask_enhance_and_no_us_data_folder(tmp_path: Path, convert) -> None:
    # No real copy of the images was found. A README of the dataset (a copy of its text, and a Kaggle re-packer's
    # version in lamld203844/Biomedical-Segmentation@d357b5e) describes one folder per video named by its time stamp
    # ('20190909T155747') holding image/<video>_<n>.png, mask/<video>_<n>_mask.png, mask_enhance/ (the masks painted
    # red and green for viewing) and framelabel.csv; 6,254 images, 6,247 masks. ultatron's adapter puts the video
    # folders under us_data/ and ignores mask_enhance/. The viewing copies are not source images left unused: a fetch
    # must end complete, with the video folder as subject wherever the folders sit.
    base = tmp_path / "src" / "JNU-IFM"
    for v, video in enumerate(("20190909T155747", "20190916T104520")):
        for n in (1, 2):
            stem = f"{video}_{n}"
            save(base / video / "image" / f"{stem}.png", us_image(32, 40, 7100 + 10 * v + n))
            if (v, n) == (1, 2):
                continue  # a frame without a mask (the release has seven more images than masks)
            lab = np.zeros((32, 40), np.uint8)
            lab[20:30, 4:14], lab[3:16, 12:36] = 7, 8
            save(base / video / "mask" / f"{stem}_mask.png", lab)
            save(base / video / "mask_enhance" / f"{stem}_mask.png", np.stack([lab * 30] * 3, axis=-1))
        (base / video / "framelabel.csv").write_text("frame_id,frame_label\n1,6\n2,6\n")
    out = convert(real_catalog().datasets["jnu-ifm"], tmp_path / "src")
    assert {r["sample_id"]: r["subject_id"] for r in out.rows} == {
        "20190909T155747_1": "20190909T155747",
        "20190909T155747_2": "20190909T155747",
        "20190916T104520_1": "20190916T104520",
        "20190916T104520_2": "20190916T104520",
    }
    assert out.by_id["20190916T104520_2"]["masks"] == []
    files = out.metadata["source_files"]
    assert files["dropped"] == 0 and files["ignored"] == 3
    assert out.metadata["status"]["state"] != "partial"


def test_fpus23_pose_stream_frames_are_left_out_not_dropped(tmp_path: Path, convert) -> None:
    # The authors' repository (bharathprabakaran/FPUS23@e86479a) holds the CVAT annotations of 39 pose streams
    # (annotation/stream_hdvb_aroundabd_h/annotations.xml ..., 15,113 frames named frame_000000.png ...) and code that
    # reads the frames from ../Dataset/four_poses/<stream>/ beside ../Dataset_Plane/<PLANE>/. The loader converts the
    # plane folders only: the stream frames are left out on purpose, not reported as dropped (every fetch was partial).
    root = tmp_path / "src" / "archive"
    for n, plane in enumerate(("AC_PLANE", "BPD_PLANE", "FL_PLANE", "NO_PLANE")):
        save(root / "Dataset_Plane" / plane / f"{plane.lower()}_{n}.png", us_image(30, 40, 7200 + n))
    for s, stream in enumerate(("stream_hdvb_aroundabd_h", "stream_huvf_longrec_v")):
        for f in range(2):
            save(root / "Dataset" / "four_poses" / stream / f"frame_{f:06d}.png", us_image(30, 40, 7210 + 2 * s + f))
        xml = root / "Dataset" / "boxes" / "annotation" / stream / "annotations.xml"
        xml.parent.mkdir(parents=True)
        xml.write_text('<annotations><image id="0" name="frame_000000.png" width="40" height="30"/></annotations>')
    out = convert(real_catalog().datasets["fpus23"], tmp_path / "src")
    assert sorted(r["label"] for r in out.rows) == ["AC_PLANE", "BPD_PLANE", "FL_PLANE", "NO_PLANE"]
    files = out.metadata["source_files"]
    assert files["dropped"] == 0 and files["ignored"] == 4
    assert out.metadata["status"]["dropped_files"] == 0


def test_focus_fetal_cardiac_rgb_masks_and_a_validation_folder(tmp_path: Path, convert) -> None:
    # A real copy (lukaznj/fetal-ctr-detection@205ed0b, dataset/: training 200, validation 50, testing 50 images)
    # has greyscale (mode L) images and RGB mask PNGs with 0 or 255 in all three channels, <n>-cardiac.png and
    # <n>-thorax.png; each folder numbers its images from 001, and annfiles_ellipse/<n>.txt lines read
    # 'cx cy a b angle label'.
    root = tmp_path / "src" / "dataset"
    for i, (folder, stem) in enumerate((("training", "001"), ("validation", "001"), ("testing", "001"))):
        save(root / folder / "images" / f"{stem}.png", us_image(40, 56, 7300 + i))
        for name, (r0, r1, c0, c1) in (("cardiac", (14, 26, 20, 36)), ("thorax", (6, 34, 8, 50))):
            mask = np.zeros((40, 56, 3), np.uint8)
            mask[r0:r1, c0:c1] = 255
            save(root / folder / "annfiles_mask" / f"{stem}-{name}.png", mask)
        (root / folder / "annfiles_ellipse").mkdir()
        (root / folder / "annfiles_ellipse" / f"{stem}.txt").write_text("28.0 20.0 8.0 6.0 67.4 cardiac\n")
    out = convert(real_catalog().datasets["focus-fetal-cardiac"], tmp_path / "src")
    assert out.splits() == {"train": 1, "val": 1, "test": 1}
    assert sorted(np.unique(out.mask("validation_001", "cardiac")).tolist()) == [0, 1]
    assert int(out.mask("testing_001", "thorax").sum()) == 28 * 42
    assert not out.problems()


def test_ubpd_images_and_labelme_jsons_in_separate_folders(tmp_path: Path, convert) -> None:
    # A real copy (Dylanyves/UBPD@2a3ec1c, data/dataset/: 955 images, 955 LabelMe 3.16.7 JSONs) keeps the images in
    # images/<video>_<frame>.jpg and the polygons in labels/json_train/<video>_<frame>.json; 32 JSONs carry the
    # annotators' GBK-encoded imagePath ('2-1-<GBK>.tif', not UTF-8); consecutive frames of a video can be identical
    # (47_122 and 47_123), so the video number must keep a video's frames in one split.
    base = tmp_path / "src"  # the copy's data/dataset/ folder, given to --from-file
    polygon = {"label": "shenjing", "points": [[4, 4], [20, 4], [20, 14]], "shape_type": "polygon"}
    same = rgb(us_image(24, 28, 7400))
    for n, stem in enumerate(("47_122", "47_123", "100_101", "2_1_0")):
        save(base / "images" / f"{stem}.jpg", same if stem.startswith("47_") else rgb(us_image(24, 28, 7401 + n)))
        doc = json.dumps({"version": "3.16.7", "shapes": [polygon], "imagePath": "@", "imageHeight": 24})
        path = "2-1-\u6807\u5b9a.tif" if stem == "2_1_0" else f"{stem}.jpg"
        data = doc.replace('"@"', json.dumps(path, ensure_ascii=False)).encode("gbk")
        (base / "labels" / "json_train").mkdir(parents=True, exist_ok=True)
        (base / "labels" / "json_train" / f"{stem}.json").write_bytes(data)
    out = convert(real_catalog().datasets["ubpd"], tmp_path / "src")
    subjects = {r["sample_id"]: r["subject_id"] for r in out.rows}
    assert subjects == {"images_47_122": "47", "images_47_123": "47", "images_100_101": "100", "images_2_1_0": "2"}
    assert out.by_id["images_47_122"]["split"] == out.by_id["images_47_123"]["split"]
    assert int(out.mask("images_2_1_0", "tissues").max()) == 4  # shenjing: nerve
    assert out.metadata["source_files"]["dropped"] == 0 and not out.problems("missing_mask")
