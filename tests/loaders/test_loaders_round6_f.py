"""Round 6 (f): knee-us-cohort and cubs-tech converted in the layouts their evidence shows.

knee-us-cohort (Harvard Dataverse doi:10.7910/DVN/SKP9IB): the curators' user guide (kuhlaid/jocoknow
``docs/datasets/10.7910_DVN_SKP9IB/overview.mdx``, pinned in the entry) lists fourteen ``imageArchive.<view>.zip``
archives (directory label ``data/image/ultrasound``) of PNGs named ``<E03SUBJECTID>_<E03USIMGT>.png``, the tables
``dataTable.IMAGE_REF.tab`` and ``dataTable.SUBJECT.tab`` (``data/reference``; the variables' categories are codes,
e.g. view 21 = left anterior suprapatellar longitudinal, side 2 = Left) and ``example.us.image.png``
(``data/image/example``), a copy not to be used for analysis. The guide does not show the archives' inner folders:
the fixture keeps the PNGs at an archive's root, and another test puts them in a folder.

cubs-tech (Mendeley m7ndn58sv6): ``DATASET_CUBS_tech.zip`` with top folder ``DATASET_CUBS_tech/`` holding
``images/tech_<n>.tiff``, ``CF/<stem>_CF.txt``, ``LIMA-Profiles/<method>/<stem>-{LI,MA}.txt`` (``Manual-A1`` also
``<stem>_rect.txt``), ``LIMA-Profiles-interpolated/`` and ``Folds/f0/{Train,Val,Test}List.txt`` (open-glaux's reader
and plan, caroSegDeep's parameters; pinned in the entry). The tracings are written one ``x y`` point per line, and one
as the two-line form (all x, then all y) that open-glaux reads.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest

from registry.errors import UsregError
from tests.fixtures.builders._common import save, us_image
from tests.loaders.conftest import (
    check_converted_layout,
    convert_layout,
    fetch_from_file_then_load,
    from_file_args,
    pack_download,
    real_catalog,
)

CATALOG = real_catalog()

# --- knee-us-cohort ----------------------------------------------------------------------------------------------
SUBJECTS = [
    "72bb0a51-f020-11ed-b527-0a580a5f736a",
    "72bb0a76-f020-11ed-b527-0a580a5f736a",
    "72bb0a8a-f020-11ed-b527-0a580a5f736a",
    "72bb0a99-f020-11ed-b527-0a580a5f736a",
]
VIEWS = {
    "11": "right anterior suprapatellar longitudinal",
    "12": "right anterior suprapatellar longitudinal with power Doppler",
    "21": "left anterior suprapatellar longitudinal",
}
# E03SUBJECTID, E03GENDER, E03PASKR, E03PASKL, E03RADRPAKKL, E03RADLPAKKL, E03AGE (codes, as the guide's variables)
SUBJECT_ROWS = [
    (SUBJECTS[0], 2, 2, 0, 3, 3, 4),
    (SUBJECTS[1], 2, 3, 0, 2, -99, 6),
    (SUBJECTS[2], 1, 0, 2, 0, 1, 3),
    (SUBJECTS[3], 1, 888, 1, 99, 4, 7),
]
IMAGE_REF_HEADER = ["E03SUBJECTID", "E03USIMGT", "E03USIMGF", "E03USIMGZ", "E03USIMGD"]


def _tab(rows: list[list[object]], header: list[str]) -> str:
    """A table as Dataverse's ingested .tab serves it: tab-separated, strings quoted."""
    cell = lambda v: f'"{v}"' if isinstance(v, str) else str(v)  # noqa: E731
    return "\n".join(["\t".join(header)] + ["\t".join(cell(v) for v in row) for row in rows]) + "\n"


def _knee(stage: Path, inner: str = "", drop: tuple[str, ...] = (), stray: bool = False) -> dict:
    """The per-file downloads: imageArchive.<view>.zip for views 11, 12 and 21 (four participants each), the two
    tables and the example image. ``drop`` names images left out of their archive; ``stray`` adds a PNG no row names.
    IMAGE_REF also lists view 27 for two participants, whose archive was not downloaded."""
    rows: list[list[object]] = []
    n = 0
    for code in VIEWS:
        for subject in SUBJECTS:
            name = f"{subject}_{code}.png"
            path = stage / f"imageArchive.{code}.zip" / inner / name
            if name not in drop:
                save(path, us_image(24, 32, 6100 + n))
            size = path.stat().st_size if path.is_file() else 123456
            rows.append([subject, int(code), name, size, 1 if code.startswith("1") else 2])
            n += 1
    for subject in SUBJECTS[:2]:
        rows.append([subject, 27, f"{subject}_27.png", 100000, 2])
    if stray:
        save(stage / "imageArchive.11.zip" / inner / "Thumbs_11.png", us_image(24, 32, 6199))
    (stage / "dataTable.IMAGE_REF.tab").write_text(_tab(rows, IMAGE_REF_HEADER))
    header = ["E03SUBJECTID", "E03GENDER", "E03PASKR", "E03PASKL", "E03RADRPAKKL", "E03RADLPAKKL", "E03AGE"]
    (stage / "dataTable.SUBJECT.tab").write_text(_tab([list(r) for r in SUBJECT_ROWS], header))
    save(stage / "example.us.image.png", us_image(24, 32, 6198))
    kept = len(VIEWS) * len(SUBJECTS) - len(drop)
    return {
        "samples": kept,
        "split_kind": "seeded-subject",
        "targets": {},
        "subjects": len(SUBJECTS),
        "ignored": 1,  # example.us.image.png, left out on purpose
        "label_classes": [
            "right anterior suprapatellar longitudinal",
            "right anterior suprapatellar longitudinal with power Doppler",
            "right anterior suprapatellar transverse in 30 degrees flexion",
            "right medial longitudinal",
            "right lateral longitudinal",
            "right anterior suprapatellar transverse in maximal flexion",
            "right posterior medial transverse",
            "left anterior suprapatellar longitudinal",
            "left anterior suprapatellar longitudinal with power Doppler",
            "left anterior suprapatellar transverse in 30 degrees flexion",
            "left medial longitudinal",
            "left lateral longitudinal",
            "left anterior suprapatellar transverse in maximal flexion",
            "left posterior medial transverse",
        ],
        "subjects_of": {f"{SUBJECTS[1]}_12": SUBJECTS[1]},
        "extra_exact": {
            f"{SUBJECTS[0]}_21": {
                "view_code": 21,
                "side": "Left",
                "sex": "Female",
                "age_band": "50-54",
                "kl_grade": "Moderate OA",
                "knee_pain": "None",
            },
            f"{SUBJECTS[1]}_11": {
                "view_code": 11,
                "side": "Right",
                "sex": "Female",
                "age_band": "60-64",
                "kl_grade": "Mild OA",
                "knee_pain": "Severe",
            },
            f"{SUBJECTS[3]}_12": {
                "view_code": 12,
                "side": "Right",
                "sex": "Male",
                "age_band": "65-70",
                "kl_grade": "Total joint replacement",
                "knee_pain": "No response",
            },
        },
    }


def _labels(out) -> dict[str, int]:
    got: dict[str, int] = {}
    for row in out.rows:
        got[row["label"]] = got.get(row["label"], 0) + 1
    return got


def test_knee_us_cohort_converts_the_user_guide_layout(tmp_path, convert):
    out, expected = convert_layout(convert, CATALOG.datasets["knee-us-cohort"], _knee, tmp_path)
    check_converted_layout(out, expected)
    assert _labels(out) == {name: 4 for name in VIEWS.values()}
    assert out.metadata["labels"] == expected["label_classes"]
    # view 27 was listed but its archive not passed: one warning for the view, no per-image error
    warnings = [p for p in out.problems("missing_image") if p["severity"] == "warning"]
    assert len(warnings) == 1 and "imageArchive.27.zip" in warnings[0]["message"]
    assert "2 images" in warnings[0]["message"]


def test_knee_us_cohort_finds_images_in_an_archive_folder_and_reports_missing_and_stray(tmp_path, convert):
    """PNGs inside a folder of their archive are found by name; an image missing from a downloaded view and a PNG no
    row names are reported as errors, not dropped silently."""
    missing = f"{SUBJECTS[2]}_12.png"
    out, expected = convert_layout(
        convert,
        CATALOG.datasets["knee-us-cohort"],
        lambda s: _knee(s, inner="images", drop=(missing,), stray=True),
        tmp_path,
    )
    errors = [(p["kind"], p["file"]) for p in out.problems() if p["severity"] == "error"]
    assert errors == [
        ("missing_image", "dataTable.IMAGE_REF.tab"),
        ("missing_annotation", "images/Thumbs_11.png"),
    ]
    assert len(out.rows) == expected["samples"] == 11
    assert f"{SUBJECTS[2]}_12" not in out.by_id
    usage = out.metadata["source_files"]
    assert usage["dropped_by_reason"] == {"missing_annotation": 1}


def test_knee_us_cohort_reads_the_original_csv_with_category_names(tmp_path, convert):
    """Dataverse's 'original format' download: dataTable.IMAGE_REF.csv, comma-separated; names instead of codes are
    read as they are, and a file whose size differs from E03USIMGZ is a warning."""
    stage = tmp_path / "stage"
    _knee(stage)
    tab = (stage / "dataTable.IMAGE_REF.tab").read_text().splitlines()
    (stage / "dataTable.IMAGE_REF.tab").unlink()
    lines = [tab[0].replace("\t", ",")]
    for n, line in enumerate(tab[1:]):
        subject, code, name, size, side = (c.strip('"') for c in line.split("\t"))
        view = VIEWS.get(code, "left posterior medial transverse")
        lines.append(",".join([subject, f'"{view}"', name, "1" if n == 0 else size, {"1": "Right", "2": "Left"}[side]]))
    (stage / "dataTable.IMAGE_REF.csv").write_text("\n".join(lines) + "\n")
    pack_download(stage, tmp_path / "downloads", tmp_path / "src")
    out = convert(CATALOG.datasets["knee-us-cohort"], tmp_path / "src")
    assert len(out.rows) == 12
    assert _labels(out) == {name: 4 for name in VIEWS.values()}
    assert out.extra(f"{SUBJECTS[0]}_11")["side"] == "Right"
    sizes = out.problems("size_mismatch")
    assert [(p["file"], p["severity"]) for p in sizes] == [(f"{SUBJECTS[0]}_11.png", "warning")]


def test_usreg_fetch_knee_us_cohort_from_the_dataverse_files(tmp_path, run_cli, usreg_home):
    """`usreg fetch knee-us-cohort --from-file ...` with the archives, the tables and the example image; the tiny
    download cannot hold the declared 12,063 images, so the partial conversion is accepted with --keep-going."""
    stage = tmp_path / "stage"
    expected = _knee(stage)
    output, ds = fetch_from_file_then_load(run_cli, "knee-us-cohort", "--keep-going", *from_file_args(stage, tmp_path))
    assert "counts_match" in output
    assert len(ds) == expected["samples"]


def test_usreg_fetch_knee_us_cohort_from_one_bundle_with_directory_labels(tmp_path, run_cli, usreg_home):
    """One zip holding every file under its directory label (data/image/ultrasound/imageArchive.<view>.zip,
    data/reference/dataTable.*.tab, data/image/example/...), as a bulk download of the record keeps them: the inner
    archives are unpacked too and the images found by name."""
    stage = tmp_path / "stage"
    expected = _knee(stage)
    folders = {".zip": "data/image/ultrasound", ".tab": "data/reference", ".png": "data/image/example"}
    bundle = tmp_path / "dataverse_files.zip"
    with zipfile.ZipFile(bundle, "w", zipfile.ZIP_DEFLATED) as zf:
        for top in sorted(stage.iterdir()):
            name = f"{folders[top.suffix]}/{top.name}"
            if top.is_dir():
                inner = tmp_path / top.name
                with zipfile.ZipFile(inner, "w") as iz:
                    for p in sorted(top.rglob("*")):
                        iz.write(p, p.relative_to(top).as_posix())
                zf.write(inner, name)
            else:
                zf.write(top, name)
    output, ds = fetch_from_file_then_load(run_cli, "knee-us-cohort", "--from-file", bundle, "--keep-going")
    assert "counts_match" in output
    assert len(ds) == expected["samples"]


def test_knee_us_cohort_without_the_image_table_says_what_to_download(tmp_path, convert):
    stage = tmp_path / "stage"
    _knee(stage)
    (stage / "dataTable.IMAGE_REF.tab").unlink()
    pack_download(stage, tmp_path / "downloads", tmp_path / "src")
    with pytest.raises(UsregError, match=r"dataTable\.IMAGE_REF"):
        convert(CATALOG.datasets["knee-us-cohort"], tmp_path / "src")


# --- cubs-tech ---------------------------------------------------------------------------------------------------
TECH = Path("DATASET_CUBS_tech")
INTIMA = {"intima_media": {0: "background", 1: "intima-media complex"}}


def _tracing(y: float, x0: int = 4, x1: int = 36, step: int = 8) -> list[tuple[float, float]]:
    return [(float(x), y + (x % 3) * 0.5) for x in range(x0, x1 + 1, step)]


def _write(path: Path, points: list[tuple[float, float]], two_lines: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if two_lines:
        text = " ".join(f"{x:.6f}" for x, _ in points) + "\n" + " ".join(f"{y:.6f}" for _, y in points) + "\n"
    else:
        text = "".join(f"{x:.6f} {y:.6f}\n" for x, y in points)
    path.write_text(text)


def _cubs_tech(stage: Path, count: int = 5, size: tuple[int, int] = (32, 40), problems: bool = False) -> dict:
    """DATASET_CUBS_tech.zip: tech_<n>.tiff with CF, Manual-A1 and Manual-A2 tracings, a computerised method's,
    Manual-A1's rect files, the interpolated profiles and fold lists. ``tech_2`` is traced in the two-line form.
    With ``problems``: tech_4 has no Manual-A1 tracing and a tracing names a missing tech_9."""
    root = stage / "DATASET_CUBS_tech.zip" / TECH
    h, w = size
    stems = [f"tech_{n}" for n in range(1, count + 1)]
    for n, stem in enumerate(stems):
        save(root / "images" / f"{stem}.tiff", us_image(h, w, 6300 + n))
        (root / "CF").mkdir(parents=True, exist_ok=True)
        (root / "CF" / f"{stem}_CF.txt").write_text(f"{0.06 + n / 1000:.6f}\n")
        for method, dy in (("Manual-A1", 0.0), ("Manual-A2", 0.5), ("Computerized-CREATIS", 1.0)):
            if problems and stem == "tech_4" and method == "Manual-A1":
                continue
            two = stem == "tech_2"
            _write(root / "LIMA-Profiles" / method / f"{stem}-LI.txt", _tracing(12 + dy), two)
            _write(root / "LIMA-Profiles" / method / f"{stem}-MA.txt", _tracing(20 + dy), two)
            _write(root / "LIMA-Profiles-interpolated" / method / f"{stem}-LI.txt", _tracing(12 + dy, step=1))
            _write(root / "LIMA-Profiles-interpolated" / method / f"{stem}-MA.txt", _tracing(20 + dy, step=1))
        (root / "LIMA-Profiles" / "Manual-A1" / f"{stem}_rect.txt").write_text("4 10 32 14\n")
    if problems:
        _write(root / "LIMA-Profiles" / "Manual-A1" / "tech_9-LI.txt", _tracing(12))
        _write(root / "LIMA-Profiles" / "Manual-A1" / "tech_9-MA.txt", _tracing(20))
    (root / "Folds" / "f0").mkdir(parents=True, exist_ok=True)
    for split in ("Train", "Val", "Test"):
        (root / "Folds" / "f0" / f"{split}List.txt").write_text("")
    (root / "readme-tech.txt").write_text("CUBS technical database\n")
    kept = [s for s in stems if not (problems and s == "tech_4")]
    expected: dict = {
        "samples": len(kept),
        "split_kind": "seeded-random",
        "targets": INTIMA,
        "masked": len(kept),
        "inside": {"tech_1": (16, 20), "tech_2": (16, 20)},
        "outside": {"tech_1": (5, 20), "tech_2": (28, 20)},
        "extra_exact": {
            "tech_3": {"cf_mm_per_px": 0.062, "rect_xywh": [4.0, 10.0, 32.0, 14.0], "annotator": "Manual-A1"}
        },
    }
    if problems:
        expected["errors"] = [
            {
                "kind": "missing_mask",
                "file": f"{TECH.as_posix()}/images/tech_4.tiff",
                "message": "no LI and MA tracing in LIMA-Profiles/Manual-A1/; skipped",
                "severity": "error",
                "sample_id": "tech_4",
            },
            {
                "kind": "missing_image",
                "file": f"{TECH.as_posix()}/LIMA-Profiles/Manual-A1/tech_9-LI.txt",
                "message": "a tracing without its image images/tech_9.tiff; ignored",
                "severity": "error",
            },
        ]
        expected["dropped"] = {"missing_mask": 1}
    return expected


def test_cubs_tech_converts_the_release_layout(tmp_path, convert):
    out, expected = convert_layout(convert, CATALOG.datasets["cubs-tech"], _cubs_tech, tmp_path)
    check_converted_layout(out, expected)
    assert sorted(out.by_id) == ["tech_1", "tech_2", "tech_3", "tech_4", "tech_5"]
    # the two-line tracing (tech_2) gives the same region as the point-per-line one (tech_1)
    assert np.array_equal(out.mask("tech_1", "intima_media"), out.mask("tech_2", "intima_media"))


def test_cubs_tech_reports_an_untraced_image_and_a_tracing_without_image(tmp_path, convert):
    out, expected = convert_layout(
        convert, CATALOG.datasets["cubs-tech"], lambda s: _cubs_tech(s, problems=True), tmp_path
    )
    check_converted_layout(out, expected)
    assert "tech_4" not in out.by_id


def test_usreg_fetch_cubs_tech_from_the_release_zip(tmp_path, run_cli, usreg_home):
    """`usreg fetch cubs-tech --from-file DATASET_CUBS_tech.zip`: the tiny zip cannot hold the declared 500 images, so
    the partial conversion is accepted with --keep-going."""
    stage = tmp_path / "stage"
    expected = _cubs_tech(stage, count=4, size=(16, 40))
    archive = tmp_path / "DATASET_CUBS_tech.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted((stage / "DATASET_CUBS_tech.zip").rglob("*")):
            if p.is_file():
                zf.write(p, p.relative_to(stage / "DATASET_CUBS_tech.zip").as_posix())
    output, ds = fetch_from_file_then_load(run_cli, "cubs-tech", "--from-file", archive, "--keep-going")
    assert "counts_match" in output
    assert len(ds) == expected["samples"]
    assert {t: dict(c) for t, c in ds.classes.items()} == INTIMA
