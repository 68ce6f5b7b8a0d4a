"""Loaders for open datasets that had none, each in the layout that code which opened the real download shows
(set h9L). No real data is stored here: the builders in tests/fixtures/builders/ rebuild the file, folder and column
names of the evidence with synthetic pixels."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.builders import covidx_us, hmss
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


def test_hmss_converts_the_hmss_folder_given_alone(tmp_path, convert) -> None:
    expected = hmss.build(tmp_path / "stage")
    out = convert(CATALOG.datasets["hmss"], tmp_path / "stage" / "Benchmark" / "Datasets" / "HMSS")
    assert len(out.rows) == expected["samples"] and not out.problems(), out.problems()
    assert out.by_id["2879"]["source_file"] == "imgs/2879.jpg"


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


# --- covidx-us: a COVID-US clone after create_COVIDxUS.ipynb: data/image/clean + labels/COVIDx-US1.4_4class.csv ------


def test_covidx_us_converts_the_cleaned_frames_with_the_label_table(tmp_path, convert) -> None:
    out, expected = convert_layout(convert, CATALOG.datasets["covidx-us"], covidx_us.build, tmp_path)
    check_converted_layout(out, expected)
    assert len({r["subject_id"] for r in out.rows}) == 5  # p6 has two videos
    first = out.by_id["6_butterfly_covid_prc_convex_clean_frame67"]
    assert first["frame"] == 67 and first["label"] == "COVID"
    assert out.extra(first["sample_id"]) == {
        "source_video": "6_butterfly_covid",
        "probe": "convex",
        "split_group": "6_butterfly_covid",
        "source": "Butterfly",
        "luss": "3",
    }
    assert first["source_file"] == "COVID-US/data/image/clean/6_butterfly_covid_prc_convex_clean_frame67.jpg"
    # both videos of patient p6 are in one split
    assert len({r["split"] for r in out.rows if r["subject_id"] == "p6"}) == 1


def test_covidx_us_reports_a_video_missing_from_the_label_table(tmp_path, convert) -> None:
    build = lambda stage: covidx_us.build(stage, unlisted=("244_clarius_normal",))  # noqa: E731
    out, expected = convert_layout(convert, CATALOG.datasets["covidx-us"], build, tmp_path)
    missing = out.problems("missing_annotation")
    assert [p["message"] for p in missing] == [
        "video 244_clarius_normal is not in COVIDx-US1.4_4class.csv: no label, no subject"
    ]
    expected["errors"] = missing
    check_converted_layout(out, expected)
    unlisted = [r for r in out.rows if r["sample_id"].startswith("244_")]
    assert len(unlisted) == 2 and all(r["label"] is None and r["subject_id"] is None for r in unlisted)


def test_usreg_fetch_covidx_us_from_the_clone_loads_in_hf_datasets(tmp_path, run_cli, usreg_home) -> None:
    """`usreg fetch covidx-us --from-file COVID-US` (the clone the notebook ran in). The entry declares the counts of
    the v1.4 label table the loader reads (243 videos, 190 patients), which the tiny tree cannot hold: the partial
    conversion is accepted knowingly and counts_match is the only failed check."""
    expected = covidx_us.build(tmp_path / "stage")
    output, ds = fetch_from_file_then_load(
        run_cli, "covidx-us", "--from-file", tmp_path / "stage" / "COVID-US", "--keep-going"
    )
    # videos are counted by the frames' source video, not by frame files
    assert "is partial" in output and "check counts_match failed: videos: declared 243, found 6;" in output
    assert output.count(" failed") == output.count("counts_match failed")
    assert len(ds) == expected["samples"]
    rows = _hf_rows(usreg_home, "covidx-us")
    assert len(rows) == expected["samples"]
    assert {r["label"] for r in rows} == {"COVID", "Other", "Pneumonia", "Normal"}
