"""Round 6 (e): catalog datasets converted in the layout that code which opened their real download shows.

tmed-2: the authors' tufts-ml/tmed2-echocardiogram-classifiers (commit 1af6ccd) reads the release folder
``approved_users_only/`` with ``labels_per_image.csv`` (query_key, view_label, diagnosis_label),
``view_and_diagnosis_labeled_set/labeled/*.png``, ``view_labeled_set/labeled/*.png`` and
``DEV479/TMED2_fold<k>_labeledpart.csv`` (query_key, view_label, diagnosis_label, SourceFolder,
view_classifier_split, diagnosis_classifier_split). A third-party notebook names the inner ``labeled.zip`` and
``unlabeled.zip`` of ``view_and_diagnosis_labeled_set``; the CLI test ships them so, nested in one zip.
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

from tests.conftest import REPO_ROOT
from tests.fixtures.builders._common import rgb, save, us_image, zip_tree
from tests.loaders.conftest import (
    check_converted_layout,
    convert_layout,
    fetch_from_file_then_load,
    real_catalog,
)

CATALOG = real_catalog()

# ---------------------------------------------------------------------------------------------------------- TMED-2
TMED = Path("approved_users_only")
BOTH = "view_and_diagnosis_labeled_set/labeled"
VIEW_ONLY = "view_labeled_set/labeled"
# query_key -> (view, diagnosis, folder, view split, diagnosis split); None split = not in the fold CSV
TMED_ROWS: dict[str, tuple[str, str, str, str | None, str | None]] = {
    "101s1_0.png": ("PLAX", "no_AS", BOTH, "train", "train"),
    "101s1_1.png": ("A4C", "no_AS", BOTH, "train", "train"),
    "101s2_0.png": ("PSAX", "no_AS", BOTH, "train", "train"),
    "202s1_0.png": ("PLAX", "severe_AS", BOTH, "val", "val"),
    "202s1_10.png": ("A2C", "severe_AS", BOTH, "val", "val"),
    "303s1_0.png": ("A4CorA2CorOther", "mild_AS", BOTH, "test", "test"),
    "404s1_0.png": ("PSAX", "mildtomod_AS", BOTH, "train", "test"),
    "505s1_0.png": ("PLAX", "moderate_AS", BOTH, "test", "train"),
    "606s1_0.png": ("PLAX", "Not_Provided", VIEW_ONLY, "train", ""),
    "606s1_1.png": ("A4C", "Not_Provided", VIEW_ONLY, "train", ""),
    "707s1_0.png": ("PSAX", "Not_Provided", VIEW_ONLY, None, None),
}
TMED_UNLABELED = ["101s1_2.png", "202s1_3.png"]
FOLD_COLUMNS = ["query_key", "view_label", "diagnosis_label", "SourceFolder", "view_classifier_split"]


def _csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


def _tmed(stage: Path, inner_zips: bool = False, extra_labels: list[list[str]] | None = None) -> dict:
    """The release folder approved_users_only/ staged as a folder (the Box download's packaging was not seen).

    With ``inner_zips`` view_and_diagnosis_labeled_set holds labeled.zip (top folder labeled/) and unlabeled.zip
    (top folder unlabeled/) instead of the folders.
    """
    root = stage / TMED
    for n, (key, (_, _, folder, _, _)) in enumerate(TMED_ROWS.items()):
        save(root / folder / key, us_image(16, 16, 6100 + n))
    for n, key in enumerate(TMED_UNLABELED):
        save(root / "view_and_diagnosis_labeled_set" / "unlabeled" / key, us_image(16, 16, 6200 + n))
    labels = [[k, v[0], v[1]] for k, v in TMED_ROWS.items()] + (extra_labels or [])
    _csv(root / "labels_per_image.csv", ["query_key", "view_label", "diagnosis_label"], labels)
    fold = [[k, v, d, f, vs, ds] for k, (v, d, f, vs, ds) in TMED_ROWS.items() if vs is not None]
    _csv(root / "DEV479" / "TMED2_fold0_labeledpart.csv", [*FOLD_COLUMNS, "diagnosis_classifier_split"], fold)
    if inner_zips:
        sets = root / "view_and_diagnosis_labeled_set"
        for part in ("labeled", "unlabeled"):
            data = zip_tree(sets / part, prefix=part)
            for p in sorted((sets / part).iterdir()):
                p.unlink()
            (sets / part).rmdir()
            (sets / f"{part}.zip").write_bytes(data)
    return {
        "samples": len(TMED_ROWS),
        "split_kind": "official-partial",
        "targets": {},
        "ignored": len(TMED_UNLABELED),
        "subjects": 7,
        "label_classes": ["PLAX", "PSAX", "A4C", "A2C", "A4CorA2CorOther"],
        "labels": {"PLAX": 4, "PSAX": 3, "A4C": 2, "A2C": 1, "A4CorA2CorOther": 1},
        "subjects_of": {"101s2_0": "101", "202s1_10": "202"},
        "extra": {
            "404s1_0": {
                "view": "PSAX",
                "diagnosis": "mildtomod_AS",
                "study": "404s1",
                "diagnosis_classifier_split": "test",
            },
            "606s1_1": {"view": "A4C", "diagnosis": "Not_Provided", "view_classifier_split": "train"},
        },
    }


def _official(column: int) -> dict[str, str]:
    """The split of every sample the fold CSV places (column 3: view, 4: diagnosis)."""
    return {Path(k).stem: v[column] for k, v in TMED_ROWS.items() if v[column] in ("train", "val", "test")}


def test_tmed2_converts_the_release_layout_with_the_view_split(tmp_path, convert):
    out, expected = convert_layout(convert, CATALOG.datasets["tmed-2"], _tmed, tmp_path)
    check_converted_layout(out, expected)
    got = {r["sample_id"]: r["split"] for r in out.rows}
    assert {k: got[k] for k in _official(3)} == _official(3)
    assert got["707s1_0"] in {"train", "val", "test"}  # not in the fold CSV: seeded, grouped by patient
    assert sum(out.splits().values()) == len(TMED_ROWS)
    assert out.splits()["val"] >= 2 and out.splits()["test"] >= 2


def test_tmed2_diagnosis_label_uses_the_diagnosis_split(tmp_path, convert):
    entry = CATALOG.datasets["tmed-2"]
    entry = entry.model_copy(update={"loader": entry.loader.model_copy(update={"options": {"label": "diagnosis"}})})
    _tmed(tmp_path / "src")
    out = convert(entry, tmp_path / "src")
    assert out.metadata["labels"] == ["no_AS", "mild_AS", "mildtomod_AS", "moderate_AS", "severe_AS"]
    labels = {r["sample_id"]: r["label"] for r in out.rows}
    assert labels["404s1_0"] == "mildtomod_AS" and labels["202s1_10"] == "severe_AS"
    assert labels["606s1_0"] is None and labels["707s1_0"] is None  # Not_Provided: no label
    got = {r["sample_id"]: r["split"] for r in out.rows}
    assert {k: got[k] for k in _official(4)} == _official(4)
    assert got["404s1_0"] == "test" and got["505s1_0"] == "train"  # the diagnosis column, not the view one
    assert out.metadata["splits"]["kind"] == "official-partial"


def test_tmed2_reports_a_missing_image_and_an_unlisted_labelled_image(tmp_path, convert):
    _tmed(tmp_path / "src", extra_labels=[["808s1_0.png", "PLAX", "no_AS"]])
    stray = save(tmp_path / "src" / TMED / BOTH / "909s1_0.png", us_image(16, 16, 6300))
    out = convert(CATALOG.datasets["tmed-2"], tmp_path / "src")
    assert len(out.rows) == len(TMED_ROWS)
    kinds = {(p["kind"], p["file"]) for p in out.problems()}
    assert ("missing_image", "approved_users_only/labels_per_image.csv") in kinds
    assert ("missing_annotation", stray.relative_to(tmp_path / "src").as_posix()) in kinds
    usage = out.metadata["source_files"]
    assert usage["dropped_by_reason"] == {"missing_annotation": 1}
    assert usage["ignored"] == len(TMED_UNLABELED)


def test_usreg_fetch_tmed2_from_the_release_zip_with_inner_zips_then_load(tmp_path, run_cli, usreg_home):
    """`usreg fetch tmed-2 --from-file approved_users_only.zip`: the inner labeled.zip / unlabeled.zip are unpacked
    where they lie and the images are found by name."""
    expected = _tmed(tmp_path / "stage", inner_zips=True)
    assert (tmp_path / "stage" / TMED / "view_and_diagnosis_labeled_set" / "labeled.zip").is_file()
    archive = tmp_path / "approved_users_only.zip"
    archive.write_bytes(zip_tree(tmp_path / "stage" / TMED, prefix=TMED.name))
    with zipfile.ZipFile(archive) as zf:
        assert "approved_users_only/view_and_diagnosis_labeled_set/labeled.zip" in zf.namelist()
    output, ds = fetch_from_file_then_load(run_cli, "tmed-2", "--from-file", archive, "--keep-going")
    assert (
        "counts_match" in output
    )  # a handful of the entry's 24,964 labelled images: named, accepted with --keep-going
    assert len(ds) == expected["samples"]


# --------------------------------------------------------------------------------------------- EchoNet-Synthetic
SYN = Path("EchoNet-Synthetic")
FILE_LIST_COLUMNS = ["FileName", "EF", "ESV", "EDV", "FrameHeight", "FrameWidth", "FPS", "NumberOfFrames", "Split"]


def _avi(path: Path, frames: int, seed: int, h: int = 16, w: int = 16) -> None:
    import av

    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w", format="avi") as container:
        stream = container.add_stream("mjpeg", rate=25)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuvj420p"
        for k in range(frames):
            frame = av.VideoFrame.from_ndarray(rgb(us_image(h, w, seed + k)), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def _synthetic_subset(root: Path, subset: str, splits: list[str], listed_only: int = 0, seed: int = 0) -> None:
    """<subset>/Videos/sample_NNNNNN.avi and <subset>/FileList.csv as lvdm/sample.py and update_split_filelist.py
    write them (FileName without .avi, ESV = EDV = 0); ``listed_only`` more rows have no video."""
    rows = []
    for n, split in enumerate(splits + ["TRAIN"] * listed_only):
        name = f"sample_{n:06d}"
        rows.append([name, str(20 + 7 * n), "0", "0", "16", "16", "25", "12", split])
        if n < len(splits):
            _avi(root / subset / "Videos" / f"{name}.avi", 12, seed + 10 * n)
    _csv(root / subset / "FileList.csv", FILE_LIST_COLUMNS, rows)


def _echonet_synthetic(stage: Path) -> dict:
    """The README's EchoNet-Synthetic/dynamic/ (Videos/ and FileList.csv), staged as a folder: 3 TRAIN, 1 VAL,
    1 TEST and 1 EXTRA video."""
    _synthetic_subset(stage / SYN, "dynamic", ["TRAIN", "TRAIN", "TRAIN", "VAL", "TEST", "EXTRA"], seed=7000)
    return {
        "samples": 5 * 3,
        "splits": {"train": 9, "val": 3, "test": 3},
        "targets": {},
        "subjects": 5,
        "frames_of": {"dynamic_sample_000000": [1, 6, 10]},
        "extra": {"dynamic_sample_000003_f0006": {"subset": "dynamic", "ef": 41.0, "frames_in_video": 12}},
    }


def test_echonet_synthetic_converts_the_readme_layout(tmp_path, convert):
    out, expected = convert_layout(convert, CATALOG.datasets["echonet-synthetic"], _echonet_synthetic, tmp_path)
    check_converted_layout(out, expected)
    assert all(r["label"] is None for r in out.rows)  # EF regression: no class label
    assert not any("sample_000005" in r["sample_id"] for r in out.rows)  # EXTRA left out
    assert out.checks["counts_match"]["status"] == "fail"  # a tiny copy of the 17,840 videos


def test_echonet_synthetic_reads_every_subset_and_reports_missing_pairs(tmp_path, convert):
    root = tmp_path / "src" / SYN
    _synthetic_subset(root, "dynamic", ["TRAIN", "VAL"], listed_only=1, seed=7100)
    _synthetic_subset(root, "second_subset", ["TRAIN", "TEST"], seed=7200)  # the paediatric folder names are not shown
    _avi(root / "dynamic" / "Videos" / "sample_000009.avi", 12, 7300)  # not in FileList.csv
    out = convert(CATALOG.datasets["echonet-synthetic"], tmp_path / "src")
    assert len(out.rows) == 4 * 3
    assert {out.extra(r["sample_id"])["subset"] for r in out.rows} == {"dynamic", "second_subset"}
    assert out.by_id["second_subset_sample_000001_f0006"]["split"] == "test"
    kinds = {(p["kind"], p["file"]) for p in out.problems()}
    assert ("missing_image", "EchoNet-Synthetic/dynamic/FileList.csv") in kinds
    assert ("missing_annotation", "EchoNet-Synthetic/dynamic/Videos/sample_000009.avi") in kinds


def test_usreg_fetch_echonet_synthetic_from_a_zip_then_load(tmp_path, run_cli, usreg_home):
    """`usreg fetch echonet-synthetic --from-file EchoNet-Synthetic.zip --keep-going`: converted; only counts_match
    fails against the entry's 17,840 videos."""
    expected = _echonet_synthetic(tmp_path / "stage")
    archive = tmp_path / "EchoNet-Synthetic.zip"
    archive.write_bytes(zip_tree(tmp_path / "stage" / SYN, prefix=SYN.name))
    result = run_cli("fetch", "echonet-synthetic", "--from-file", archive, "--keep-going", root=REPO_ROOT)
    assert result.exit_code == 0, result.output
    assert "partial" in result.output and "counts_match" in result.output, result.output
    import registry

    ds = registry.load("echonet-synthetic")
    assert len(ds) == expected["samples"]
