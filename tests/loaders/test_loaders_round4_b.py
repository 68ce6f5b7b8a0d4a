"""Round 4 (b): more catalog datasets converted in the layouts that code which opened their real downloads shows.

Each builder writes a tiny tree exactly as that code reads it (the top folders and, where known, the archive's name);
the tree is packed, unpacked by the fetch layer's extractor and converted with the real catalog entry. Each case
checks the sample count, the split counts (or, with no published split, the seeded kind with no subject in two
splits) and the class map of every mask target or of the image labels.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from registry.schema import Dataset
from tests.fixtures.builders._common import blob_mask, rgb, save, us_image
from tests.loaders.conftest import (
    check_converted_layout,
    convert_layout,
    fetch_from_file_then_load,
    make_entry,
    pack_download,
    real_catalog,
)

CATALOG = real_catalog()


def _write_volume(path: Path, array: np.ndarray) -> None:
    import SimpleITK as sitk

    path.parent.mkdir(parents=True, exist_ok=True)
    sitk.WriteImage(sitk.GetImageFromArray(array), str(path))


# --- layouts -------------------------------------------------------------------------------------------------------


def _ted_labels(h: int, w: int, k: int) -> np.ndarray:
    out = np.zeros((h, w), np.uint8)
    out[8 + k : 34, 12:36] = 2
    out[13 + k : 29, 17:31] = 1
    return out


def _ted_patient(database: Path, patient: str, frames: int, seed: int, ed: int = 1, es: int | None = None) -> None:
    h, w = 40, 48
    folder = database / patient
    seq = np.stack([us_image(h, w, seed + k) for k in range(frames)])
    gts = np.stack([_ted_labels(h, w, k) for k in range(frames)])
    _write_volume(folder / f"{patient}_4CH_sequence.mhd", seq)
    _write_volume(folder / f"{patient}_4CH_sequence_gt.mhd", gts)
    (folder / f"{patient}_4CH_info.cfg").write_text(
        f"ED: {ed}\nES: {es or frames // 2}\nNbFrame: {frames}\nEF: 58\nSex: F\nAge: 63\nImageQuality: Good\n"
    )


def _ted_echo(stage: Path) -> dict:
    """ultatron's tree: database/patientNNN/patientNNN_4CH_sequence[_gt].mhd (+ .raw) and patientNNN_4CH_info.cfg."""
    database = stage / "database"
    for n, frames in enumerate((4, 3, 5, 3), start=1):
        _ted_patient(database, f"patient{n:03d}", frames, 4000 + 10 * n)
    return {
        "samples": 15,
        "split_kind": "seeded-subject",
        "subjects": 4,
        "subjects_of": {"patient001_f001": "patient001", "patient003_f005": "patient003"},
        "targets": {"heart": {0: "background", 1: "LV endocardium", 2: "LV myocardium"}},
        "mask_values": {"patient002_f003": {0, 1, 2}},
        "extra": {"patient001_f001": {"phase": "ED", "ef": "58"}, "patient001_f002": {"phase": "ES"}},
    }


def _avi(path: Path, frames: int, seed: int, h: int = 32, w: int = 48) -> None:
    import av

    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w", format="avi") as container:
        stream = container.add_stream("mjpeg", rate=25)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuvj420p"
        for k in range(frames):
            for packet in stream.encode(av.VideoFrame.from_ndarray(rgb(us_image(h, w, seed + k)), format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def _psfh_mask(k: int) -> np.ndarray:
    out = np.zeros((32, 48), np.uint8)
    out[4:12, 6 + k : 20] = 1
    out[14:28, 22:40] = 2
    return out


def _intrapartum_video_2026(stage: Path) -> dict:
    """ultatron's tree: DatasetV3/{train,val,test}/videos/*.avi, seg/seg_info.csv, per-split mask names, landmarks."""
    base = stage / "DatasetV3"
    train, val, test = base / "train", base / "val", base / "test"
    for n, (split, name) in enumerate(((train, "00001"), (train, "00002"), (val, "00101"), (test, "00201"))):
        _avi(split / "videos" / f"{name}.avi", 6, 4100 + 10 * n)
    (train / "train_info.csv").write_text("filename,frame_count,pos\n00001.avi,6,True\n00002.avi,6,False\n")
    (train / "seg").mkdir(parents=True)
    (train / "seg" / "seg_info.csv").write_text('filename,labeled_index\n00001.avi,"[1, 3]"\n00002.avi,\n')
    save(train / "seg" / "00001" / "mask" / "00001_1_6.png", _psfh_mask(1))
    save(train / "seg" / "00001" / "mask" / "00001_3_6.png", _psfh_mask(3))
    landmark = {"ps_points": [["5", "7"], ["11", "19"]], "hsd_point": ["20", "30"], "aop_tangency": ["15", "25"]}
    (train / "seg" / "landmark.json").write_text(json.dumps({"00001_1_6.png": {**landmark, "aop": "112.5"}}))
    (val / "seg").mkdir(parents=True)
    (val / "seg" / "seg_info.csv").write_text("filename,labeled_frame_index\n00101.avi,[2]\n")
    save(val / "seg" / "00101_2.png", _psfh_mask(2))
    (val / "seg" / "landmark.json").write_text("")  # an empty landmark file: no landmarks
    (test / "seg").mkdir(parents=True)
    (test / "seg" / "seg_info.csv").write_text("filename,labeled_frame_index\n00201.avi,4\n")
    save(test / "seg" / "00201.png", _psfh_mask(0))
    return {
        "samples": 4,
        "splits": {"train": 2, "val": 1, "test": 1},
        "subjects": 3,
        "subjects_of": {"00001_f3": "00001", "00201_f4": "00201"},
        "targets": {"psfh": {0: "background", 1: "pubic symphysis", 2: "fetal head"}},
        "mask_values": {"00101_f2": {0, 1, 2}},
        "extra": {"00001_f1": {"aop": "112.5"}},
    }


def _luss_labels(seed: int) -> np.ndarray:
    out = np.zeros((36, 44), np.uint8)
    out[2:6, :] = 1  # rib
    out[8:10, 4:40] = 2  # pleural line
    out[16:18, 4:40] = 3  # A-line
    out[10:34, 10 + seed % 4 : 14 + seed % 4] = 4  # B-line
    out[10:34, 28:36] = 5  # B-line confluence
    return out


def _luss_phantom(stage: Path) -> dict:
    """ultatron's tree of the Leeds record: data-3/{train,test}/{images,masks}/*.png, VideoClips/*.webm, a .m script."""
    base = stage / "LUSS_phantom"
    frames = {
        ("train", "clip001-F1"): 0,
        ("train", "clip001-F2"): 1,
        ("train", "clip002-F1"): 2,
        ("test", "clip003-F1"): 3,
    }
    for (split, stem), n in frames.items():
        save(base / "data-3" / split / "images" / f"{stem}.png", us_image(36, 44, 4400 + n))
        save(base / "data-3" / split / "masks" / f"{stem}.png", _luss_labels(n))
    (base / "VideoClips").mkdir(parents=True)
    for clip in ("clip001", "clip002", "clip003"):
        (base / "VideoClips" / f"{clip}.webm").write_bytes(b"\x1a\x45\xdf\xa3 webm")
    (base / "vidtoImage.m").write_text("% frame extraction\n")
    return {
        "samples": 4,
        "splits": {"train": 3, "test": 1},
        "targets": {
            "artefacts": {
                0: "background",
                1: "rib",
                2: "pleural line",
                3: "A-line",
                4: "B-line",
                5: "B-line confluence",
            }
        },
        "mask_values": {"clip001-F2": {0, 1, 2, 3, 4, 5}, "clip003-F1": {0, 1, 2, 3, 4, 5}},
    }


def _resect_label(depth: int, lo: int, hi: int, rows: slice) -> np.ndarray:
    out = np.zeros((depth, 24, 28), np.uint8)
    out[lo:hi, rows, 6:20] = 1
    return out


def _resect_seg(stage: Path) -> dict:
    """torch-em's two downloads: the OSF label archive (Case<N>/Case<N>-US-<phase>-<structure>.nii.gz, FLAIR labels)
    and RESECT's NIFTI/Case<N>/US/Case<N>-US-<phase>.nii.gz volumes (with MRI volumes, not converted)."""
    labels = stage / "RESECT-Segmentation.zip"
    nifti = stage / "RESECT" / "NIFTI"
    depth = 12
    for n, case in enumerate(("Case1", "Case2")):
        for phase in ("before", "during", "after"):
            volume = np.stack([us_image(24, 28, 4900 + 100 * n + 10 * k) for k in range(depth)])
            _write_volume(nifti / case / "US" / f"{case}-US-{phase}.nii.gz", volume)
        _write_volume(nifti / case / "MRI" / f"{case}-FLAIR.nii.gz", np.zeros((4, 24, 28), np.uint8))
        _write_volume(labels / case / f"{case}-FLAIR-tumor.nii.gz", np.zeros((4, 24, 28), np.uint8))
        _write_volume(labels / case / f"{case}-US-before-tumor.nii.gz", _resect_label(depth, 4, 7, slice(4, 12)))
        _write_volume(labels / case / f"{case}-US-before-sulci.nii.gz", _resect_label(depth, 6, 9, slice(14, 18)))
        _write_volume(labels / case / f"{case}-US-during-resection.nii.gz", _resect_label(depth, 5, 6, slice(4, 12)))
    # Case2 has no annotation of its 'after' volume; Case1's has a falx label
    _write_volume(labels / "Case1" / "Case1-US-after-falx.nii.gz", _resect_label(depth, 2, 4, slice(0, 3)))
    return {
        # before: slices 4-8 (tumor 4-6, sulci 6-8); during: slice 5; Case1 after: slices 2-3
        "samples": 2 * 5 + 2 * 1 + 2,
        "split_kind": "seeded-subject",
        "subjects": 2,
        "subjects_of": {"Case1-US-before_s004": "Case1", "Case2-US-during_s005": "Case2"},
        "targets": {
            "tumor": {0: "background", 1: "tumor"},
            "resection": {0: "background", 1: "resection cavity"},
            "sulci": {0: "background", 1: "sulci"},
            "falx": {0: "background", 1: "falx"},
        },
        "mask_values": {"Case1-US-before_s006": {0, 1}, "Case2-US-during_s005": {0, 1}},
        "extra": {"Case1-US-after_s002": {"phase": "after", "slice": 2}},
        "ignored": 2 + 2 + 1,  # the MRI volumes, their FLAIR labels and Case2's unannotated 'after' volume
    }


def _cetus_reference(depth: int, lo: int, hi: int) -> np.ndarray:
    out = np.zeros((depth, 20, 24), np.uint8)
    out[lo:hi, 6:14, 8:18] = 255  # the reference's foreground value
    return out


def _cetus(stage: Path) -> dict:
    """torch-em's tree: CETUS.zip (the warehouse folder download), dataset/patientNN/patientNN_{ED,ES}[_gt].nii.gz."""
    base = stage / "CETUS.zip" / "dataset"
    depth = 16
    for n, patient in enumerate(("patient01", "patient02", "patient03")):
        for m, (phase, lo, hi) in enumerate((("ED", 2, 14), ("ES", 5, 8))):
            volume = np.stack([us_image(20, 24, 5000 + 100 * n + 10 * m + k) for k in range(depth)]).astype(np.float32)
            _write_volume(base / patient / f"{patient}_{phase}.nii.gz", volume)  # 8-bit values stored as floats
            _write_volume(base / patient / f"{patient}_{phase}_gt.nii.gz", _cetus_reference(depth, lo, hi))
    return {
        "samples": 3 * (10 + 3),  # ED: 10 of 12 ventricle slices; ES: all 3
        "split_kind": "seeded-subject",
        "subjects": 3,
        "subjects_of": {"patient01_ED_s002": "patient01", "patient03_ES_s007": "patient03"},
        "targets": {"lv": {0: "background", 1: "left ventricle"}},
        "mask_values": {"patient02_ES_s006": {0, 1}},
        "extra": {"patient02_ES_s005": {"phase": "ES", "depth": 16}},
    }


def _echoqa_record(n: int, clip: str, view: str = "A4C") -> dict:
    subject, study = clip.split("/")[-3][1:], clip.split("/")[-2][1:]
    return {
        "messages_id": f"m{n}",
        "videos": [f"mimic-iv-echo/0.1/files/{clip}"],
        "study": study,
        "image": Path(clip).stem,
        "view": view,
        "structure": "Left Ventricle",
        "question": f"Question {n}?",
        "option_A": "normal",
        "option_B": "mildly reduced",
        "option_C": "severely reduced",
        "option_D": "hyperdynamic",
        "correct_option": "A",
        "answer": "normal",
        "subject": subject,
    }


def _mimic_iv_ext_echoqa(stage: Path) -> dict:
    """ultatron's tree of the PhysioNet download: MIMICEchoQA/MIMICEchoQA.json, MIMICEchoQA/0.1/files/p*/p*/s*/*.mp4."""
    base = stage / "mimic-iv-ext-echoqa" / "MIMICEchoQA"
    clips = ["p10/p10119872/s98097718/98097718_0047.mp4", "p10/p10119872/s98097718/98097718_0051.mp4"]
    clips.append("p11/p11000001/s90000001/90000001_0003.mp4")
    for n, clip in enumerate(clips):
        _avi(base / "0.1" / "files" / clip, 10, 5200 + 20 * n)  # the container's name does not matter to PyAV
    records = [_echoqa_record(0, clips[0]), _echoqa_record(1, clips[0]), _echoqa_record(2, clips[1], "PLAX")]
    records.append(_echoqa_record(3, clips[2]))
    (base / "MIMICEchoQA.json").write_text(json.dumps(records))
    (base.parent / "README.md").write_text("MIMICEchoQA\n")
    return {
        "samples": 3 * 3,  # three frames of each of the three clips asked about
        "split_kind": "seeded-subject",
        "subjects": 2,
        "subjects_of": {"98097718_0047_0001": "10119872", "90000001_0003_0008": "11000001"},
        "extra": {"98097718_0051_0004": {"study": "98097718", "view": "PLAX", "frames_in_clip": 10}},
    }


def _dicom_frame(path: Path, frame: np.ndarray) -> None:
    """One uncompressed MONOCHROME2 ultrasound frame as a DICOM file (de-identified: no patient tags)."""
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.6.1"  # ultrasound image storage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(str(path), {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID, ds.SOPInstanceUID, ds.Modality = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID, "US"
    ds.Rows, ds.Columns = frame.shape
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.PixelData = np.ascontiguousarray(frame).tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(str(path), enforce_file_format=True)


def _bmode_ceus_liver(stage: Path) -> dict:
    """ultatron's tree of the TCIA download: one folder per series (its UID), one DICOM file per frame; the frame size
    may change within a series."""
    base = stage / "B-mode-and-CEUS-Liver"
    series = {"1.3.6.1.4.1.14519.5.2.1.1111": 3, "1.3.6.1.4.1.14519.5.2.1.2222": 2, "1.3.6.1.4.1.14519.5.2.1.3333": 2}
    for n, (uid, count) in enumerate(series.items()):
        for k in range(count):
            h, w = (32, 40) if k == 0 else (28, 36)  # dynamic zoom changes the frame size
            _dicom_frame(base / uid / f"1-{k + 1:03d}.dcm", us_image(h, w, 5300 + 10 * n + k))
    return {
        "samples": 7,
        "split_kind": "seeded-subject",
        "subjects": 3,
        "subjects_of": {
            "1.3.6.1.4.1.14519.5.2.1.1111_1-003": "1.3.6.1.4.1.14519.5.2.1.1111",
            "1.3.6.1.4.1.14519.5.2.1.3333_1-001": "1.3.6.1.4.1.14519.5.2.1.3333",
        },
    }


def _abus_mt_small(stage: Path) -> dict:
    """torch-em's tree of the Kaggle archive: mt-small-dataset.zip -> MT_Small_Dataset/{Benign,Malignant}/
    {Original,Fuzzy,Ground_Truth}_<Category>/*.png, images and masks paired by their naturally sorted order."""
    base = stage / "mt-small-dataset.zip" / "MT_Small_Dataset"
    counts = {"Benign": 3, "Malignant": 2}
    for category, n in counts.items():
        for i in range(1, n + 1):
            seed = 5400 + 10 * len(category) + i
            # numbered names that sort differently as text (10 < 2) and naturally (2 < 10)
            name = f"{i if i < 3 else 10}.png"
            save(base / category / f"Original_{category}" / name, us_image(30, 36, seed))
            save(base / category / f"Fuzzy_{category}" / name, us_image(30, 36, seed + 5))
            save(base / category / f"Ground_Truth_{category}" / name, blob_mask(30, 36, seed))
    return {
        "samples": 5,
        "split_kind": "seeded-random",
        "targets": {"tumour": {0: "background", 1: "tumour"}},
        "labels": {"benign": 3, "malignant": 2},
        "label_classes": ["benign", "malignant"],
        "mask_values": {"benign_10": {0, 1}},
        "ignored": 5,  # the Fuzzy_* images: the originals are converted unless the images option says fuzzy
    }


UNITY_STUDIES = ("02-" + "a" * 64, "02-" + "b" * 64)


def _unity_curve(k: int) -> list[list[float]]:
    """An endocardial border as ([X], [Y]): from one annulus point round the apex to the other."""
    xs = [10.0, 8.0, 14.0 + k, 22.0, 26.0]
    ys = [30.0, 16.0, 6.0, 16.0, 30.0]
    return [xs, ys]


def _unitylv_multix(stage: Path) -> dict:
    """The host's package: Images/<study>-<frame>.png, the per-expert and the consensus JSON (ED frame first)."""
    base = stage / "UnityLV-MultiX"
    experts: dict[str, dict] = {}
    consensus: dict[str, list] = {}
    for n, (study, frames) in enumerate(zip(UNITY_STUDIES, (("0003", "0041"), ("0057", "0012")), strict=True)):
        for m, frame in enumerate(frames):
            name = f"{study}-{frame}.png"
            save(base / "Images" / name, us_image(36, 36, 5600 + 10 * n + m))
            consensus[name] = _unity_curve(n + m)
            experts[name] = {f"user{u}": _unity_curve(n + m + u) for u in range(3)}
    (base / "UnityLV_multiX_annotations.json").write_text(json.dumps(experts))
    (base / "UnityLV_multiX_consensus_curves.json").write_text(json.dumps(consensus))
    return {
        "samples": 4,
        "splits": {"test": 4},
        "subjects": 2,
        "subjects_of": {f"{UNITY_STUDIES[1]}-0012": UNITY_STUDIES[1]},
        "targets": {"lv": {0: "background", 1: "left ventricle"}},
        "mask_values": {f"{UNITY_STUDIES[0]}-0003": {0, 1}},
        # the second study's ES frame has the lower frame number: the phase follows the listing order
        "extra": {
            f"{UNITY_STUDIES[1]}-0012": {"phase": "ES", "frame": 12},
            f"{UNITY_STUDIES[1]}-0057": {"phase": "ED"},
        },
    }


LAYOUTS: dict[str, tuple[Dataset, Callable[[Path], dict]]] = {
    "abus-mt-small": (CATALOG.datasets["abus-mt-small"], _abus_mt_small),
    "bmode-ceus-liver": (CATALOG.datasets["bmode-ceus-liver"], _bmode_ceus_liver),
    "cetus": (CATALOG.datasets["cetus"], _cetus),
    "intrapartum-video-2026": (CATALOG.datasets["intrapartum-video-2026"], _intrapartum_video_2026),
    "luss-phantom": (CATALOG.datasets["luss-phantom"], _luss_phantom),
    "mimic-iv-ext-echoqa": (CATALOG.datasets["mimic-iv-ext-echoqa"], _mimic_iv_ext_echoqa),
    "resect-seg": (CATALOG.datasets["resect-seg"], _resect_seg),
    "ted-echo": (CATALOG.datasets["ted-echo"], _ted_echo),
    "unitylv-multix": (CATALOG.datasets["unitylv-multix"], _unitylv_multix),
}


@pytest.mark.parametrize("entry_id", sorted(LAYOUTS))
def test_catalog_entry_converts_its_cited_layout(entry_id, tmp_path, convert):
    out, expected = convert_layout(convert, *LAYOUTS[entry_id], tmp_path)
    check_converted_layout(out, expected)


# --- ted-echo ------------------------------------------------------------------------------------------------------


def test_ted_echo_frames_follow_the_sequence_and_its_ground_truth(tmp_path, convert):
    """Frame k of a sample is frame k of the sequence, and its mask is frame k of the _gt sequence."""
    _ted_patient(tmp_path / "src" / "database", "patient007", 3, 4700)
    out = convert(CATALOG.datasets["ted-echo"], tmp_path / "src")
    assert sorted(out.by_id) == ["patient007_f001", "patient007_f002", "patient007_f003"]
    for k in range(3):
        sid = f"patient007_f{k + 1:03d}"
        assert out.by_id[sid]["frame"] == k
        assert np.array_equal(out.mask(sid, "heart"), _ted_labels(40, 48, k))
        image = out.image(sid)
        assert np.array_equal(image if image.ndim == 2 else image[..., 0], us_image(40, 48, 4700 + k))


def test_ted_echo_ed_es_option_and_bad_sequences(tmp_path, convert):
    database = tmp_path / "src" / "database"
    _ted_patient(database, "patient001", 5, 4800, ed=1, es=4)
    _ted_patient(database, "patient002", 3, 4810)
    # patient002's ground truth has one frame fewer than its sequence
    _write_volume(database / "patient002" / "patient002_4CH_sequence_gt.mhd", np.zeros((2, 40, 48), np.uint8))
    # patient003 has a sequence and no ground truth
    _write_volume(database / "patient003" / "patient003_4CH_sequence.mhd", np.zeros((2, 40, 48), np.uint8))
    entry = CATALOG.datasets["ted-echo"]
    assert entry.loader is not None
    loader = entry.loader.model_copy(update={"options": {"frames": "ed-es"}})
    out = convert(entry.model_copy(update={"loader": loader}), tmp_path / "src")
    assert sorted(out.by_id) == ["patient001_f001", "patient001_f004"]
    kinds = {(p["kind"], p["file"]) for p in out.problems()}
    assert ("size_mismatch", "database/patient002/patient002_4CH_sequence.mhd") in kinds
    assert ("missing_mask", "database/patient003/patient003_4CH_sequence.mhd") in kinds


# --- intrapartum-video-2026 ----------------------------------------------------------------------------------------


def test_intrapartum_frames_masks_and_landmarks(tmp_path, convert):
    """The sample is the listed frame of the video, its mask the split's mask file, its points the [y, x] landmarks."""
    _intrapartum_video_2026(tmp_path / "src")
    out = convert(CATALOG.datasets["intrapartum-video-2026"], tmp_path / "src")
    row = out.by_id["00001_f3"]
    assert row["frame"] == 3
    assert np.array_equal(out.mask("00001_f3", "psfh"), _psfh_mask(3))
    got = out.image("00001_f3").astype(int)
    grey = got if got.ndim == 2 else got[..., 0]
    # MJPEG is lossy: the decoded frame is close to frame 3 of the video, not to its neighbours
    errors = [np.abs(grey - us_image(32, 48, 4100 + k).astype(int)).mean() for k in range(6)]
    assert int(np.argmin(errors)) == 3, errors
    points = [(round(p["x"], 1), round(p["y"], 1)) for p in out.by_id["00001_f1"]["points"]]
    assert points == [(7.0, 5.0), (19.0, 11.0), (30.0, 20.0), (25.0, 15.0)]
    assert out.by_id["00001_f3"]["points"] == []  # no landmarks for that mask
    # a video with no segmented frame is classification-only: no sample, and no error about it
    assert not [r for r in out.rows if r["subject_id"] == "00002"]
    assert not [p for p in out.problems() if "00002" in p["file"]]


def test_intrapartum_reports_missing_masks_and_bad_index_cells(tmp_path, convert):
    base = tmp_path / "src" / "DatasetV3" / "val"
    _avi(base / "videos" / "00101.avi", 4, 4300)
    _avi(base / "videos" / "00102.avi", 4, 4310)
    (base / "seg").mkdir(parents=True)
    (base / "seg" / "seg_info.csv").write_text('filename,labeled_frame_index\n00101.avi,"[0, 2]"\n00102.avi,two\n')
    save(base / "seg" / "00101_0.png", _psfh_mask(0))
    (base / "seg" / "landmark.json").write_text("[1, 2]")
    out = convert(CATALOG.datasets["intrapartum-video-2026"], tmp_path / "src")
    assert sorted(out.by_id) == ["00101_f0"]
    kinds = {(p["kind"], p["file"]) for p in out.problems()}
    assert ("missing_mask", "DatasetV3/val/videos/00101.avi") in kinds  # frame 2 has no mask
    assert ("annotation_unreadable", "DatasetV3/val/seg/seg_info.csv") in kinds  # 'two' is not a frame index
    assert ("annotation_unreadable", "DatasetV3/val/seg/landmark.json") in kinds


def test_intrapartum_reports_a_seg_info_without_its_index_column(tmp_path, convert):
    base = tmp_path / "src" / "DatasetV3"
    _avi(base / "test" / "videos" / "00201.avi", 3, 4400)
    (base / "test" / "seg").mkdir(parents=True)
    (base / "test" / "seg" / "seg_info.csv").write_text("filename,frames\n00201.avi,3\n")  # a renamed column
    save(base / "test" / "seg" / "00201.png", _psfh_mask(0))
    _avi(base / "val" / "videos" / "00101.avi", 3, 4410)
    (base / "val" / "seg").mkdir(parents=True)
    (base / "val" / "seg" / "seg_info.csv").write_text("filename,labeled_frame_index\n00101.avi,1\n")
    save(base / "val" / "seg" / "00101_1.png", _psfh_mask(1))
    out = convert(CATALOG.datasets["intrapartum-video-2026"], tmp_path / "src")
    assert sorted(out.by_id) == ["00101_f1"]
    assert ("annotation_unreadable", "DatasetV3/test/seg/seg_info.csv") in {
        (p["kind"], p["file"]) for p in out.problems()
    }


# --- class-folders: label_names -------------------------------------------------------------------------------------


def test_class_folders_label_names_map_folder_names_to_the_sources_class_names(tmp_path, convert):
    """CACTUS and the Mendeley lung set abbreviate class names in their folders; label_names maps them back."""
    for n, folder in enumerate(("SC", "SC", "A4C", "Other")):
        save(tmp_path / "src" / "views" / folder / f"img{n}.png", us_image(20, 24, 4600 + n))
    classes = [{"id": 0, "name": "A4C"}, {"id": 1, "name": "Subcostal"}]
    options = {"images": "views/{label}/{stem}.png", "label_names": {"SC": "Subcostal"}}
    entry = make_entry(
        "views-test", "class-folders", options, tasks=["classification"], annotation={"classes": classes}
    )
    out = convert(entry, tmp_path / "src")
    assert out.metadata["labels"] == ["A4C", "Subcostal"]
    assert {r["sample_id"]: r["label"] for r in out.rows} == {
        "img0": "Subcostal",
        "img1": "Subcostal",
        "img2": "A4C",
        "img3": None,  # a folder that is no class of the entry is reported, not invented
    }
    assert ("unknown_label", "views/Other/img3.png") in {(p["kind"], p["file"]) for p in out.problems()}


def test_catalog_class_folders_entries_name_their_classes_as_the_entry_does():
    """cactus and lung-us-3class-mendeley: every mapped folder name lands on one of the entry's classes."""
    for entry_id in ("cactus", "lung-us-3class-mendeley"):
        entry = CATALOG.datasets[entry_id]
        assert entry.loader is not None and entry.annotation is not None
        names = {c.name for c in entry.annotation.classes or []}
        mapped = set(entry.loader.options["label_names"].values())
        assert mapped <= names, (entry_id, mapped - names)


# --- resect-seg ----------------------------------------------------------------------------------------------------


def test_resect_seg_slices_carry_the_targets_of_their_phase(tmp_path, convert):
    _resect_seg(tmp_path / "stage")
    pack_download(tmp_path / "stage", tmp_path / "downloads", tmp_path / "src")
    out = convert(CATALOG.datasets["resect-seg"], tmp_path / "src")
    targets = {sid: sorted(m["target"] for m in row["masks"]) for sid, row in out.by_id.items()}
    assert targets["Case1-US-before_s004"] == ["sulci", "tumor"]
    assert targets["Case2-US-during_s005"] == ["resection"]
    assert targets["Case1-US-after_s003"] == ["falx"]
    assert np.array_equal(out.mask("Case1-US-before_s005", "tumor"), _resect_label(12, 4, 7, slice(4, 12))[5])
    assert not out.mask("Case1-US-before_s005", "sulci").any()  # slice 5 is below the sulci's slices
    assert not [r for r in out.rows if r["sample_id"].startswith("Case2-US-after")]  # not annotated
    assert out.metadata["source_files"]["dropped"] == 0  # MRI files and the unannotated volume are left out on purpose


def test_resect_seg_reports_mismatched_and_unpaired_volumes(tmp_path, convert):
    src = tmp_path / "src"
    _write_volume(src / "NIFTI" / "Case3" / "US" / "Case3-US-before.nii.gz", np.zeros((6, 24, 28), np.uint8))
    _write_volume(src / "labels" / "Case3" / "Case3-US-before-tumor.nii.gz", _resect_label(5, 1, 3, slice(2, 6)))
    _write_volume(src / "labels" / "Case4" / "Case4-US-before-tumor.nii.gz", _resect_label(6, 1, 3, slice(2, 6)))
    _write_volume(src / "NIFTI" / "Case5" / "US" / "Case5-US-before.nii.gz", np.zeros((6, 24, 28), np.uint8))
    _write_volume(src / "labels" / "Case5" / "Case5-US-before-tumor.nii.gz", _resect_label(6, 2, 3, slice(2, 6)))
    out = convert(CATALOG.datasets["resect-seg"], src)
    assert sorted(out.by_id) == ["Case5-US-before_s002"]
    kinds = {(p["kind"], p["file"]) for p in out.problems()}
    assert ("size_mismatch", "labels/Case3/Case3-US-before-tumor.nii.gz") in kinds
    assert ("missing_image", "labels/Case4/Case4-US-before-tumor.nii.gz") in kinds


# --- cetus ---------------------------------------------------------------------------------------------------------


def test_cetus_slices_only_show_the_ventricle_and_report_unpaired_volumes(tmp_path, convert):
    base = tmp_path / "src" / "dataset"
    _write_volume(base / "patient01" / "patient01_ED.nii.gz", np.zeros((6, 20, 24), np.uint8))
    _write_volume(base / "patient01" / "patient01_ED_gt.nii.gz", _cetus_reference(6, 1, 3))
    _write_volume(base / "patient01" / "patient01_ES.nii.gz", np.zeros((6, 20, 24), np.uint8))  # no reference
    _write_volume(base / "patient02" / "patient02_ED_gt.nii.gz", _cetus_reference(6, 1, 3))  # no volume
    out = convert(CATALOG.datasets["cetus"], tmp_path / "src")
    assert sorted(out.by_id) == ["patient01_ED_s001", "patient01_ED_s002"]
    assert np.array_equal(out.mask("patient01_ED_s001", "lv"), _cetus_reference(6, 1, 3)[1] // 255)
    kinds = {(p["kind"], p["file"]) for p in out.problems()}
    assert ("missing_mask", "dataset/patient01/patient01_ES.nii.gz") in kinds
    assert ("missing_image", "dataset/patient02/patient02_ED_gt.nii.gz") in kinds


# --- mimic-iv-ext-echoqa -------------------------------------------------------------------------------------------


def test_echoqa_keeps_every_question_of_a_clip_and_reports_missing_clips(tmp_path, convert):
    expected = _mimic_iv_ext_echoqa(tmp_path / "src")
    table = tmp_path / "src" / "mimic-iv-ext-echoqa" / "MIMICEchoQA" / "MIMICEchoQA.json"
    records = json.loads(table.read_text())
    records.append(_echoqa_record(9, "p12/p12000001/s91000001/91000001_0001.mp4"))  # not downloaded
    records.append({"messages_id": "m10", "videos": ["../../etc/passwd"]})  # no files/ part: not a clip path
    table.write_text(json.dumps(records))
    out = convert(CATALOG.datasets["mimic-iv-ext-echoqa"], tmp_path / "src")
    assert len(out.rows) == expected["samples"]
    extra = out.by_id["98097718_0047_0001"]["extra"]
    extra = json.loads(extra) if isinstance(extra, str) else extra
    assert [q["messages_id"] for q in extra["qa"]] == ["m0", "m1"]
    assert extra["qa"][0]["correct_option"] == "A" and extra["qa"][0]["answer"] == "normal"
    assert [r["frame"] for r in out.rows if r["source_file"].endswith("_0047.mp4")] == [1, 4, 8]
    kinds = [(p["kind"], p["message"].split(":")[0]) for p in out.problems()]
    assert ("missing_image", "record 4") in kinds
    assert ("annotation_unreadable", "record 5") in kinds


# --- bmode-ceus-liver ----------------------------------------------------------------------------------------------


def test_bmode_ceus_liver_frames_keep_their_own_size(tmp_path, convert):
    _bmode_ceus_liver(tmp_path / "src")
    out = convert(CATALOG.datasets["bmode-ceus-liver"], tmp_path / "src")
    sizes = {sid: (r["width"], r["height"]) for sid, r in out.by_id.items()}
    assert sizes["1.3.6.1.4.1.14519.5.2.1.1111_1-001"] == (40, 32)
    assert sizes["1.3.6.1.4.1.14519.5.2.1.1111_1-002"] == (36, 28)
    assert np.array_equal(out.image("1.3.6.1.4.1.14519.5.2.1.2222_1-002"), us_image(28, 36, 5311))
    assert out.checks["dicom_phi"]["status"] == "pass"


# --- abus-mt-small -------------------------------------------------------------------------------------------------


def test_abus_pairs_by_natural_order_and_refuses_uneven_categories(tmp_path, convert):
    base = tmp_path / "src" / "MT_Small_Dataset"
    for n, (image, mask) in enumerate((("2.png", "2_gt.png"), ("10.png", "10_gt.png"))):
        save(base / "Benign" / "Original_Benign" / image, us_image(30, 36, 5500 + n))
        save(base / "Benign" / "Ground_Truth_Benign" / mask, blob_mask(30, 36, 5500 + n))
    save(base / "Malignant" / "Original_Malignant" / "1.png", us_image(30, 36, 5510))  # no mask at all
    out = convert(CATALOG.datasets["abus-mt-small"], tmp_path / "src")
    assert sorted(out.by_id) == ["benign_10", "benign_2"]
    # natural order pairs 2.png with 2_gt.png and 10.png with 10_gt.png (text order would swap them)
    assert np.array_equal(out.mask("benign_2", "tumour"), (blob_mask(30, 36, 5500) > 0).astype(np.uint8))
    assert np.array_equal(out.mask("benign_10", "tumour"), (blob_mask(30, 36, 5501) > 0).astype(np.uint8))
    kinds = {(p["kind"], p["file"]) for p in out.problems()}
    assert ("missing_mask", "MT_Small_Dataset/Malignant/Original_Malignant") in kinds


def test_abus_fuzzy_option_converts_the_fuzzy_images(tmp_path, convert):
    _abus_mt_small(tmp_path / "stage")
    pack_download(tmp_path / "stage", tmp_path / "downloads", tmp_path / "src")
    entry = CATALOG.datasets["abus-mt-small"]
    assert entry.loader is not None
    loader = entry.loader.model_copy(update={"options": {"images": "fuzzy"}})
    out = convert(entry.model_copy(update={"loader": loader}), tmp_path / "src")
    assert out.by_id["malignant_1"]["source_file"] == "MT_Small_Dataset/Malignant/Fuzzy_Malignant/1.png"
    assert np.array_equal(out.image("malignant_1"), us_image(30, 36, 5400 + 10 * 9 + 1 + 5))
    assert out.metadata["source_files"]["dropped"] == 0  # the original images are left out on purpose


# --- unitylv-multix ------------------------------------------------------------------------------------------------


def test_unitylv_consensus_curve_gives_points_and_the_enclosed_mask(tmp_path, convert):
    _unitylv_multix(tmp_path / "src")
    base = tmp_path / "src" / "UnityLV-MultiX"
    consensus = json.loads((base / "UnityLV_multiX_consensus_curves.json").read_text())
    name = f"{UNITY_STUDIES[0]}-0041.png"
    del consensus[name]  # an image without its consensus curve
    (base / "UnityLV_multiX_consensus_curves.json").write_text(json.dumps(consensus))
    experts = json.loads((base / "UnityLV_multiX_annotations.json").read_text())
    experts[f"{UNITY_STUDIES[0]}-0003.png"]["user9"] = {"x": [1]}  # not ([X], [Y])
    (base / "UnityLV_multiX_annotations.json").write_text(json.dumps(experts))
    out = convert(CATALOG.datasets["unitylv-multix"], tmp_path / "src")
    sid = f"{UNITY_STUDIES[0]}-0003"
    assert len(out.rows) == 3
    assert [(p["x"], p["y"]) for p in out.by_id[sid]["points"]] == list(zip(*_unity_curve(0), strict=True))
    mask = out.mask(sid, "lv")
    assert mask[20, 16] == 1 and mask[2, 2] == 0  # inside the curve, outside it
    extra = out.by_id[sid]["extra"]
    extra = json.loads(extra) if isinstance(extra, str) else extra
    assert sorted(extra["experts"]) == ["user0", "user1", "user2"]
    kinds = {(p["kind"], p["file"]) for p in out.problems()}
    assert ("missing_annotation", f"UnityLV-MultiX/Images/{name}") in kinds
    assert ("annotation_unreadable", "UnityLV-MultiX/UnityLV_multiX_annotations.json") in kinds


# --- fetch --from-file, then load ----------------------------------------------------------------------------------


def test_usreg_fetch_from_file_then_load_ted_echo_and_abus(tmp_path, run_cli, usreg_home):
    """The user's path: `usreg fetch ID --from-file <download>`, then registry.load(ID) reads it back. The fixture
    holds 4 of ted-echo's 98 declared sequences, so its count check fails by name and --keep-going accepts it."""
    ted = _ted_echo(tmp_path / "ted")
    output, ds = fetch_from_file_then_load(
        run_cli, "ted-echo", "--from-file", tmp_path / "ted" / "database", "--keep-going"
    )
    assert "counts_match" in output  # 4 of the entry's 98 sequences: named, accepted with --keep-going
    assert len(ds) == ted["samples"]
    assert {t: dict(c) for t, c in ds.classes.items()} == ted["targets"]

    abus = _abus_mt_small(tmp_path / "abus")
    archive = tmp_path / "mt-small-dataset.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for p in sorted((tmp_path / "abus" / "mt-small-dataset.zip").rglob("*.png")):
            zf.write(p, p.relative_to(tmp_path / "abus" / "mt-small-dataset.zip").as_posix())
    _, ds = fetch_from_file_then_load(run_cli, "abus-mt-small", "--from-file", archive)
    assert len(ds) == abus["samples"]
