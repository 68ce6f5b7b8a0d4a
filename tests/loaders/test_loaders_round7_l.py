"""Round 7 (l): fetus-framework converted in the layout of the release as a user committed it.

fetus-framework (Cui & Dong 2022, Mendeley n2rbrb9t4f): XYuktaaa/ultrasound-analysis commit bd12906 holds the
downloaded release under ``data/images/DatasetForFetus/``: ``Set1-Training&Validation Sets CNN/Standard``,
``Set2-Training&Validation Sets ANN Scoring system/{Standard,Non-standard}``, ``Internal Test Set/{Standard,
Non-standard}`` and ``External Test Set/{Standard,Non-standard}`` with ``<n>.png`` numbered across the release, and
``data/annotations/ObjectDetection.xlsx`` (columns fname, structure, h_min, w_min, h_max, w_max; h is y, as
claudyAi/adl commit dc6c0d2 reads it). The sheet has rows for standard images of Set1, Set2 and the internal test set,
none for the external test set. Mendeley's "Download All" archive is ``<id>-<version>.zip``; its top folder and the
sheet's place in it are not shown, so the fixture puts the sheet beside the set folders under the record's title and a
second test moves it to a sibling folder, as the user's copy has it.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from tests.fixtures.builders._common import rgb, save, us_image, write_xlsx
from tests.loaders.conftest import (
    check_converted_layout,
    convert_layout,
    fetch_from_file_then_load,
    real_catalog,
)

CATALOG = real_catalog()

FF_ZIP = "n2rbrb9t4f-1.zip"
FF_TOP = "Dataset for Fetus Framework"
SET1 = "Set1-Training&Validation Sets CNN"
SET2 = "Set2-Training&Validation Sets ANN Scoring system"
INTERNAL = "Internal Test Set"
EXTERNAL = "External Test Set"
STRUCTURES = ["thalami", "nasal bone", "palate", "nasal skin", "nasal tip", "midbrain", "NT", "IT", "CM"]
HEADER = ("fname", "structure", "h_min", "w_min", "h_max", "w_max")
# The release's file numbers in each folder (a few of each range of the user's copy).
FILES = {
    (SET1, "Standard"): [0, 1, 2],
    (SET2, "Standard"): [812],
    (SET2, "Non-standard"): [1061, 1062],
    (EXTERNAL, "Standard"): [1372],
    (EXTERNAL, "Non-standard"): [1436],
    (INTERNAL, "Standard"): [1528],
    (INTERNAL, "Non-standard"): [1600],
}
# Sheet rows (fname, structure, h_min, w_min, h_max, w_max); 2.png, a standard image, has none.
ROWS = [
    ("0.png", "thalami", 10, 20, 30, 50),
    ("0.png", "NT", 40, 12, 46, 60),
    ("1.png", "IT", 5, 6, 15, 26),
    ("812.png", "CM", 20, 30, 28, 44),
    ("1528.png", "nasal bone", 8, 50, 12, 70),
]
W, H = 80, 60


def _xlsx(path: Path, rows: list[tuple]) -> None:
    write_xlsx(path, [HEADER, *rows], title="ObjectDetection")


def _fetus(stage: Path, sheet_beside: bool = True, bad: bool = False) -> dict:
    """The "Download All" zip staged as a folder: <title>/<four set folders>/<class>/<n>.png and the box sheet, beside
    the set folders or (sheet_beside=False) in a sibling annotations/ folder, with the sets one level deeper."""
    top = stage / FF_ZIP / FF_TOP
    sets = top if sheet_beside else top / "images" / "DatasetForFetus"
    for (set_name, folder), numbers in FILES.items():
        for n in numbers:
            save(sets / set_name / folder / f"{n}.png", rgb(us_image(H, W, 9100 + n)))
    rows = list(ROWS)
    expected: dict = {
        "samples": 10,
        "splits": {"train": 6, "test": 4},
        "labels": {"standard": 6, "non-standard": 4},
        "label_classes": ["standard", "non-standard"],
        "box_categories": STRUCTURES,
        "boxes": {
            "0": [("thalami", 20.0, 10.0, 50.0, 30.0), ("NT", 12.0, 40.0, 60.0, 46.0)],
            "1": [("IT", 6.0, 5.0, 26.0, 15.0)],
            "812": [("CM", 30.0, 20.0, 44.0, 28.0)],
            "1528": [("nasal bone", 50.0, 8.0, 70.0, 12.0)],
            "2": [],
            "1372": [],
            "1061": [],
        },
        "extra": {"1061": {"set": SET2}, "1372": {"set": EXTERNAL}, "1600": {"set": INTERNAL}},
    }
    sheet = (top if sheet_beside else top / "annotations") / "ObjectDetection.xlsx"
    sheet_rel = sheet.relative_to(stage / FF_ZIP).as_posix()
    set_rel = sets.relative_to(stage / FF_ZIP).as_posix()
    if bad:  # a row of an image that is not there, an unknown structure, a row that is not a box, a stray image
        rows += [("999.png", "NT", 1, 1, 5, 5), ("812.png", "ear", 1, 1, 5, 5), ("1.png", "palate", "n/a", 1, 5, 5)]
        save(sets / SET1 / "stray.png", rgb(us_image(H, W, 9099)))
        expected["boxes"]["812"] = [("CM", 30.0, 20.0, 44.0, 28.0)]  # the unknown structure's box is left out
        expected["errors"] = [
            {
                "kind": "annotation_unreadable",
                "file": sheet_rel,
                "message": "row 9: ['1.png', 'palate', 'n/a', 1, 5, 5] is not a box (could not convert string to "
                "float: 'n/a'); left out",
                "severity": "error",
            },
            {
                "kind": "unknown_label",
                "file": f"{sheet_rel}:8",
                "message": f"object class 'ear' is not in the class map {STRUCTURES}; the box is dropped",
                "severity": "error",
                "sample_id": "812",
            },
            {
                "kind": "missing_image",
                "file": sheet_rel,
                "message": "row 7: 999.png is in no set's Standard/ or Non-standard/ folder; its rows are left out",
                "severity": "error",
            },
        ]
        expected["dropped"] = {"layout": 1}
    _xlsx(sheet, rows)
    expected["problems"] = {
        ("missing_annotation", f"{set_rel}/{EXTERNAL}"),  # no rows for the whole external test set: one warning
        ("missing_annotation", f"{set_rel}/{SET1}/Standard/2.png"),
    }
    return expected


def test_fetus_framework_converts_the_release_layout(tmp_path, convert):
    out, expected = convert_layout(convert, CATALOG.datasets["fetus-framework"], _fetus, tmp_path)
    check_converted_layout(out, expected)
    assert out.metadata["splits"]["kind"] == "official"
    assert out.by_id["1436"]["split"] == "test" and out.by_id["1436"]["label"] == "non-standard"
    assert out.by_id["0"]["split"] == "train" and out.by_id["0"]["label"] == "standard"
    warnings = [p for p in out.problems() if p["severity"] == "warning"]
    assert len(warnings) == 2  # 2.png, and the external test set as a whole (not each of its images)


def test_fetus_framework_finds_the_sheet_in_another_folder(tmp_path, convert):
    build = lambda s: _fetus(s, sheet_beside=False)  # noqa: E731
    out, expected = convert_layout(convert, CATALOG.datasets["fetus-framework"], build, tmp_path)
    check_converted_layout(out, expected)


def test_fetus_framework_reports_bad_rows_missing_images_and_stray_files(tmp_path, convert):
    build = lambda s: _fetus(s, bad=True)  # noqa: E731
    out, expected = convert_layout(convert, CATALOG.datasets["fetus-framework"], build, tmp_path)
    check_converted_layout(out, expected)
    dropped = out.metadata["source_files"]["dropped_files"]
    assert [d["file"] for d in dropped] == [f"{FF_TOP}/{SET1}/stray.png"]


def test_fetus_framework_reports_a_file_name_in_two_folders(tmp_path, convert):
    src = tmp_path / "src" / FF_TOP
    save(src / SET1 / "Standard" / "5.png", rgb(us_image(H, W, 9205)))
    save(src / INTERNAL / "Standard" / "5.png", rgb(us_image(H, W, 9206)))
    save(src / INTERNAL / "Non-standard" / "6.png", rgb(us_image(H, W, 9207)))
    _xlsx(src / "ObjectDetection.xlsx", [("5.png", "NT", 1, 1, 5, 5)])
    out = convert(CATALOG.datasets["fetus-framework"], tmp_path / "src")
    assert sorted(out.by_id) == ["6"]
    kinds = {(p["kind"], p["file"]) for p in out.problems()}
    assert ("duplicate_name", f"{FF_TOP}/{SET1}/Standard/5.png") in kinds
    assert ("duplicate_name", f"{FF_TOP}/{INTERNAL}/Standard/5.png") in kinds
    assert not any(p["kind"] == "missing_image" for p in out.problems())  # its row is not reported twice
    assert out.metadata["source_files"]["dropped_by_reason"] == {"duplicate_name": 2}


def test_fetus_framework_without_the_sheet_keeps_the_labels_and_reports_it(tmp_path, convert):
    src = tmp_path / "src" / FF_TOP
    save(src / SET2 / "Standard" / "812.png", rgb(us_image(H, W, 9300)))
    save(src / EXTERNAL / "Non-standard" / "1436.png", rgb(us_image(H, W, 9301)))
    out = convert(CATALOG.datasets["fetus-framework"], tmp_path / "src")
    assert {r["sample_id"]: (r["split"], r["label"]) for r in out.rows} == {
        "812": ("train", "standard"),
        "1436": ("test", "non-standard"),
    }
    assert ("missing_annotation", ".") in {(p["kind"], p["file"]) for p in out.problems()}


def test_usreg_fetch_fetus_framework_from_the_download_all_zip_then_load(tmp_path, run_cli, usreg_home):
    """`usreg fetch fetus-framework --from-file n2rbrb9t4f-1.zip` ends ready (the entry declares no counts)."""
    expected = _fetus(tmp_path / "stage")
    archive = tmp_path / FF_ZIP
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted((tmp_path / "stage" / FF_ZIP).rglob("*")):
            if p.is_file():
                zf.write(p, p.relative_to(tmp_path / "stage" / FF_ZIP).as_posix())
    output, ds = fetch_from_file_then_load(run_cli, "fetus-framework", "--from-file", archive)
    assert "ready" in output
    assert len(ds) == expected["samples"]
