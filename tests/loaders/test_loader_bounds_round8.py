"""Round-8 review of the loaders added on 2026-12-06: hostile or damaged downloads give a reported problem or a clear
error, never a traceback or an unbounded read. Each test builds the bad input and fails without its fix."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from registry.errors import UsregError
from registry.loaders.base import CommonOptions, ConvertContext
from registry.loaders.decode import BadData
from tests.fixtures.builders._common import write_xlsx

from .conftest import make_entry


def _ctx(root: Path, dataset_id: str = "round8", options: CommonOptions | None = None) -> ConvertContext:
    return ConvertContext(root, make_entry(dataset_id, dataset_id), options or CommonOptions(), dataset_id)


def _messages(ctx: ConvertContext, kind: str | None = None) -> list[str]:
    return [p.message for p in ctx.problems if kind is None or p.kind == kind]


# --- xlsx: pcosgen, us3m, fetus-framework ---------------------------------------------------------------------------


def _workbook(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    return write_xlsx(path, [header, *rows])


def _truncate_sheet(path: Path) -> None:
    """Cut the first sheet's XML in half: the workbook opens, its rows fail while they are read."""
    parts = {}
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            parts[info.filename] = archive.read(info)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data[: len(data) // 2] if name == "xl/worksheets/sheet1.xml" else data)


def _pcosgen(ctx: ConvertContext, path: Path) -> list:
    from registry.loaders.datasets.pcosgen import read_train_table

    return read_train_table(ctx, path)


def _us3m(ctx: ConvertContext, path: Path) -> list:
    from registry.loaders.datasets.us3m import Us3mOptions, read_table

    return read_table(ctx, path, Us3mOptions())


def _fetus(ctx: ConvertContext, path: Path) -> list:
    from registry.loaders.datasets.fetus_framework import read_sheet

    return read_sheet(ctx, path)


def _hmc_qu(ctx: ConvertContext, path: Path) -> list:
    from registry.loaders.datasets.hmc_qu import read_cycles

    return read_cycles(ctx, path)


def _regensburg(ctx: ConvertContext, path: Path) -> list:
    from registry.loaders.datasets.regensburg_appendicitis import read_diagnoses

    return list(read_diagnoses(ctx, path).items())


XLSX_READERS = {
    "pcosgen": (_pcosgen, ["imagePath", "Healthy"], lambda i: [f"img{i}.jpg", 1]),
    "us3m": (_us3m, ["序号", "病理结果（0：良性，1：恶性）"], lambda i: [i + 1, 0]),
    "fetus": (
        _fetus,
        ["fname", "structure", "h_min", "w_min", "h_max", "w_max"],
        lambda i: [f"{i}.png", "thalami", 1, 2, 30, 40],
    ),
    "hmc-qu": (
        _hmc_qu,
        ["ECHO", "SEG1", "SEG2", "SEG3", "SEG4", "SEG5", "SEG6", "SEG7", "first", "last", "masks"],
        lambda i: [f"ES{i:04d}", 1, 1, 1, 1, 1, 1, 1, 1, 10, "ü"],
    ),
    "regensburg-appendicitis": (_regensburg, ["US_Number", "Diagnosis"], lambda i: [i + 1, "appendicitis"]),
}


@pytest.mark.parametrize("reader", sorted(XLSX_READERS))
def test_xlsx_whose_parts_unpack_past_the_limit_is_reported_not_opened(tmp_path, monkeypatch, reader):
    """openpyxl reads shared strings whole even in read-only mode: a zip bomb is refused from the zip's directory."""
    from registry.loaders.datasets import _xlsx

    read, header, row = XLSX_READERS[reader]
    path = _workbook(tmp_path / "table.xlsx", header, [row(i) for i in range(20)])
    monkeypatch.setattr(_xlsx, "MAX_UNPACKED_BYTES", 2_000)
    ctx = _ctx(tmp_path)
    assert read(ctx, path) == []
    assert any("unpack to" in m and "more than 2,000" in m for m in _messages(ctx, "annotation_unreadable"))


@pytest.mark.parametrize("reader", sorted(XLSX_READERS))
def test_xlsx_with_a_damaged_sheet_is_reported_not_a_traceback(tmp_path, reader):
    read, header, row = XLSX_READERS[reader]
    path = _workbook(tmp_path / "table.xlsx", header, [row(i) for i in range(60)])
    _truncate_sheet(path)
    ctx = _ctx(tmp_path)
    rows = read(ctx, path)
    assert len(rows) < 60
    assert any(m.startswith(f"unreadable after {len(rows)} rows") for m in _messages(ctx, "annotation_unreadable"))


def test_pcosgen_test_table_past_max_rows_is_reported(tmp_path, monkeypatch):
    from registry.loaders.datasets import pcosgen

    monkeypatch.setattr(pcosgen, "MAX_ROWS", 3)
    table = tmp_path / "class label.csv"
    table.write_text("imagePath,a\n" + "".join(f"image{i:05d}.jpg,1\n" for i in range(10)))
    ctx = _ctx(tmp_path)
    rows = pcosgen.read_test_table(ctx, table)
    assert len(rows) == 3
    assert any("more than 3 rows" in m for m in _messages(ctx, "annotation_unreadable"))


# --- dfhi: the pixel-size tables ------------------------------------------------------------------------------------


def test_dfhi_pixel_size_tables_report_bad_values_long_tables_and_unreadable_csv(tmp_path, monkeypatch):
    from registry.loaders.datasets import dfhi

    monkeypatch.setattr(dfhi, "MAX_ROWS", 4)
    folder = tmp_path / "Trans-cerebellum"
    folder.mkdir()
    (folder / "a-Pixel-Size.csv").write_text("Label,Pixel in mm\nx.png,0.1\ny.png,abc\n")
    (folder / "b-Pixel-Size.csv").write_text("Label,Pixel in mm\n" + "".join(f"{i}.png,0.2\n" for i in range(10)))
    (folder / "c-Pixel-Size.csv").write_text('Label,Pixel in mm\nz.png,"' + "9" * 200_000 + '"\n')
    ctx = _ctx(tmp_path)
    sizes = dfhi._pixel_sizes(ctx, folder)
    assert sizes["x.png"] == 0.1 and "y.png" not in sizes
    assert len([k for k in sizes if k[0].isdigit()]) == 4
    messages = _messages(ctx, "annotation_unreadable")
    assert any("'abc' is not a number" in m for m in messages)
    assert any("more than 4 rows" in m for m in messages)
    assert any("not a readable CSV file" in m for m in messages)


# --- cubs-tech: tracing and calibration files -----------------------------------------------------------------------


def _cubs_tech(root: Path) -> Path:
    from PIL import Image

    base = root / "DATASET_CUBS_tech"
    (base / "images").mkdir(parents=True)
    (base / "CF").mkdir()
    tracings = base / "LIMA-Profiles" / "Manual-A1"
    tracings.mkdir(parents=True)
    for stem in ("tech_001", "tech_002"):
        Image.fromarray(np.zeros((20, 30), np.uint8)).save(base / "images" / f"{stem}.tiff")
        (tracings / f"{stem}-LI.txt").write_text("1 5\n10 5\n20 5\n")
        (tracings / f"{stem}-MA.txt").write_text("1 9\n10 9\n20 9\n")
        (base / "CF" / f"{stem}_CF.txt").write_text("0.06\n")
    return base


def test_cubs_tech_refuses_an_oversized_tracing_and_reports_a_bad_calibration(tmp_path):
    from registry.loaders.datasets.cubs_tech import MAX_TRACING_BYTES, CubsTech, CubsTechOptions

    base = _cubs_tech(tmp_path)
    huge = base / "LIMA-Profiles" / "Manual-A1" / "tech_002-MA.txt"
    line = b"12.5 9.25\n"
    with huge.open("wb") as f:
        f.write(line * (MAX_TRACING_BYTES // len(line) + 1))
    (base / "CF" / "tech_001_CF.txt").write_text("not a number\n")
    ctx = _ctx(tmp_path, "cubs-tech", CubsTechOptions())
    items = list(CubsTech().items(ctx))
    assert [i.sample_id for i in items] == ["tech_001"]
    assert items[0].extra["cf_mm_per_px"] is None
    problems = {(p.file.rsplit("/", 1)[-1], p.severity): p.message for p in ctx.problems}
    assert "more than a tracing of 100,000 points holds" in problems[("tech_002-MA.txt", "error")]
    assert "not 1 number(s)" in problems[("tech_001_CF.txt", "warning")]


# --- MATLAB: oasbud, fatty-liver-bmode ------------------------------------------------------------------------------


def test_matlab_data_that_is_not_a_struct_array_or_a_truncated_file_is_a_clear_error(tmp_path, monkeypatch):
    import scipy.io

    from registry.loaders.datasets import _matlab

    scipy.io.savemat(tmp_path / "array.mat", {"data": np.zeros((3, 4))})
    with pytest.raises(UsregError, match="'data' is a double array of shape \\(3, 4\\), not a struct array"):
        _matlab.struct_records("oasbud", tmp_path / "array.mat", "OASBUD.mat")

    records = np.zeros((1, 5), dtype=[("id", "O"), ("x", "O")])
    scipy.io.savemat(tmp_path / "many.mat", {"data": records})
    monkeypatch.setattr(_matlab, "MAX_RECORDS", 4)
    with pytest.raises(UsregError, match="not a struct array of at most 4 records"):
        _matlab.struct_records("oasbud", tmp_path / "many.mat", "OASBUD.mat")

    (tmp_path / "empty.mat").write_bytes(b"")
    with pytest.raises(UsregError, match="not a readable MATLAB file"):
        _matlab.struct_records("fatty-liver-bmode", tmp_path / "empty.mat", "the .mat file")


# --- us-365k: JSON lines --------------------------------------------------------------------------------------------


def test_us_365k_reports_a_json_line_nested_too_deep(tmp_path):
    from PIL import Image

    from registry.loaders.datasets.us_365k import Us365k

    Image.fromarray(np.zeros((8, 8), np.uint8)).save(tmp_path / "a.png")
    (tmp_path / "train.jsonl").write_text("[" * 100_000 + "\n" + json.dumps({"image": "a.png", "caption": "x"}) + "\n")
    ctx = _ctx(tmp_path, "us-365k")
    items = list(Us365k().items(ctx))
    assert [i.sample_id for i in items] == ["a"]
    assert any("line 1 is not valid JSON" in m for m in _messages(ctx, "annotation_unreadable"))


# --- openpros: .npy files -------------------------------------------------------------------------------------------


def test_openpros_reports_an_empty_npy_file(tmp_path):
    from registry.loaders.datasets.openpros import Openpros, OpenprosOptions, openpros_sos

    folder = tmp_path / "speed_of_sound" / "3_01"
    folder.mkdir(parents=True)
    (folder / "3_01_P_20200101_sos.npy").write_bytes(b"")
    ctx = _ctx(tmp_path, "openpros", OpenprosOptions())
    assert list(Openpros().items(ctx)) == []
    assert any("not a readable .npy array" in m for m in _messages(ctx, "unreadable"))
    with pytest.raises(BadData):
        openpros_sos(str(folder / "3_01_P_20200101_sos.npy"), 0, 1400.0, 1700.0)


# --- ultrasuite: .param files ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["inf", "nan", "-inf"])
def test_ultrasuite_param_with_a_non_finite_frame_size_is_reported(tmp_path, value):
    from registry.loaders.datasets.ultrasuite_uxtd import read_utterance

    ult = tmp_path / "core" / "01M" / "001A.ult"
    ult.parent.mkdir(parents=True)
    ult.write_bytes(bytes(64))
    ult.with_suffix(".param").write_text(f"NumVectors={value}\nPixPerVector=8\n")
    ctx = _ctx(tmp_path, "ultrasuite-uxtd")
    assert read_utterance(ctx, ult) is None
    assert any("NumVectors is" in m for m in _messages(ctx, "annotation_unreadable"))


# --- openh-rf-siemens-invivo: zea HDF5 ------------------------------------------------------------------------------


def test_openh_checks_the_image_shape_before_reading_per_frame_metadata(tmp_path, monkeypatch):
    """A per-frame dataset may be as long as the frames declared: with a billion frames declared in a few kilobytes,
    no metadata is read before the shape is refused."""
    import h5py

    from registry.loaders.datasets import openh_rf_siemens_invivo as openh

    path = tmp_path / "acq.hdf5"
    with h5py.File(path, "w") as f:
        f.create_dataset("data/image", shape=(10**9, 4, 4), dtype="u1", chunks=(1, 4, 4))
        f.create_dataset("custom/contact", shape=(10**9,), dtype="f8", chunks=(1024,))
        f["metadata/subject/id"] = "Subject_01"

    def no_metadata(*args: Any) -> None:
        raise AssertionError("metadata read before the image's shape was checked")

    monkeypatch.setattr(openh, "_per_frame", no_metadata)
    ctx = _ctx(tmp_path, "openh-rf-siemens-invivo")
    assert list(openh.OpenhRfSiemensInvivo().items(ctx)) == []
    assert any("over the limits" in m for m in _messages(ctx, "too_large"))


# --- picmus and cubdl: HDF5 channel data ----------------------------------------------------------------------------


def _picmus_group(path: Path, **fields: Any) -> None:
    import h5py

    values: dict[str, Any] = {
        "data/real": np.zeros((1, 2, 8), np.float32),
        "angles": np.zeros(1),
        "sampling_frequency": np.array([20e6]),
        "sound_speed": np.array([1540.0]),
        "initial_time": np.array([0.0]),
        "probe_geometry": np.zeros((7, 2)),
    }
    values.update(fields)
    with h5py.File(path, "w") as f:
        g = f.create_group("US/US_DATASET0000")
        for key, value in values.items():
            if isinstance(value, tuple):  # (shape, dtype): declared, never written
                g.create_dataset(key, shape=value[0], dtype=value[1], chunks=True)
            else:
                g[key] = value


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("angles", ((1_000_001,), "f8"), "angles holds 1,000,001 values, over 1,000,000"),
        ("sampling_frequency", ((2_000_000,), "f8"), "sampling_frequency holds 2,000,000 values"),
        ("sound_speed", "fast", "sound_speed does not hold numbers"),
        ("data/real", np.array([b"abc"] * 8).reshape(1, 2, 4), "expected numbers (angles, channels, samples)"),
    ],
)
def test_picmus_checks_each_field_before_reading_it(tmp_path, field, value, message):
    from registry.loaders.datasets.picmus import Picmus, PicmusOptions

    _picmus_group(tmp_path / "contrast_expe_dataset_rf.hdf5", **{field: value})
    ctx = _ctx(tmp_path, "picmus", PicmusOptions())
    assert list(Picmus().items(ctx)) == []
    assert any(message in m for m in _messages(ctx, "annotation_unreadable")), ctx.problems


def test_picmus_grid_axis_that_is_a_group_is_reported_by_the_decoder(tmp_path):
    import h5py

    from registry.loaders.datasets.picmus import picmus_bmode

    _picmus_group(tmp_path / "contrast_expe_dataset_rf.hdf5")
    scan = tmp_path / "contrast_expe_scan.hdf5"
    with h5py.File(scan, "w") as f:
        f.create_group("US/US_DATASET0000/x_axis")
        f["US/US_DATASET0000/z_axis"] = np.zeros(4)
    opts = {"dynamic_range_db": 60.0, "f_number": 1.0, "pixel_mm": 0.1, "z_min_mm": 5.0, "z_max_mm": 55.0}
    with pytest.raises(BadData, match="x_axis is not an array"):
        picmus_bmode(str(tmp_path / "contrast_expe_dataset_rf.hdf5"), str(scan), opts)


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("modulation_frequency", "modulation_frequency does not hold numbers"),
        ("channel_data", "channel_data is a group, not an array of numbers"),
        ("angles", "angles holds 1,000,001 values"),
    ],
)
def test_cubdl_checks_each_field_before_reading_it(tmp_path, field, message):
    import h5py

    from registry.loaders.datasets.cubdl import Cubdl, CubdlOptions

    path = tmp_path / "1_CUBDL_Task1_Data" / "MYO002.hdf5"
    path.parent.mkdir()
    with h5py.File(path, "w") as f:
        f["modulation_frequency"] = "five megahertz" if field == "modulation_frequency" else 5.2e6
        f["sampling_frequency"] = 20.8e6
        if field == "angles":
            f.create_dataset("angles", shape=(1_000_001,), dtype="f8", chunks=True)
        else:
            f["angles"] = np.zeros(3)
        if field == "channel_data":
            f.create_group("channel_data")
        else:
            f["channel_data"] = np.zeros((3, 4, 16), np.float32)
    ctx = _ctx(tmp_path, "cubdl", CubdlOptions())
    assert list(Cubdl().items(ctx)) == []
    assert any(message in m for m in _messages(ctx, "annotation_unreadable")), ctx.problems


# --- echonet-synthetic: FileList.csv --------------------------------------------------------------------------------


def test_echonet_synthetic_reports_a_video_listed_twice(tmp_path):
    from registry.loaders.datasets.echonet_synthetic import EchonetSynthetic, Options

    subset = tmp_path / "EchoNet-Synthetic" / "dynamic"
    (subset / "Videos").mkdir(parents=True)
    (subset / "FileList.csv").write_text("FileName,EF,Split\nsample_000001,55,TRAIN\nsample_000001,60,TEST\n")
    ctx = _ctx(tmp_path, "echonet-synthetic", Options())
    list(EchonetSynthetic().items(ctx))
    assert any("line 3: sample_000001 is listed again" in m for m in _messages(ctx, "annotation_unreadable"))


def test_a_csv_table_past_the_row_limit_is_read_up_to_it_and_reported(tmp_path, monkeypatch):
    """The generic CSV reader (csv-paths, tmed-2, echonet-synthetic) stops at MAX_CSV_ROWS and says so."""
    from registry.loaders import generic_csv

    monkeypatch.setattr(generic_csv, "MAX_CSV_ROWS", 5)
    table = tmp_path / "FileList.csv"
    table.write_text("FileName,Split\n" + "".join(f"v{i},train\n" for i in range(12)), encoding="utf-8")
    ctx = _ctx(tmp_path)
    rows = generic_csv.read_csv_rows(ctx, table)
    assert [r["FileName"] for r in rows] == [f"v{i}" for i in range(5)]
    assert _messages(ctx, "annotation_unreadable") == ["more than 5 rows: the rest are not read"]
