"""Loaders for open datasets that had none, each in the layout that code which opened the real download shows
(set h9L). No real data is stored here: the builders in tests/fixtures/builders/ rebuild the file, folder and column
names of the evidence with synthetic pixels."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.builders import hmss
from tests.loaders.conftest import check_converted_layout, convert_layout, fetch_from_file_then_load, real_catalog

CATALOG = real_catalog()


def _hf_rows(usreg_home: Path, entry_id: str) -> list[dict]:
    """The rows of the converted dataset's hf/ view, loaded with Hugging Face datasets (imagefolder)."""
    datasets = pytest.importorskip("datasets")
    (out,) = (p for p in (usreg_home / "datasets" / entry_id).iterdir() if p.is_dir())
    hf = datasets.load_dataset("imagefolder", data_dir=str(out / "hf"))
    return [row for split in hf.values() for row in split]


# --- hmss: Benchmark/Datasets/HMSS/{HMSS.csv, imgs/<img name>.jpg} (busbench Download_HMSS.ipynb) ----------------


def test_hmss_reads_the_benchmark_csv_and_keeps_a_case_in_one_split(tmp_path, convert) -> None:
    cases: dict = {}

    def build(stage: Path) -> dict:
        expected = hmss.build(stage)
        cases["n"] = expected.pop("cases")
        return expected

    out, expected = convert_layout(convert, CATALOG.datasets["hmss"], build, tmp_path)
    check_converted_layout(out, expected)
    assert out.by_id["3155"]["label"] == "benign" and out.by_id["4411"]["label"] == "malignant"
    # the case column is a group, not a subject: no subject id, every case's images in one split
    assert all(r["subject_id"] is None for r in out.rows)
    split_of: dict[str, str] = {}
    for row in out.rows:
        case = out.extra(row["sample_id"])["split_group"]
        assert split_of.setdefault(case, row["split"]) == row["split"], case
    assert out.extra("3157")["split_group"] == "3155"
    assert len(split_of) == cases["n"]
    # images come from imgs/ next to the CSV, the byte-order mark did not hide the first column
    assert out.by_id["2879"]["source_file"].endswith("Benchmark/Datasets/HMSS/imgs/2879.jpg")


def test_hmss_reports_a_row_whose_image_the_notebook_did_not_save(tmp_path, convert) -> None:
    hmss.build(tmp_path / "stage")
    (tmp_path / "stage" / "Benchmark" / "Datasets" / "HMSS" / "imgs" / "6002.jpg").unlink()
    out = convert(CATALOG.datasets["hmss"], tmp_path / "stage")
    assert "6002" not in out.by_id and len(out.rows) == len(hmss.ROWS) - 1
    assert [p["message"] for p in out.problems("missing_image")] == [
        "line 11: image 'imgs/6002.jpg' is not in the download"
    ]


def test_usreg_fetch_hmss_from_the_benchmark_folder_is_ready_and_loads_in_hf_datasets(
    tmp_path, run_cli, usreg_home
) -> None:
    """The user's path: `usreg fetch hmss --from-file Benchmark` after the notebook has filled imgs/ with the
    release's 2,006 images (846 benign, 1,160 malignant, as the entry declares) ends ready; the hf/ view loads."""
    expected = hmss.build(tmp_path / "stage", hmss.release_rows(), size=16)
    output, ds = fetch_from_file_then_load(run_cli, "hmss", "--from-file", tmp_path / "stage" / "Benchmark")
    assert "hmss is ready" in output
    assert len(ds) == expected["samples"] == 2006
    rows = _hf_rows(usreg_home, "hmss")
    assert len(rows) == 2006
    labels: dict[str, int] = {}
    for row in rows:
        labels[row["label"]] = labels.get(row["label"], 0) + 1
    assert labels == expected["labels"]
