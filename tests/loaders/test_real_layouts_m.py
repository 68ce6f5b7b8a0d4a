"""Quirks of real copies of the downloads (set m), rebuilt in tiny fixtures made by code.

No real data is stored here: each fixture rebuilds only the file, folder and key names that the real copy showed,
with synthetic pixels.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from tests.fixtures.builders._common import rgb, save, us_image
from tests.loaders.conftest import real_catalog


def _otu_3d(root: Path, stems: range, val_from: int) -> None:
    """OTU_3d as a user's listing of the release shows it (sarah-antillia/Tensorflow-Image-Segmentation-Ovarian-Tumor-3D
    @af3da7d README): images/<n>.JPG, annotations/<n>.PNG, <n>_binary.PNG and <n>_binary_binary.PNG for n = 1..170."""
    base = root / "OTU_3d"
    region = np.zeros((24, 32), bool)
    region[6:18, 8:24] = True
    colour = np.zeros((24, 32, 3), np.uint8)
    colour[region] = (64, 0, 0)
    for n in stems:
        save(base / "images" / f"{n}.JPG", rgb(us_image(24, 32, 900 + n)), fmt="JPEG")
        save(base / "annotations" / f"{n}.PNG", colour, fmt="PNG")
        save(base / "annotations" / f"{n}_binary.PNG", region.astype(np.uint8) * 255, fmt="PNG")
        save(base / "annotations" / f"{n}_binary_binary.PNG", region.astype(np.uint8) * 255, fmt="PNG")
    (base / "train.txt").write_text("".join(f"{n}\n" for n in stems if n < val_from))
    (base / "val.txt").write_text("".join(f"{n}\n" for n in stems if n >= val_from))


def test_mmotu_3d_colour_and_binary_binary_masks_are_ignored_not_dropped(tmp_path: Path, convert) -> None:
    # The colour masks <n>.PNG were dropped as 'layout' and every <n>_binary_binary.PNG as a mask without an image
    # (it matches {stem}_binary.PNG with stem '<n>_binary'): 340 files of the release, so no fetch could be complete.
    _otu_3d(tmp_path / "src", range(1, 13), val_from=10)
    (tmp_path / "src" / "OTU_3d" / "annotations" / "99_binary.PNG").write_bytes(
        (tmp_path / "src" / "OTU_3d" / "annotations" / "1_binary.PNG").read_bytes()
    )  # a mask whose image is missing is still reported
    out = convert(real_catalog().datasets["mmotu-3d"], tmp_path / "src")
    assert len(out.rows) == 12
    assert out.splits() == {"train": 9, "val": 3}
    usage = out.metadata["source_files"]
    assert usage["ignored"] == 24
    assert usage["dropped_by_reason"] == {"missing_image": 1}, usage["dropped_files"]
    assert [p["file"] for p in out.problems("missing_image")] == ["OTU_3d/annotations/99_binary.PNG"]
    assert set(np.unique(out.mask("12", "tumor")).tolist()) == {0, 1}


def _nifti(path: Path, array: np.ndarray) -> None:
    import SimpleITK as sitk

    path.parent.mkdir(parents=True, exist_ok=True)
    sitk.WriteImage(sitk.GetImageFromArray(array), str(path))


def _bratious_downloads(downloads: Path) -> dict:
    """The record's two zips as torch-em's loader names them (torch_em/data/datasets/.../bratious.py: Zenodo
    ioUS-BraTioUS-dataset.zip -> imagesBraTioUS-public-dataset/, tumor-segmentation-BraTioUS-dataset.zip ->
    labelsBraTioUS-public-dataset/), images 2-D; 'a handful of label volumes (4 out of 1,669) ship with an extra
    trailing singleton axis', e.g. (800, 600, 1) instead of (800, 600)."""
    import zipfile

    stage = downloads.parent / "stage"
    for n, name in enumerate(("001_01", "001_02", "002_01")):
        _nifti(stage / "imagesBraTioUS-public-dataset" / f"{name}.nii.gz", us_image(30, 40, 1500 + n))
        mask = np.zeros((30, 40), np.uint8)
        mask[8:20, 10:30] = 1
        _nifti(stage / "labelsBraTioUS-public-dataset" / f"{name}.nii.gz", mask[None] if n == 2 else mask)
    downloads.mkdir(parents=True)
    for archive, folder in (
        ("ioUS-BraTioUS-dataset.zip", "imagesBraTioUS-public-dataset"),
        ("tumor-segmentation-BraTioUS-dataset.zip", "labelsBraTioUS-public-dataset"),
    ):
        with zipfile.ZipFile(downloads / archive, "w") as zf:
            for f in sorted((stage / folder).iterdir()):
                zf.write(f, f"{folder}/{f.name}")
    return {}


def test_bratious_label_with_a_trailing_singleton_axis_converts(tmp_path: Path, convert) -> None:
    from tests.loaders.conftest import convert_downloads

    out, _ = convert_downloads(convert, real_catalog().datasets["bratious"], _bratious_downloads, tmp_path)
    assert sorted(out.by_id) == ["001_01", "001_02", "002_01"]
    assert out.metadata["source_files"]["dropped_by_reason"] == {}
    assert not [p for p in out.problems() if p["severity"] == "error"]
    odd = out.mask("002_01", "tumour")
    assert odd.shape == (30, 40)
    assert int(odd.sum()) == 12 * 20


def _buid_downloads(downloads: Path) -> dict:
    """BUID.zip as two users' dataset classes and a converter show it: BUID/{Benign,Malignant}.zip, each case as
    '<n> <Class> Image.bmp', '<n> <Class> Lesion.bmp' (the lesion cut out, not used) and '<n> <Class> Mask.tif'."""
    import zipfile

    stage = downloads.parent / "stage"
    region = np.zeros((30, 40), np.uint8)
    region[8:20, 10:30] = 255
    for cls, cases in (("Benign", (1, 2, 10)), ("Malignant", (1, 2))):
        for n in cases:
            image = rgb(us_image(30, 40, 1700 + n + (50 if cls == "Malignant" else 0)))
            save(stage / cls / f"{n} {cls} Image.bmp", image, fmt="BMP")
            save(stage / cls / f"{n} {cls} Lesion.bmp", np.where(region[..., None] > 0, image, 0), fmt="BMP")
            save(stage / cls / f"{n} {cls} Mask.tif", region, fmt="TIFF")
        with zipfile.ZipFile(stage / f"{cls}.zip", "w") as zf:
            for f in sorted((stage / cls).iterdir()):
                zf.write(f, f"{cls}/{f.name}")
    downloads.mkdir(parents=True)
    with zipfile.ZipFile(downloads / "BUID.zip", "w") as zf:
        for cls in ("Benign", "Malignant"):
            zf.write(stage / f"{cls}.zip", f"BUID/{cls}.zip")
    return {}


def test_buid_lesion_cutouts_are_ignored_not_dropped(tmp_path: Path, convert) -> None:
    # Each case's '<n> <Class> Lesion.bmp' matched no pattern and was counted as dropped: no fetch could be complete.
    from tests.loaders.conftest import convert_downloads

    out, _ = convert_downloads(convert, real_catalog().datasets["buid-qamebi"], _buid_downloads, tmp_path)
    assert len(out.rows) == 5
    assert sorted(r["label"] for r in out.rows) == ["Benign"] * 3 + ["Malignant"] * 2
    usage = out.metadata["source_files"]
    assert usage["dropped_by_reason"] == {}, usage["dropped_files"]
    assert usage["ignored"] == 5
    assert int(out.mask("10_Benign", "lesion").sum()) == 12 * 20


# The UltraSuite tools' own sample utterance (UltraSuite/ultrasuite-tools@a030403 input/sample.param, sample.txt, an
# UPX recording): Windows line ends in both files, no newline after the prompt file's last line ('<corpus>_<speaker>
# _<session>'); the fixtures of the UltraSuite loaders wrote '\n' only.
SAMPLE_PARAM = (
    b"NumVectors=63\r\nPixPerVector=412\r\nZeroOffset=51\r\nBitsPerPixel=8\r\nAngle=0.038\r\nKind=0\r\n"
    b"PixelsPerMm=10.000\r\nFramesPerSec=121.618\r\nTimeInSecsOfFirstFrame=0.50730\r\n"
)
SAMPLE_TXT = b"top\r\n26/06/2015 15:09:25\r\nCLEFT_05F_BL"


def test_ultrasuite_cleft_windows_line_ends_of_the_real_param_and_prompt(tmp_path: Path, convert) -> None:
    session = tmp_path / "src" / "core-cleft" / "core" / "05F" / "BL"
    session.mkdir(parents=True)
    for uid in ("001A", "004B"):
        (session / f"{uid}.param").write_bytes(SAMPLE_PARAM)
        (session / f"{uid}.txt").write_bytes(SAMPLE_TXT)
        (session / f"{uid}.ult").write_bytes((bytes(range(256)) * 1300)[: 63 * 412 * 12])
    out = convert(real_catalog().datasets["ultrasuite-cleft"], tmp_path / "src")
    assert len(out.rows) == 6  # 3 frames of each utterance
    assert not [p for p in out.problems() if p["severity"] == "error"]
    row = out.by_id["05F_BL_001A_f0001"]
    extra = json.loads(row["extra"])
    assert (extra["scanlines"], extra["echoes"], extra["frames_in_utterance"]) == (63, 412, 12)
    assert (extra["prompt"], extra["recorded"]) == ("top", "26/06/2015 15:09:25")
    assert extra["time_s"] == round(0.5073 + 1 / 121.618, 6)
    assert row["label"] == "words" and out.by_id["05F_BL_004B_f0001"]["label"] == "non-words"
