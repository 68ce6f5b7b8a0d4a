"""Round 5 of catalog loaders (part a): datasets whose real layout code that opened the download shows.

Each builder writes a tiny download exactly as the cited evidence shows it (the file name, the MATLAB variable and its
record layout), converts it with the real catalog entry and checks the sample count, the seeded split's kind, the
subjects and the class map of the mask targets.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.fixtures.builders._common import save, us_image, write_xlsx
from tests.loaders.conftest import (
    check_converted_layout,
    check_layout_details,
    convert_layout,
    fetch_from_file_then_load,
    from_file_args,
    real_catalog,
)

CATALOG = real_catalog()


# --- OASBUD: one OASBUD.mat (Zenodo 545928), read as the TensorFlow Datasets builder reads it ---------------------

OASBUD_FIELDS = ("id", "rf1", "rf2", "roi1", "roi2", "birads", "class")


def _rf(rng: np.random.Generator, depth: int, lines: int = 16) -> np.ndarray:
    """An int16 RF scan, samples x lines: a modulated echo train with a brighter band in the middle."""
    t = np.arange(depth)[:, None]
    carrier = np.sin(2 * np.pi * 0.2 * t)
    amplitude = 200 + 2000 * np.exp(-(((t - depth / 2) / (depth / 8)) ** 2))
    noise = rng.normal(0, 50, (depth, lines))
    return (carrier * amplitude + noise).astype(np.int16)


def _roi(depth: int, lines: int = 16, top: int = 10, left: int = 4) -> np.ndarray:
    roi = np.zeros((depth, lines), dtype=np.uint8)
    roi[top : top + 12, left : left + 6] = 1
    return roi


def _oasbud_mat(path: Path, bad_record: bool = False) -> dict:
    """OASBUD.mat: variable ``data``, a 1 x N struct array whose records hold, in this order, ID, scan1, scan2, roi1,
    roi2, bi-rads and label (TFDS: "data has 7 columns"); patient P02 has two tumours, so its ID repeats."""
    import scipy.io

    rng = np.random.default_rng(5500)
    rows = [("P01", 48, "4c", 1), ("P02", 40, "3", 0), ("P02", 56, "4a", 0)]
    data = np.zeros((1, len(rows) + int(bad_record)), dtype=[(f, object) for f in OASBUD_FIELDS])
    for n, (pid, depth, birads, cls) in enumerate(rows):
        data[0, n] = (pid, _rf(rng, depth), _rf(rng, depth), _roi(depth), _roi(depth, top=14), birads, cls)
    if bad_record:  # roi2 of another size than rf2
        data[0, len(rows)] = ("P03", _rf(rng, 32), _rf(rng, 32), _roi(32), _roi(30), "5", 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    scipy.io.savemat(str(path), {"data": data})
    return {
        "samples": 6,
        "split_kind": "seeded-subject",
        "subjects": 2,
        "subjects_of": {"P01_row001_scan1": "P01", "P02_row002_scan2": "P02", "P02_row003_scan1": "P02"},
        "targets": {"lesion": {0: "background", 1: "lesion"}},
        "masked": 6,
        "mask_values": {"P01_row001_scan1": {0, 1}, "P02_row003_scan2": {0, 1}},
        "mask_pixels": {"P01_row001_scan1": (12, 5, 1), "P02_row002_scan2": (12, 5, 0)},
        "extra": {
            "P01_row001_scan2": {"row": 1, "scan": 2, "birads": "4c", "class_code": 1},
            "P02_row003_scan1": {"row": 3, "scan": 1, "birads": "4a", "class_code": 0},
        },
    }


def test_oasbud_converts_the_mat_file_as_tfds_reads_it(tmp_path, convert):
    expected = _oasbud_mat(tmp_path / "src" / "OASBUD.mat")
    out = convert(CATALOG.datasets["oasbud"], tmp_path / "src")
    assert len(out.rows) == expected["samples"], out.problems()
    assert out.metadata["splits"]["kind"] == expected["split_kind"], out.metadata["splits"]
    assert sum(out.splits().values()) == expected["samples"]
    assert out.targets() == expected["targets"]
    assert out.metadata["labels"] in (None, [])  # the class coding is not assigned a name
    check_layout_details(out, expected)
    image = out.image("P01_row001_scan1")
    assert image.shape == (48, 16) and image.dtype == np.uint8
    assert image[24].mean() > image[2].mean() + 40  # the bright band of the echo train, log-compressed


def test_oasbud_reports_a_record_whose_roi_does_not_match_its_scan(tmp_path, convert):
    _oasbud_mat(tmp_path / "src" / "OASBUD.mat", bad_record=True)
    out = convert(CATALOG.datasets["oasbud"], tmp_path / "src")
    assert len(out.rows) == 6
    unreadable = [p for p in out.problems("annotation_unreadable") if p["file"].endswith("OASBUD.mat")]
    assert len(unreadable) == 1 and "record 4" in unreadable[0]["message"] and "roi2" in unreadable[0]["message"]


def test_oasbud_bmode_is_the_log_compressed_envelope_along_the_scan_lines():
    from registry.loaders.datasets.oasbud import bmode_from_rf

    rf = np.zeros((64, 4))
    rf[:, 1] = np.sin(np.arange(64) * 0.8) * 1000  # one bright line, the others silent
    image = bmode_from_rf(rf, 40.0)
    assert image.dtype == np.uint8 and image.shape == (64, 4)
    assert image[:, 1].min() > 200 and image[:, 0].max() == 0  # envelope along axis 0: the line stays one line
    assert bmode_from_rf(np.zeros((8, 3))).max() == 0


def test_usreg_fetch_oasbud_from_file_then_load(tmp_path, run_cli, usreg_home):
    """The user's path: `usreg fetch oasbud --from-file OASBUD.mat` with the real catalog, then load."""
    expected = _oasbud_mat(tmp_path / "download" / "OASBUD.mat")
    output, ds = fetch_from_file_then_load(
        run_cli, "oasbud", "--keep-going", "--from-file", tmp_path / "download" / "OASBUD.mat"
    )
    assert "counts_match" in output  # 6 of the declared 200 scans: named, accepted with --keep-going
    assert len(ds) == expected["samples"]


# --- PCOSGen: PCOSGen-train.zip (Zenodo 10430727) and PCOSGen-test.zip (10960327) ---------------------------------


def _pcosgen(stage: Path, extra_train_image: bool = False) -> dict:
    """The two Zenodo zips as ultatron's adapter and the authors' code read them: PCOSGen-train/class_label.xlsx
    (imagePath, Healthy; an empty row as the authors' dropna suggests) with PCOSGen-train/images/, and
    'updated test dataset/images/image#####.jpg' with 'updated test dataset/class label.csv' (imagePath first; the two
    other columns, read by position in ultatron, get neutral names here)."""
    train = stage / "PCOSGen-train.zip" / "PCOSGen-train"
    rows = [("image1.jpg", 1), ("image2.jpg", 0), ("image10.jpg", 0)]
    write_xlsx(train / "class_label.xlsx", [("imagePath", "Healthy"), *rows[:2], (None, None), rows[2]])
    for n, (name, _) in enumerate(rows):
        save(train / "images" / name, us_image(24, 32, 5600 + n), fmt="JPEG", quality=90)
    if extra_train_image:
        save(train / "images" / "image99.jpg", us_image(24, 32, 5699), fmt="JPEG", quality=90)
    test = stage / "PCOSGen-test.zip" / "updated test dataset"
    for n in (1, 2):
        save(test / "images" / f"image{n:05d}.jpg", us_image(24, 32, 5610 + n), fmt="JPEG", quality=90)
    (test / "class label.csv").write_text(
        "imagePath,column 2,column 3\nimage00001.jpg,abnormal,visible\nimage00002.jpg,normal,not visible\n"
    )
    return {
        "samples": 5,
        "splits": {"train": 3, "test": 2},
        "labels": {"healthy": 1, "unhealthy (PCOS)": 2, None: 2},
        "label_classes": ["unhealthy (PCOS)", "healthy"],
        "extra": {"test_image00001": {"test_columns": {"column 2": "abnormal", "column 3": "visible"}}},
        "extra_exact": {"image2": {}},
    }


def test_pcosgen_converts_the_two_zenodo_zips(tmp_path, convert):
    out, expected = convert_layout(convert, CATALOG.datasets["pcosgen"], _pcosgen, tmp_path)
    check_converted_layout(out, expected)
    assert out.by_id["image1"]["label"] == "healthy" and out.by_id["image10"]["label"] == "unhealthy (PCOS)"


def test_pcosgen_reports_unlisted_training_images_and_listed_missing_ones(tmp_path, convert):
    _pcosgen(tmp_path / "stage", extra_train_image=True)
    src = tmp_path / "src"
    from tests.loaders.conftest import pack_download

    pack_download(tmp_path / "stage", tmp_path / "downloads", src)
    (src / "PCOSGen-train" / "images" / "image2.jpg").unlink()
    with open(src / "updated test dataset" / "class label.csv", "a") as fh:
        fh.write("image00009.jpg,normal,not visible\n")
    out = convert(CATALOG.datasets["pcosgen"], src)
    assert sorted(out.by_id) == ["image1", "image10", "test_image00001", "test_image00002"]
    kinds = {(p["kind"], p["file"].rsplit("/", 1)[-1]) for p in out.problems()}
    assert {
        ("missing_image", "class_label.xlsx"),
        ("not_converted", "image99.jpg"),
        ("missing_image", "class label.csv"),
    } <= kinds


def test_usreg_fetch_pcosgen_from_file_then_load(tmp_path, run_cli, usreg_home):
    """`usreg fetch pcosgen --from-file PCOSGen-train.zip --from-file PCOSGen-test.zip` with the real catalog."""
    expected = _pcosgen(tmp_path / "stage")
    args = from_file_args(tmp_path / "stage", tmp_path)
    assert [Path(a).name for a in args[1::2]] == ["PCOSGen-test.zip", "PCOSGen-train.zip"]
    output, ds = fetch_from_file_then_load(run_cli, "pcosgen", *args)
    assert "ready" in output.lower()
    assert len(ds) == expected["samples"]


@pytest.mark.parametrize("entry_id", ["oasbud", "pcosgen"])
def test_round5_a_entries_cite_their_loader_evidence(entry_id):
    entry = CATALOG.datasets[entry_id]
    assert entry.loader is not None and entry.loader.name == entry_id
    cited = [e for e in entry.evidence if "loader" in e.fields]
    assert cited and all(e.quote for e in cited), json.dumps([e.url for e in entry.evidence])
