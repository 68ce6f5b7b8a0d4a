"""Catalog datasets that UltraSam's US-43d converters (and ultatron's adapters) read, in the layouts they show.

Each builder writes a tiny tree exactly as the host packages it (the archive's name and its top folder), the tree is
packed and unpacked through the fetch layer's extractor, and the real catalog entry converts it. Each case checks the
sample count, the split counts (or, with no official split, the seeded kind with no subject in two splits) and the
class map of every target or of the image labels.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from registry.schema import Dataset
from tests.conftest import REPO_ROOT
from tests.fixtures.builders._common import blob_mask, rgb, save, us_image
from tests.loaders.conftest import (
    check_converted_layout,
    convert_layout,
    fetch_from_file_then_load,
    from_file_args,
    real_catalog,
)

CATALOG = real_catalog()


# --- layouts -------------------------------------------------------------------------------------------------------


def _105us(stage: Path) -> dict:
    base = stage / "105US.zip" / "105US"
    for i in range(1, 4):
        save(base / "105 US Images" / f"{i:03d}.png", rgb(us_image(40, 50, 100 + i)))
        save(base / "105 US Masks" / f"{i:03d} G man.png", blob_mask(40, 50, 100 + i))
    (base / "105 US Images" / "readme.txt").write_text("105 US images\n")
    return {
        "samples": 3,
        "split_kind": "seeded-random",
        "targets": {"tumour": {0: "background", 1: "tumour"}},
        "mask_values": {"001": {0, 1}},
    }


def _udiat_dataset_b(stage: Path) -> dict:
    base = stage / "BUS.zip" / "BUS"
    for i in range(1, 4):
        save(base / "original" / f"{i:06d}.png", us_image(40, 50, 200 + i))
        save(base / "GT" / f"{i:06d}.png", rgb(blob_mask(40, 50, 200 + i)))
    save(base / "GT" / "000009.png", blob_mask(40, 50, 209))  # a mask without its image is reported, not converted
    return {
        "samples": 3,
        "split_kind": "seeded-random",
        "targets": {"lesion": {0: "background", 1: "lesion"}},
        "mask_values": {"000001": {0, 1}},
        "dropped": {"missing_image": 1},
        "errors": [
            {
                "kind": "missing_image",
                "file": "BUS/GT/000009.png",
                "message": "mask of target 'lesion' without an image; ignored",
                "severity": "error",
            }
        ],
    }


def _us_nerve_seg_kaggle(stage: Path) -> dict:
    base = stage / "ultrasound-nerve-segmentation.zip"
    for subject, frame in ((1, 1), (1, 2), (2, 1), (3, 1)):
        save(base / "train" / f"{subject}_{frame}.tif", us_image(42, 58, 300 + 10 * subject + frame))
        nerve = blob_mask(42, 58, 300 + subject) if frame == 1 else np.zeros((42, 58), np.uint8)
        save(base / "train" / f"{subject}_{frame}_mask.tif", nerve)
    for n in (1, 2):
        save(base / "test" / f"{n}.tif", us_image(42, 58, 390 + n))
    (base / "train_masks.csv").write_text("subject,img,pixels\n1,1,100 5\n")
    return {
        "samples": 6,
        "splits": {"train": 4, "test": 2},
        "subjects_of": {"1_2": "1", "3_1": "3", "1": None},
        "masks_per_split": {"train": 1, "test": 0},
        "targets": {"nerve": {0: "background", 1: "brachial plexus"}},
        "mask_values": {"1_1": {0, 1}, "1_2": {0}},
    }


def _volume(path: Path, array: np.ndarray) -> None:
    import SimpleITK as sitk

    path.parent.mkdir(parents=True, exist_ok=True)
    sitk.WriteImage(sitk.GetImageFromArray(array), str(path))


def _scan(slices: int, seed: int, foreground: range) -> tuple[np.ndarray, np.ndarray]:
    image = np.stack([us_image(32, 40, seed + k) for k in range(slices)])
    mask = np.zeros((slices, 32, 40), np.uint8)
    for k in foreground:
        mask[k] = blob_mask(32, 40, seed + k) // 255
    return image, mask


def _microseg(stage: Path) -> dict:
    base = (
        stage / "Micro_Ultrasound_Prostate_Segmentation_Dataset.zip" / "Micro_Ultrasound_Prostate_Segmentation_Dataset"
    )
    for split, n, slices in (("train", "01", 4), ("train", "02", 3), ("test", "01", 2)):
        image, mask = _scan(slices, 400 + 10 * slices, range(1, slices))
        _volume(base / split / "micro_ultrasound_scans" / f"microUS_{split}_{n}.nii.gz", image)
        _volume(base / split / "expert_annotations" / f"expert_annotation_{split}_{n}.nii.gz", mask)
        _volume(base / split / "non_expert_annotations" / f"nonexpert_annotation_{split}_{n}.nii.gz", mask)
    _volume(base / "test" / "clinician_annotations" / "clinician_annotation_test_01.nii.gz", mask)
    return {
        "samples": 6,  # the slices that show prostate (slice 0 of each scan does not)
        "splits": {"train": 5, "test": 1},
        "subjects": 3,
        "subjects_of": {"train_01_s001": "train_01", "test_01_s001": "test_01"},
        "targets": {"prostate": {0: "background", 1: "prostate"}},
        "mask_values": {"train_01_s002": {0, 1}},
        "ignored": 3 + 1,  # the non-expert and clinician annotations
    }


def _acouslic_ai(stage: Path) -> dict:
    base = stage / "acouslic-ai-train-set.zip"
    sweeps = {"0a1b": ("subject-1", {2: 1, 3: 2}), "0c2d": ("subject-1", {0: 1}), "1e3f": ("subject-2", {4: 2})}
    for i, (uuid, (_, labelled)) in enumerate(sweeps.items()):
        image, mask = _scan(6, 500 + 10 * i, range(0))
        for k, value in labelled.items():
            mask[k] = (blob_mask(32, 40, 500 + k) > 0) * value
        _volume(base / "images" / "stacked_fetal_ultrasound" / f"{uuid}.mha", image)
        _volume(base / "masks" / "stacked_fetal_abdomen" / f"{uuid}.mha", mask)
    (base / "circumferences").mkdir()
    (base / "circumferences" / "fetal_abdominal_circumferences_per_sweep.csv").write_text(
        "uuid,subject_id,sweep_1_ac_mm,sweep_2_ac_mm,sweep_3_ac_mm,sweep_4_ac_mm,sweep_5_ac_mm,sweep_6_ac_mm\n"
        + "".join(f"{u},{s},210.5,,,,,\n" for u, (s, _) in sweeps.items())
    )
    return {
        "samples": 4,
        "split_kind": "seeded-subject",
        "subjects": 2,
        "subjects_of": {"0a1b_s002": "subject-1", "0c2d_s000": "subject-1", "1e3f_s004": "subject-2"},
        "targets": {
            "abdomen": {0: "background", 1: "fetal abdomen (optimal frame)", 2: "fetal abdomen (suboptimal frame)"}
        },
        "mask_values": {"0a1b_s002": {0, 1}, "0a1b_s003": {0, 2}},
    }


def _fallmud(stage: Path) -> dict:
    base = stage / "FALLMUD.zip" / "FALLMUD"
    for i, (center, stem) in enumerate((("NeilCronin", "img_01"), ("NeilCronin", "img_02"), ("RyanCunningham", "im1"))):
        save(base / center / "images" / f"{stem}.png", rgb(us_image(36, 48, 600 + i)))
        save(base / center / "aponeurosis_masks" / f"{stem}.png", blob_mask(36, 48, 600 + i))
        save(base / center / "fascicle_masks" / f"{stem}.jpg", rgb(blob_mask(36, 48, 610 + i)), fmt="JPEG", quality=95)
    return {
        "samples": 3,
        "split_kind": "seeded-random",
        "targets": {"aponeurosis": {0: "background", 1: "aponeurosis"}, "fascicle": {0: "background", 2: "fascicle"}},
        "mask_values": {"im1": {0, 1, 2}},
    }


def _structures(seed: int) -> dict:
    masks = {}
    for k, name in enumerate(("liver", "stomach", "artery", "vein")):
        masks[name] = blob_mask(36, 44, seed + k) > 0
    masks["liver"] = np.zeros((36, 44), bool)
    masks["liver"][2:30, 2:40] = True  # the liver under the others: painted first
    return {"structures": masks}


def _fass(stage: Path) -> dict:
    name = "Fetal Abdominal Structures Segmentation Dataset Using Ultrasonic Images.zip"
    base = stage / name
    for i in range(3):
        save(base / "IMAGES" / f"{i:04d}.png", rgb(us_image(36, 44, 700 + i)))
        (base / "ARRAY_FORMAT").mkdir(parents=True, exist_ok=True)
        np.save(base / "ARRAY_FORMAT" / f"{i:04d}.npy", np.array(_structures(700 + i), dtype=object), allow_pickle=True)
    return {
        "samples": 3,
        "split_kind": "seeded-random",
        "targets": {"structures": {0: "background", 1: "artery", 2: "liver", 3: "stomach", 4: "vein"}},
        "mask_values": {"0000": {0, 1, 2, 3, 4}},
    }


class _Boom:
    def __reduce__(self):
        return (Path("/tmp/usreg-fass-pickle-ran").touch, ())


def test_fass_arrays_are_unpickled_without_running_code(tmp_path, convert):
    base = tmp_path / "src"
    for i in range(2):
        save(base / "IMAGES" / f"{i}.png", us_image(36, 44, 720 + i))
        (base / "ARRAY_FORMAT").mkdir(parents=True, exist_ok=True)
    np.save(base / "ARRAY_FORMAT" / "0.npy", np.array(_structures(720), dtype=object), allow_pickle=True)
    np.save(base / "ARRAY_FORMAT" / "1.npy", np.array({"structures": _Boom()}, dtype=object), allow_pickle=True)
    out = convert(CATALOG.datasets["fass"], base)
    assert not Path("/tmp/usreg-fass-pickle-ran").exists()
    assert [r["sample_id"] for r in out.rows] == ["0"]
    (problem,) = out.problems("unreadable")
    assert problem["sample_id"] == "1" and "is not allowed in a mask file" in problem["message"], problem


def _avi(path: Path, frames: list[np.ndarray], fps: int = 50) -> None:
    import av

    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w", format="avi") as container:
        stream = container.add_stream("mjpeg", rate=fps)
        stream.width, stream.height = frames[0].shape[1], frames[0].shape[0]
        stream.pix_fmt = "yuvj420p"
        for array in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(array, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def _echonet_dynamic(stage: Path) -> dict:
    base = stage / "EchoNet-Dynamic.zip" / "EchoNet-Dynamic"
    videos = {"0X1A": "TRAIN", "0X2B": "VAL", "0X3C": "TEST", "0X4D": "TRAIN"}
    for i, name in enumerate(videos):
        _avi(base / "Videos" / f"{name}.avi", [rgb(us_image(48, 48, 800 + 10 * i + k)) for k in range(5)])
    (base / "FileList.csv").write_text(
        "FileName,EF,ESV,EDV,FrameHeight,FrameWidth,FPS,NumberOfFrames,Split\n"
        + "".join(f"{n},55.5,20.1,45.2,48,48,50,5,{s}\n" for n, s in videos.items())
    )
    lines = ["FileName,X1,Y1,X2,Y2,Frame"]
    for name in ("0X1A", "0X2B", "0X3C"):  # 0X4D has no tracing: reported, not converted
        for frame in (1, 3):
            lines.append(f"{name}.avi,24,6,24,42,{frame}")  # the long axis
            lines += [f"{name}.avi,{16 + k % 2},{10 + 4 * k},{32 - k % 2},{10 + 4 * k},{frame}" for k in range(8)]
    (base / "VolumeTracings.csv").write_text("\n".join(lines) + "\n")
    return {
        "samples": 6,
        "splits": {"train": 2, "val": 2, "test": 2},
        "subjects": 3,
        "subjects_of": {"0X1A_f0001": "0X1A", "0X3C_f0003": "0X3C"},
        "targets": {"lv": {0: "background", 1: "left ventricle"}},
        "mask_values": {"0X1A_f0001": {0, 1}},
        "inside": {"0X2B_f0003": (24, 24)},
        "frames": {"0X1A_f0003": us_image(48, 48, 803), "0X3C_f0001": us_image(48, 48, 821)},
        "outside": {"0X2B_f0003": (24, 4)},
    }


def _echonet_pediatric(stage: Path) -> dict:
    base = stage / "pediatric_echo_avi.zip" / "pediatric_echo_avi" / "pediatric_echo_avi"
    outline = " ".join(f"{x},{y}" for x, y in ((14, 10), (34, 10), (38, 24), (34, 38), (14, 38), (10, 24)))
    for v, (view, names) in enumerate((("A4C", ("CR32a", "CR32b")), ("PSAX", ("CR40c",)))):
        folder = base / view
        for i, name in enumerate(names):
            _avi(folder / "Videos" / f"{name}.avi", [rgb(us_image(48, 48, 900 + 10 * (v + i) + k)) for k in range(4)])
        (folder / "FileList.csv").write_text(
            "FileName,EF,Sex,Age,Weight,Height,Split\n"
            + "".join(f"{n}.avi,61.2,F,4,17,104,{i}\n" for i, n in enumerate(names))
        )
        rows = ["FileName,X,Y,Frame"]
        for name in names:
            for frame in (0, 2):
                rows += [f"{name}.avi,{xy},{frame}" for xy in outline.split()]
            rows.append(f"{name}.avi,0,0,No Systolic")
        (folder / "VolumeTracings.csv").write_text("\n".join(rows) + "\n")
    return {
        "samples": 6,
        "split_kind": "seeded-subject",
        "subjects": 3,
        "subjects_of": {"A4C_CR32b_f0002": "A4C_CR32b", "PSAX_CR40c_f0000": "PSAX_CR40c"},
        "targets": {"lv": {0: "background", 1: "left ventricle"}},
        "inside": {"PSAX_CR40c_f0002": (24, 24)},
        "outside": {"PSAX_CR40c_f0002": (4, 4)},
        "frames": {"A4C_CR32a_f0002": us_image(48, 48, 902), "PSAX_CR40c_f0000": us_image(48, 48, 910)},
    }


def _ubpd(stage: Path) -> dict:
    import json

    base = stage / "UBPD.zip" / "UBPD"
    shapes = {
        "img001": [("shenjing", [[10, 10], [22, 10], [22, 20], [10, 20]]), ("dongmai", [[30, 12], [40, 12], [35, 24]])],
        "img002": [("jingmai", [[5, 5], [15, 5], [15, 15]]), ("zhifang", [[20, 20], [30, 20], [30, 30]])],
        "img003": [("jirouzuzhi", [[2, 2], [40, 2], [40, 8]]), ("jizhu", [[5, 25], [25, 25], [15, 34]])],
    }
    for i, (stem, items) in enumerate(shapes.items()):
        _jpeg(base / f"{stem}.jpg", rgb(us_image(36, 48, 1000 + i)))
        doc = {"shapes": [{"label": lab, "points": pts, "shape_type": "polygon"} for lab, pts in items]}
        (base / f"{stem}.json").write_text(json.dumps(doc, ensure_ascii=False))
    return {
        "samples": 3,
        "split_kind": "seeded-random",
        "targets": {
            "tissues": {0: "background", 1: "artery", 2: "vein", 3: "muscle", 4: "nerve", 5: "fat", 6: "spine"}
        },
        "mask_values": {"UBPD_img001": {0, 1, 4}, "UBPD_img002": {0, 2, 5}, "UBPD_img003": {0, 3, 6}},
        "inside": {"UBPD_img001": (15, 15, 4)},
        "outside": {"UBPD_img001": (30, 5)},
    }


def _jpeg(path: Path, array: np.ndarray) -> None:
    save(path, array, fmt="JPEG", quality=90)


def _segthy(stage: Path) -> dict:
    base = stage / "US_volunteer_dataset.zip" / "US_volunteer_dataset" / "ground_truth_data"
    for i, (name, thyroid) in enumerate(
        (("001_P1_1_left", range(1, 3)), ("001_P1_1_right", range(2, 4)), ("002_P2_1_left", range(0, 2)))
    ):
        image, mask = _scan(4, 1100 + 10 * i, thyroid)
        _volume(base / "US" / f"{name}_US.nii", image)
        _volume(base / "US_thyroid_label" / f"{name}.nii", mask)
    return {
        "samples": 6,
        "split_kind": "seeded-subject",
        "subjects": 2,
        "subjects_of": {"001_P1_1_right_s002": "001", "002_P2_1_left_s000": "002"},
        "targets": {"thyroid": {0: "background", 1: "thyroid"}},
        "mask_values": {"001_P1_1_left_s001": {0, 1}},
    }


def _echocp(stage: Path) -> dict:
    top = stage / "echocp.zip"
    for i, (stem, labelled) in enumerate((("001_r", range(0, 2)), ("001_v", range(3, 5)), ("002_r", range(1, 2)))):
        image, mask = _scan(5, 1200 + 10 * i, labelled)
        _volume(top / "EchoCP_dataset" / f"{stem}_image.nii.gz", image)
        _volume(top / "EchoCP_dataset" / f"{stem}_label.nii.gz", mask * 3)  # any non-zero label is the chamber
    (top / "echoCP_diagnosis_label.xlsx").write_bytes(b"PK\x03\x04")
    return {
        "samples": 5,
        "split_kind": "seeded-subject",
        "subjects": 2,
        "subjects_of": {"001_v_s004": "001", "002_r_s001": "002"},
        "targets": {"chamber": {0: "background", 1: "chamber"}},
        "mask_values": {"001_r_s000": {0, 1}},
    }


def _stanford_thyroid_cineclip(stage: Path) -> dict:
    import h5py

    stage.mkdir(parents=True)
    rows = [(b"103_", 0), (b"103_", 1), (b"103_", 2), (b"14_", 0), (b"14_", 1)]
    with h5py.File(stage / "dataset.hdf5", "w") as h5:
        h5["annot_id"] = np.array([a for a, _ in rows])
        h5["frame_num"] = np.array([f for _, f in rows])
        h5["image"] = np.stack([us_image(40, 44, 1300 + i) for i in range(len(rows))])
        h5["mask"] = np.stack([blob_mask(40, 44, 1300 + i) for i in range(len(rows))])  # 0 / 255
    (stage / "metadata.csv").write_text("annot_id,sex,age,ti-rads_level\n103_,F,50,4\n14_,M,61,2\n")
    return {
        "samples": 5,
        "split_kind": "seeded-group",  # by clip: the 192 annot_ids are nodules, not the 167 patients
        "subjects_of": {"103_f0002": None, "14_f0000": None},
        "targets": {"nodule": {0: "background", 1: "thyroid nodule"}},
        "mask_values": {"14_f0001": {0, 1}},
        "frames": {"103_f0001": us_image(40, 44, 1301)},
    }


def _bus_uc(stage: Path) -> dict:
    base = stage / "BUS_UC.zip" / "BUS-UC"
    for i, (label, stem) in enumerate((("Benign", "01"), ("Benign", "010"), ("Malignant", "01"))):
        for folder in (label, "All"):  # All/ repeats every sample
            save(base / folder / "images" / f"{stem}.png", rgb(us_image(40, 40, 1400 + i)))
            save(base / folder / "masks" / f"{stem}.png", blob_mask(40, 40, 1400 + i))
    return {
        "samples": 3,
        "split_kind": "seeded-random",
        "labels": {"benign": 2, "malignant": 1},
        "targets": {"tumour": {0: "background", 1: "benign tumour", 2: "malignant tumour"}},
        "mask_values": {"benign_010": {0, 1}, "malignant_01": {0, 2}},
        "ignored": 2 + 2,  # All/'s copies (01.png and 010.png, images and masks: the two 01.png share one name there)
    }


def _s1_breast(stage: Path) -> dict:
    base = stage / "S1.zip" / "S1"
    train, test = base / "TrainingDataSet", base / "TestingDataSet"
    for i in range(3):
        _jpeg(train / "BreastTumourImages" / f"{i}.jpg", rgb(us_image(40, 40, 1500 + i)))
        save(train / "General-1-channel-Labels" / f"{i}.png", blob_mask(40, 40, 1500 + i))
        save(train / "Expanded-3-channel-Labels" / f"{i}.png", rgb(blob_mask(40, 40, 1500 + i) // 2))
    for i in range(2):
        for images in ("Test-General-1-BreastTumourImages", "Test-Expanded-BreastTumourImages"):
            _jpeg(test / images / f"{i}.jpg", rgb(us_image(40, 40, 1510 + i)))
        save(test / "Test-General-1-channel-Labels" / f"{i}.png", blob_mask(40, 40, 1510 + i))
        save(test / "Test-Expanded-3-channel-Labels" / f"{i}.png", rgb(blob_mask(40, 40, 1510 + i)))
    save(base / "Segmentation_Results" / "UNet" / "0.png", blob_mask(40, 40, 1520))
    return {
        "samples": 5,
        "splits": {"train": 3, "test": 2},
        "targets": {"tumour": {0: "background", 1: "tumour"}},
        "mask_values": {"test_1": {0, 1}},
        "ignored": 3 + 2 + 2 + 1,  # the Expanded-* labels and test images, and the UNet segmentation result
    }


def _stu_hospital(stage: Path) -> dict:
    base = stage / "STU-Hospital-master.zip" / "STU-Hospital-master" / "Hospital"
    for n, mask_size in ((1, 128), (2, 100), (3, 96)):  # most masks are not the 128 x 128 of their image
        save(base / f"Test_Image_{n}.png", rgb(us_image(128, 128, 1600 + n)))
        mask = np.zeros((mask_size, mask_size), np.uint8)
        mask[mask_size // 4 : mask_size // 2, mask_size // 4 : mask_size // 2] = 255
        mask[mask_size // 4, mask_size // 4 : mask_size // 2] = 90  # a grey border: not lesion
        save(base / f"mask_{n}.png", mask)
    (base.parent / "README.md").write_text("STU-Hospital\n")
    return {
        "samples": 3,
        "split_kind": "seeded-random",
        "targets": {"lesion": {0: "background", 1: "lesion"}},
        "mask_values": {"1": {0, 1}, "2": {0, 1}},
        "inside": {"2": (45, 45)},
        "outside": {"2": (100, 100)},
        "resized": {"2", "3"},
    }


def _abdomenus(stage: Path) -> dict:
    base = stage / "ussimandsegm.zip" / "abdominal_US" / "abdominal_US"
    colours = {"liver": (100, 0, 100), "kidney": (255, 255, 0), "spleen": (255, 0, 255)}
    for i, (source, split, stem, organ) in enumerate(
        (("AUS", "train", "0001", "liver"), ("AUS", "test", "0002", "kidney"), ("RUS", "train", "im1", "spleen"))
    ):
        save(base / source / "images" / split / f"{stem}.png", rgb(us_image(40, 48, 1700 + i)))
        mask = np.zeros((40, 48, 3), np.uint8)
        mask[10:25, 12:30] = colours[organ]
        save(base / source / "annotations" / split / f"{stem}.png", mask)
    _jpeg(base / "RUS" / "images" / "test" / "im9.jpg", rgb(us_image(40, 48, 1709)))  # no annotation
    return {
        "samples": 4,
        "splits": {"train": 2, "test": 2},
        "masks_per_split": {"train": 1},
        "targets": {
            "organs": {
                0: "background",
                1: "liver",
                2: "kidney",
                3: "pancreas",
                4: "vessels",
                5: "adrenals",
                6: "gallbladder",
                7: "bones",
                8: "spleen",
            }
        },
        "mask_values": {"0001": {0, 1}, "0002": {0, 2}, "im1": {0, 8}},
    }


def _breast_lesions_usg_breast(stage: Path) -> dict:
    base = stage / "BrEaST-Lesions_USG-images_and_masks-Dec-15-2023.zip" / "BrEaST-Lesions_USG-images_and_masks"
    for i in range(1, 4):
        save(base / f"case{i:03d}.png", rgb(us_image(40, 48, 1800 + i)))
    tumour = np.zeros((40, 48), np.uint8)
    tumour[5:15, 5:15] = 255
    second = np.zeros((40, 48), np.uint8)
    second[25:35, 30:40] = 255
    other = np.zeros((40, 48), np.uint8)
    other[10:30, 10:30] = 255
    save(base / "case001_tumor.png", tumour)
    save(base / "case001_tumor2.png", second)
    save(base / "case002_tumor.png", tumour)
    save(base / "case002_other.png", other)  # another finding under the tumour: class 2, the tumour wins
    (stage / "BrEaST-Lesions-USG-clinical-data-Dec-15-2023.xlsx").write_bytes(b"PK\x03\x04")
    return {
        "samples": 3,
        "split_kind": "seeded-random",
        "masks_of": {"case001": 1, "case002": 1, "case003": 0},
        "targets": {"lesions": {0: "background", 1: "tumour", 2: "other finding"}},
        "mask_values": {"case001": {0, 1}, "case002": {0, 1, 2}},
        "inside": {"case001": (30, 35, 1), "case002": (12, 12, 1)},
        "outside": {"case002": (38, 2)},
    }


def _mu_regpro(stage: Path) -> dict:
    for split, cases in (("train", ("case000000", "case000001")), ("val", ("case000065",))):
        top = stage / f"{split}.zip" / split
        for i, case in enumerate(cases):
            image = np.stack([us_image(20, 24, 1900 + 10 * i + z) for z in range(6)])  # (z, y, x)
            labels = np.zeros((6, 6, 20, 24), np.uint8)  # (channel, z, y, x)
            labels[0, 1:5, 4:16, 10:14] = 1  # the gland, on x slices 10-13
            labels[3, 2:3, 6:8, 12:13] = 1  # a landmark inside it, on x slice 12
            _volume(top / "us_images" / f"{case}.nii.gz", image)
            _volume(top / "us_labels" / f"{case}.nii.gz", labels)
            _volume(top / "mr_images" / f"{case}.nii.gz", image)
            _volume(top / "mr_labels" / f"{case}.nii.gz", labels)
    targets = {f"label_{c}": {0: "background", 1: f"label channel {c}"} for c in range(6)}
    return {
        "samples": 12,
        "splits": {"train": 8, "val": 4},
        "subjects": 3,
        "subjects_of": {"val_case000065_s010": "val_case000065"},
        "masks_of": {"train_case000000_s012": 6},
        "targets": targets,
        "mask_values": {"train_case000000_s012": {0, 1}},
        "ignored": 3 + 3,  # the MR images and MR labels
    }


def _cardiacudc(stage: Path) -> dict:
    base = stage / "cardiacUDC_dataset"  # joined and extracted by hand from the multi-part zip
    for i, (folder, name, labelled) in enumerate(
        (
            ("Site_G_100", "patient1-4", {2: 1}),
            ("Site_G_100", "patient1-2", {0: 2, 3: 4}),
            ("Site_R_52", "patient7-4", {1: 5}),
            ("label_all_frame", "normal-3-4", {0: 1, 1: 1, 2: 6}),
        )
    ):
        image, mask = _scan(4, 2000 + 10 * i, range(0))
        for k, value in labelled.items():
            mask[k] = (blob_mask(32, 40, 2000 + k) > 0) * value
        _volume(base / folder / f"{name}_image.nii.gz", image)
        _volume(base / folder / f"{name}_label.nii.gz", mask)
    return {
        "samples": 7,
        "split_kind": "seeded-subject",
        "subjects": 3,
        "subjects_of": {
            "Site_G_100_patient1-2_s003": "Site_G_100_patient1",
            "label_all_frame_normal-3-4_s002": "label_all_frame_normal-3",
        },
        "labels": {None: 4, "normal": 3},
        "targets": {
            "heart": {
                0: "background",
                1: "left ventricle",
                2: "left atrium",
                3: "right atrium",
                4: "right ventricle",
                5: "epicardium",
                6: "left ventricle 2 (UltraSam's left_ventricle2)",
            }
        },
        "mask_values": {"Site_G_100_patient1-2_s003": {0, 4}, "label_all_frame_normal-3-4_s002": {0, 6}},
    }


LAYOUTS: dict[str, tuple[Dataset, Callable[[Path], dict]]] = {
    "105us": (CATALOG.datasets["105us"], _105us),
    "udiat-dataset-b": (CATALOG.datasets["udiat-dataset-b"], _udiat_dataset_b),
    "us-nerve-seg-kaggle": (CATALOG.datasets["us-nerve-seg-kaggle"], _us_nerve_seg_kaggle),
    "microseg": (CATALOG.datasets["microseg"], _microseg),
    "mup": (CATALOG.datasets["mup"], _microseg),
    "acouslic-ai": (CATALOG.datasets["acouslic-ai"], _acouslic_ai),
    "fallmud": (CATALOG.datasets["fallmud"], _fallmud),
    "fass": (CATALOG.datasets["fass"], _fass),
    "echonet-dynamic": (CATALOG.datasets["echonet-dynamic"], _echonet_dynamic),
    "echonet-pediatric": (CATALOG.datasets["echonet-pediatric"], _echonet_pediatric),
    "ubpd": (CATALOG.datasets["ubpd"], _ubpd),
    "segthy": (CATALOG.datasets["segthy"], _segthy),
    "echocp": (CATALOG.datasets["echocp"], _echocp),
    "stanford-thyroid-cineclip": (CATALOG.datasets["stanford-thyroid-cineclip"], _stanford_thyroid_cineclip),
    "bus-uc": (CATALOG.datasets["bus-uc"], _bus_uc),
    "s1-breast": (CATALOG.datasets["s1-breast"], _s1_breast),
    "stu-hospital": (CATALOG.datasets["stu-hospital"], _stu_hospital),
    "abdomenus": (CATALOG.datasets["abdomenus"], _abdomenus),
    "breast-lesions-usg-breast": (CATALOG.datasets["breast-lesions-usg-breast"], _breast_lesions_usg_breast),
    "mu-regpro": (CATALOG.datasets["mu-regpro"], _mu_regpro),
    "cardiacudc": (CATALOG.datasets["cardiacudc"], _cardiacudc),
}


@pytest.mark.parametrize("entry_id", sorted(LAYOUTS))
def test_catalog_entry_converts_its_cited_layout(entry_id, tmp_path, convert):
    out, expected = convert_layout(convert, *LAYOUTS[entry_id], tmp_path)
    check_converted_layout(out, expected)


@pytest.mark.parametrize(("entry_id", "declares_counts"), [("105us", True), ("ubpd", False)])
def test_usreg_fetch_from_file_then_load(entry_id, declares_counts, tmp_path, run_cli, usreg_home):
    """The user's path: `usreg fetch ID --from-file ARCHIVE` with the real catalog, then `registry.load(ID)`.

    The tiny archive holds fewer images than 105us declares, so its counts check fails: fetch exits 1 and names it,
    and --keep-going accepts the partial dataset. ubpd declares no counts (no primary page states them), so there is
    nothing to compare and the plain fetch succeeds.
    """
    entry, build = LAYOUTS[entry_id]
    assert bool(entry.counts.model_dump(exclude_none=True, exclude_defaults=True)) is declares_counts
    expected = build(tmp_path / "stage")
    args = from_file_args(tmp_path / "stage", tmp_path)
    assert len(args) == 2, args  # one archive
    if declares_counts:
        result = run_cli("fetch", entry_id, *args, root=REPO_ROOT)
        assert result.exit_code == 1 and "counts_match" in result.output, result.output
        args.append("--keep-going")
    _, ds = fetch_from_file_then_load(run_cli, entry_id, *args)  # exits 0
    assert len(ds) == expected["samples"]
    assert {t: dict(c) for t, c in ds.classes.items()} == expected["targets"]


def test_volume_and_mask_of_different_shapes_are_reported_not_converted(tmp_path, convert):
    base = tmp_path / "src" / "train"
    image, mask = _scan(4, 2100, range(1, 3))
    _volume(base / "micro_ultrasound_scans" / "microUS_train_01.nii.gz", image)
    _volume(base / "expert_annotations" / "expert_annotation_train_01.nii.gz", mask[:3])  # one slice short
    image2, mask2 = _scan(2, 2110, range(0, 2))
    _volume(base / "micro_ultrasound_scans" / "microUS_train_02.nii.gz", image2)
    _volume(base / "expert_annotations" / "expert_annotation_train_02.nii.gz", mask2)
    out = convert(CATALOG.datasets["microseg"], tmp_path / "src")
    assert sorted(r["sample_id"] for r in out.rows) == ["train_02_s000", "train_02_s001"]
    (problem,) = out.problems("size_mismatch")
    assert problem["sample_id"] == "train_01" and "differs from image volume (4, 32, 40)" in problem["message"]
