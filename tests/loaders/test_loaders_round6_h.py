"""Round 6 (h): catalog datasets converted in the layout that code which opened their real download shows.

ct2us-kidney (Kaggle siatsyx/ct2usforkidneyseg): torch-em's ``ct2us_kidney.py`` (commit 3db1c5e) unzips the Kaggle
archive and reads ``slice/slice/*.png`` (synthetic ultrasound slices) with ``mask/mask/*.png`` (kidney masks,
>= 128 = kidney). The generic image-mask-folders converter pairs them by file name; a seeded random split.

us3m (Kaggle timesxy/multimodal-breast-ultrasound-dataset-us3m): DABI-Net's TDF-Net baseline (commit 6df744b) reads
``BD3M.xlsx`` (columns ``序号``, the patient id, and ``病理结果（0：良性，1：恶性）``, the pathology) beside
``BD3M/<patient id>/{BUS,DUS,EUS}_*.jpg``; the authors' README shows a zero-padded ``001/`` patient folder. Kaggle
serves the files as one archive.zip; the evidence shows no wrapper folder inside it, so the fixture has none.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest

from registry.errors import UsregError
from tests.fixtures.builders._common import blob_mask, rgb, save, us_image
from tests.loaders.conftest import (
    check_converted_layout,
    convert_layout,
    fetch_from_file_then_load,
    from_file_args,
    real_catalog,
)

CATALOG = real_catalog()
KIDNEY = {"kidney": {0: "background", 1: "kidney"}}
US3M_LABELS = ["benign", "malignant"]


# --- ct2us-kidney: slice/slice/<name>.png with mask/mask/<name>.png ----------------------------------------------


def _ct2us(stage: Path, count: int = 6, size: int = 32) -> dict:
    """Kaggle's archive.zip of the dataset: slice/slice/*.png and mask/mask/*.png (0/255), same names."""
    root = stage / "archive.zip"
    stems = [f"{n}" for n in range(1, count + 1)]
    for n, stem in enumerate(stems):
        grey = us_image(size, size, 6100 + n)
        save(root / "slice" / "slice" / f"{stem}.png", rgb(grey) if n % 2 else grey)  # colour mode not shown
        save(root / "mask" / "mask" / f"{stem}.png", blob_mask(size, size, 6100 + n))
    return {
        "samples": count,
        "split_kind": "seeded-random",
        "targets": KIDNEY,
        "masked": count,
        "mask_values": {s: {0, 1} for s in stems},
    }


def test_ct2us_kidney_converts_the_torch_em_layout(tmp_path, convert):
    out, expected = convert_layout(convert, CATALOG.datasets["ct2us-kidney"], _ct2us, tmp_path)
    check_converted_layout(out, expected)
    assert sorted(out.by_id) == ["1", "2", "3", "4", "5", "6"]
    mask = out.mask("3", "kidney")
    assert np.array_equal(mask.astype(bool), blob_mask(32, 32, 6102) > 127)  # the image's own mask, thresholded


def test_ct2us_kidney_reports_an_image_without_mask_and_a_mask_without_image(tmp_path, convert):
    root = tmp_path / "src"
    for n, stem in enumerate(("a", "b", "c")):
        save(root / "slice" / "slice" / f"{stem}.png", us_image(24, 24, 6200 + n))
    for n, stem in enumerate(("a", "c", "z")):
        save(root / "mask" / "mask" / f"{stem}.png", blob_mask(24, 24, 6200 + n))
    out = convert(CATALOG.datasets["ct2us-kidney"], root)
    assert sorted(out.by_id) == ["a", "c"]
    kinds = {(p["kind"], p["file"]) for p in out.problems()}
    assert ("missing_mask", "slice/slice/b.png") in kinds
    assert ("missing_image", "mask/mask/z.png") in kinds


def test_usreg_fetch_ct2us_kidney_from_the_kaggle_archive_then_load(tmp_path, run_cli, usreg_home):
    expected = _ct2us(tmp_path / "stage", count=8, size=16)
    args = from_file_args(tmp_path / "stage", tmp_path)
    assert len(args) == 2, args  # one archive
    output, ds = fetch_from_file_then_load(run_cli, "ct2us-kidney", *args)
    assert "ready" in output
    assert len(ds) == expected["samples"]
    assert {t: dict(c) for t, c in ds.classes.items()} == KIDNEY


# --- us3m: BD3M.xlsx with BD3M/<patient>/{BUS,DUS,EUS}_*.jpg ------------------------------------------------------


def _xlsx(path: Path, rows: list[tuple[object, object]], header: tuple[str, str] | None = None) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(header or ("序号", "病理结果（0：良性，1：恶性）")))
    for row in rows:
        sheet.append(list(row))
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)


def _jpg(path: Path, seed: int, size: int = 32) -> None:
    save(path, rgb(us_image(size, size, seed)), fmt="JPEG", quality=90)


# patient -> (pathology, images); not every patient has every modality or one image of each
US3M_PATIENTS: dict[int, tuple[int, tuple[str, ...]]] = {
    1: (0, ("BUS_1", "DUS_1", "EUS_1")),
    2: (1, ("BUS_1", "BUS_2", "EUS_1")),
    3: (0, ("BUS_1", "DUS_1")),
    4: (1, ("BUS_1", "DUS_1", "EUS_1", "EUS_2")),
    5: (0, ("BUS_1",)),
    6: (1, ("BUS_1", "EUS_1")),
    7: (0, ("BUS_1", "DUS_1", "EUS_1")),
    8: (1, ("BUS_1", "EUS_1")),
    9: (0, ("BUS_1", "BUS_2")),
    10: (1, ("BUS_1", "DUS_1", "EUS_1")),
}


def _us3m(stage: Path, folder=str, size: int = 32) -> dict:
    """archive.zip of BD3M.xlsx and BD3M/<patient>/..., as DABI-Net's data README places them."""
    root = stage / "archive.zip"
    _xlsx(root / "BD3M.xlsx", [(pid, label) for pid, (label, _) in US3M_PATIENTS.items()])
    n = 0
    for pid, (_, stems) in US3M_PATIENTS.items():
        for stem in stems:
            _jpg(root / "BD3M" / folder(pid) / f"{stem}.jpg", 6300 + n, size)
            n += 1
    labels = {"benign": 0, "malignant": 0}
    for label, stems in US3M_PATIENTS.values():
        labels[US3M_LABELS[label]] += len(stems)
    return {
        "samples": n,
        "split_kind": "seeded-subject",
        "subjects": len(US3M_PATIENTS),
        "labels": labels,
        "label_classes": US3M_LABELS,
        "subjects_of": {"10_EUS_1": "10", "2_BUS_2": "2"},
        "extra": {
            "4_EUS_2": {"modality": "EUS", "mode": "elastography"},
            "3_DUS_1": {"modality": "DUS", "mode": "colour doppler"},
            "9_BUS_2": {"modality": "BUS", "mode": "b-mode"},
        },
    }


def test_us3m_converts_the_dabi_net_layout(tmp_path, convert):
    out, expected = convert_layout(convert, CATALOG.datasets["us3m"], _us3m, tmp_path)
    check_converted_layout(out, expected)
    assert out.by_id["2_BUS_2"]["label"] == "malignant" and out.by_id["1_DUS_1"]["label"] == "benign"
    assert out.extra("1_BUS_1")["patient_folder"] == "1"


def test_us3m_matches_zero_padded_patient_folders_by_number(tmp_path, convert):
    """The authors' README shows BD3M-style folders as 001/; the table's 序号 is the number 1."""
    out, expected = convert_layout(
        convert, CATALOG.datasets["us3m"], lambda s: _us3m(s, lambda p: f"{p:03d}"), tmp_path
    )
    check_converted_layout(out, expected)
    assert out.extra("7_BUS_1")["patient_folder"] == "007"


def test_us3m_reports_unlisted_patients_missing_folders_strays_and_bad_labels(tmp_path, convert):
    root = tmp_path / "src"
    _xlsx(root / "BD3M.xlsx", [(1, 0), (2, 1), (3, 2), (4, 0)])
    _jpg(root / "BD3M" / "1" / "BUS_1.jpg", 6400)
    _jpg(root / "BD3M" / "1" / "EUS_1.jpg", 6401)
    (root / "BD3M" / "1" / "Thumbs.db").write_bytes(b"\0")  # a stray file in a patient folder
    _jpg(root / "BD3M" / "2" / "DUS_1.jpg", 6402)
    _jpg(root / "BD3M" / "3" / "BUS_1.jpg", 6403)  # pathology 2: kept without a label
    _jpg(root / "BD3M" / "9" / "BUS_1.jpg", 6404)  # not in the table
    out = convert(CATALOG.datasets["us3m"], root)
    assert sorted(out.by_id) == ["1_BUS_1", "1_EUS_1", "2_DUS_1", "3_BUS_1"]
    assert out.by_id["3_BUS_1"]["label"] is None
    kinds = {(p["kind"], p["file"]) for p in out.problems()}
    assert ("missing_label", "BD3M/9") in kinds
    assert ("missing_image", "BD3M.xlsx") in kinds  # patient 4 has no folder
    assert ("unexpected_file", "BD3M/1/Thumbs.db") in kinds
    assert ("unknown_label", "BD3M.xlsx") in kinds
    assert [d["file"] for d in out.metadata["source_files"]["dropped_files"]] == ["BD3M/9/BUS_1.jpg"]


def test_us3m_without_the_label_columns_is_reported(tmp_path, convert):
    root = tmp_path / "src"
    _xlsx(root / "BD3M.xlsx", [(1, 0)], header=("id", "label"))
    _jpg(root / "BD3M" / "1" / "BUS_1.jpg", 6500)
    with pytest.raises(UsregError, match=r"no sample could be converted .*BD3M.xlsx: no column\(s\)"):
        convert(CATALOG.datasets["us3m"], root)


def test_usreg_fetch_us3m_from_the_kaggle_archive_then_load(tmp_path, run_cli, usreg_home):
    expected = _us3m(tmp_path / "stage", size=16)
    staged = tmp_path / "stage" / "archive.zip"
    archive = tmp_path / "archive.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(staged.rglob("*")):
            if p.is_file():
                zf.write(p, p.relative_to(staged).as_posix())
    output, ds = fetch_from_file_then_load(run_cli, "us3m", "--from-file", archive)
    assert "ready" in output
    assert len(ds) == expected["samples"]
