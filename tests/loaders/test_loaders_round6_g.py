"""Round 6 (g): catalog datasets converted in the layout that the authors' repositories or code that read the data show.

ud-tn: the sample repository 18811755633/Sample-of-UD-TN (commit 0a700ce), as GitHub's "Download ZIP" packs it
(Sample-of-UD-TN-master/): ``Sample of {Traindata,Testdata}/{Benign,Malignant}/<id>.jpg`` give the official split and
the label; ``Sample of Smalltest/`` repeats test images (1000052.jpg is the same blob in both) and is left out.

vital-ovarian: GGbond-study/vitalnet (commit 641e44c), whose mmpretrain configs read ``data/class_6/{train,test}`` as
CustomDataset (one folder per class, six class folders named in Chinese); the sample is three images of patient
0000050517 (``<patient>-bus-<n>.jpg``). GitHub's archive of the pinned commit has the top folder vitalnet-<sha>/.

buv-2022: deepang-ai/BaS (commit 635d6a8) reads ``<root>/images/<video>/<frame>.<ext>`` with
``<root>/labels/<video>/<frame>.png`` (frame names are numbers, any non-zero label pixel is lesion); its config names
the root 'all'. How the authors package the download was not seen, so the fixture is a zip of that folder.
"""

from __future__ import annotations

import tarfile
import zipfile
from pathlib import Path

from tests.fixtures.builders._common import blob_mask, rgb, save, us_image
from tests.loaders.conftest import (
    check_converted_layout,
    convert_layout,
    fetch_from_file_then_load,
    real_catalog,
)

CATALOG = real_catalog()


def _archive(folder: Path, archive: Path) -> Path:
    """A staged ``<name>.zip/`` or ``<name>.tar.gz/`` folder written as that archive (members relative to it)."""
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    if archive.name.endswith(".zip"):
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
            for p in files:
                zf.write(p, p.relative_to(folder).as_posix())
    else:
        with tarfile.open(archive, "w:gz") as tf:
            for p in files:
                tf.add(p, p.relative_to(folder).as_posix())
    return archive


# --- ud-tn --------------------------------------------------------------------------------------------------------

UDTN_ZIP = "Sample-of-UD-TN-master.zip"
UDTN_TOP = "Sample-of-UD-TN-master"
# The sample repository's files (README: 14 training, 6 test, 6 small-nodule test images).
UDTN_FILES = {
    "Sample of Traindata": {
        "Benign": ["1000007", "1000014", "1000031", "1000032", "1000048", "1000057", "1000081"],
        "Malignant": ["2000023", "2000029", "2000067", "2000083", "2000084", "2000115", "2000152"],
    },
    "Sample of Testdata": {"Benign": ["1000004", "1000033", "1000052"], "Malignant": ["2000075", "2000098", "2000114"]},
    "Sample of Smalltest": {
        "Benign": ["1000052", "1000333", "1000569"],
        "Malignant": ["2000750", "2001403", "2001543"],
    },
}


def _ud_tn(stage: Path, stray: bool = False) -> dict:
    top = stage / UDTN_ZIP / UDTN_TOP
    top.mkdir(parents=True)
    (top / "README.md").write_text("# Sample-of-UD-TN\n")
    for folder, classes in UDTN_FILES.items():
        for label, ids in classes.items():
            for image_id in ids:
                grey = us_image(36, 44, int(image_id) % 9973)  # the same id gives the same image in two folders
                save(top / folder / label / f"{image_id}.jpg", rgb(grey), fmt="JPEG", quality=90)
    expected = {
        "samples": 20,
        "splits": {"train": 14, "test": 6},
        "labels": {"benign": 10, "malignant": 10},
        "label_classes": ["benign", "malignant"],
        "ignored": 6,
    }
    if stray:  # an image outside any class folder: reported as dropped by the layout, not silently lost
        save(top / "Sample of Traindata" / "1000999.jpg", rgb(us_image(36, 44, 999)), fmt="JPEG")
        expected["dropped"] = {"layout": 1}
    return expected


def test_ud_tn_converts_the_sample_repository_layout(tmp_path, convert):
    out, expected = convert_layout(convert, CATALOG.datasets["ud-tn"], _ud_tn, tmp_path)
    check_converted_layout(out, expected)
    assert out.by_id["1000052"]["split"] == "test"  # the Smalltest copy is not a second sample
    assert out.by_id["2000023"]["label"] == "malignant" and out.by_id["2000023"]["split"] == "train"
    assert out.metadata["splits"]["kind"] == "official"


def test_ud_tn_reports_an_image_outside_the_class_folders(tmp_path, convert):
    out, expected = convert_layout(convert, CATALOG.datasets["ud-tn"], lambda s: _ud_tn(s, stray=True), tmp_path)
    check_converted_layout(out, expected)
    dropped = out.metadata["source_files"]["dropped_files"]
    assert [d["file"] for d in dropped] == [f"{UDTN_TOP}/Sample of Traindata/1000999.jpg"]


def test_usreg_fetch_ud_tn_from_the_download_zip_then_load(tmp_path, run_cli, usreg_home):
    """`usreg fetch ud-tn --from-file Sample-of-UD-TN-master.zip`: 20 of the declared 2,000 images, so only
    counts_match fails, accepted with --keep-going."""
    expected = _ud_tn(tmp_path / "stage")
    archive = _archive(tmp_path / "stage" / UDTN_ZIP, tmp_path / UDTN_ZIP)
    output, ds = fetch_from_file_then_load(run_cli, "ud-tn", "--from-file", archive, "--keep-going")
    assert "counts_match" in output
    assert len(ds) == expected["samples"]


# --- vital-ovarian ------------------------------------------------------------------------------------------------

VITAL_SHA = "641e44cbe081f12d78eb6bc5a3c92ed4ae42dc9b"
VITAL_TOP = f"vitalnet-{VITAL_SHA}"
VITAL_TGZ = f"{VITAL_TOP}.tar.gz"
VITAL_CLASSES = ["卵泡膜纤维瘤", "巧克力囊肿", "成熟囊性畸胎瘤", "浆液性囊腺瘤", "高级别浆液性癌", "黏液性囊腺瘤"]
TERATOMA = "成熟囊性畸胎瘤"


def _vital(stage: Path, test_split: bool = False, stray_class: bool = False) -> dict:
    """GitHub's archive of the pinned commit: the code, data/readme.md, data/information_text.csv (GBK) and
    data/class_6/train/<six class folders>/ (.gitkeep in each), three images in the teratoma folder."""
    top = stage / VITAL_TGZ / VITAL_TOP
    for folder in ("config/base", "data"):
        (top / folder).mkdir(parents=True)
    (top / "README.md").write_text("# ViTaL\n")
    (top / "config" / "base" / "dataset_6.py").write_text("data_root='data/class_6'\n")
    (top / "data" / "readme.md").write_text("## 1. Data Ethical Review Status\n")
    header = "idx,age,bmi,hurt,zhang,CA125,CEA,CA199,AFP,CA153,size,results,water,node,set,report,diagnose\n"
    row = "50517,0.76,0.67,0,0,-0.28,-0.04,0,0.82,0,0.32,4,0,0,train,子宫前位,盆腔包块\n"
    (top / "data" / "information_text.csv").write_bytes((header + row).encode("gbk"))
    train = top / "data" / "class_6" / "train"
    for name in VITAL_CLASSES:
        (train / name).mkdir(parents=True)
        (train / name / ".gitkeep").write_text("\n")
    for n in (1, 2, 3):
        save(train / TERATOMA / f"0000050517-bus-{n:02d}.jpg", rgb(us_image(40, 48, 6100 + n)), fmt="JPEG")
    expected: dict = {
        "samples": 3,
        "splits": {"train": 3},
        "labels": {TERATOMA: 3},
        "label_classes": VITAL_CLASSES,
        "subjects_of": {f"0000050517-bus-0{n}": "0000050517" for n in (1, 2, 3)},
    }
    if test_split:  # the configs' data_prefix='test' folder, as the full release would add it
        save(top / "data" / "class_6" / "test" / "巧克力囊肿" / "0000060001-bus-01.jpg", rgb(us_image(40, 48, 6200)))
        expected.update(
            samples=4,
            splits={"train": 3, "test": 1},
            labels={TERATOMA: 3, "巧克力囊肿": 1},
            test_subjects={"0000060001"},
        )
    if stray_class:  # a folder that is none of the six classes: the sample is kept without a label, and reported
        save(train / "other" / "0000070001-bus-01.jpg", rgb(us_image(40, 48, 6300)))
        expected.update(
            samples=expected["samples"] + 1,
            splits={**expected["splits"], "train": expected["splits"]["train"] + 1},
            labels={**expected["labels"], None: 1},
            errors=[
                {
                    "kind": "unknown_label",
                    "file": f"{VITAL_TOP}/data/class_6/train/other/0000070001-bus-01.jpg",
                    "message": f"label 'other' is not in the class map {VITAL_CLASSES}; the sample is kept without a "
                    "label",
                    "severity": "error",
                    "sample_id": "0000070001-bus-01",
                }
            ],
        )
    return expected


def test_vital_ovarian_converts_the_repository_sample(tmp_path, convert):
    out, expected = convert_layout(convert, CATALOG.datasets["vital-ovarian"], _vital, tmp_path)
    check_converted_layout(out, expected)
    assert out.metadata["splits"]["kind"] == "official"


def test_vital_ovarian_reads_the_test_folder_as_the_official_test_split(tmp_path, convert):
    build = lambda s: _vital(s, test_split=True)  # noqa: E731
    out, expected = convert_layout(convert, CATALOG.datasets["vital-ovarian"], build, tmp_path)
    check_converted_layout(out, expected)


def test_vital_ovarian_reports_a_folder_outside_the_six_classes(tmp_path, convert):
    build = lambda s: _vital(s, stray_class=True)  # noqa: E731
    out, expected = convert_layout(convert, CATALOG.datasets["vital-ovarian"], build, tmp_path)
    check_converted_layout(out, expected)


def test_usreg_fetch_vital_ovarian_from_the_commit_archive_then_load(tmp_path, run_cli, usreg_home):
    """`usreg fetch vital-ovarian --from-file vitalnet-<sha>.tar.gz`: the three sample images of the declared 2,216."""
    expected = _vital(tmp_path / "stage")
    archive = _archive(tmp_path / "stage" / VITAL_TGZ, tmp_path / VITAL_TGZ)
    output, ds = fetch_from_file_then_load(run_cli, "vital-ovarian", "--from-file", archive, "--keep-going")
    assert "counts_match" in output
    assert len(ds) == expected["samples"]


# --- buv-2022 -----------------------------------------------------------------------------------------------------

BUV_ZIP = "all.zip"
LESION = {"lesion": {0: "background", 1: "lesion"}}


def _buv(stage: Path, missing_label: bool = False) -> dict:
    """Two videos of numbered JPEG frames under all/images/<video>/ with PNG masks (0/255) under all/labels/<video>/;
    video '12' has frames 0..2 and 10 (numbers, not zero-padded), video '7' frames 0..1."""
    root = stage / BUV_ZIP / "all"
    frames = {"12": [0, 1, 2, 10], "7": [0, 1]}
    for v, (video, numbers) in enumerate(frames.items()):
        for n in numbers:
            seed = 7300 + 20 * v + n
            save(root / "images" / video / f"{n}.jpg", rgb(us_image(40, 50, seed)), fmt="JPEG", quality=90)
            if missing_label and (video, n) == ("7", 1):
                continue
            save(root / "labels" / video / f"{n}.png", blob_mask(40, 50, seed))
    samples = 6 - missing_label
    expected: dict = {
        "samples": samples,
        "split_kind": "seeded-subject",
        "targets": LESION,
        "masked": samples,
        "subjects": 2,
        "subjects_of": {"12_10": "12", "12_0": "12", "7_0": "7"},
        "mask_values": {"12_10": {0, 1}},
    }
    if missing_label:  # BaS skips such a frame silently; here it is reported and counted as dropped
        expected["errors"] = [
            {
                "kind": "missing_mask",
                "file": "all/images/7/1.jpg",
                "message": "no mask for target(s) lesion; image skipped",
                "severity": "error",
                "sample_id": "7_1",
            }
        ]
        expected["dropped"] = {"missing_mask": 1}
    return expected


def test_buv_2022_converts_the_bas_layout(tmp_path, convert):
    out, expected = convert_layout(convert, CATALOG.datasets["buv-2022"], _buv, tmp_path)
    check_converted_layout(out, expected)
    assert sorted(out.by_id) == ["12_0", "12_1", "12_10", "12_2", "7_0", "7_1"]
    assert all(r["label"] is None for r in out.rows)  # the per-video class is not in this layout


def test_buv_2022_reports_a_frame_without_a_label(tmp_path, convert):
    build = lambda s: _buv(s, missing_label=True)  # noqa: E731
    out, expected = convert_layout(convert, CATALOG.datasets["buv-2022"], build, tmp_path)
    check_converted_layout(out, expected)


def test_usreg_fetch_buv_2022_from_a_zip_of_the_folder_then_load(tmp_path, run_cli, usreg_home):
    """`usreg fetch buv-2022 --from-file all.zip` ends ready (the entry declares videos and frames, which
    counts_match does not compare)."""
    expected = _buv(tmp_path / "stage")
    archive = _archive(tmp_path / "stage" / BUV_ZIP, tmp_path / BUV_ZIP)
    output, ds = fetch_from_file_then_load(run_cli, "buv-2022", "--from-file", archive)
    assert "ready" in output
    assert len(ds) == expected["samples"]
    assert {t: dict(c) for t, c in ds.classes.items()} == LESION
