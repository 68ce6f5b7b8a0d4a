"""`usreg convert ID` and `usreg check ID` against a temporary catalog and cache."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.conftest import minimal_dataset
from tests.fixtures.builders import carotid_plaque, generic


@pytest.fixture
def catalog(catalog_root):
    catalog_root.dataset(
        minimal_dataset("carotid-plaque", anatomy=["carotid"], counts={"images": 3}, loader={"name": "carotid-plaque"})
    )
    catalog_root.dataset(
        minimal_dataset("dicom-set", loader={"name": "class-folders", "options": {"images": "{label}/{stem}.dcm"}})
    )
    return catalog_root.root


def test_convert_from_the_cached_download_then_check(catalog, run_cli, usreg_home, tmp_path):
    src = usreg_home / "sources" / "carotid-plaque" / "1"
    carotid_plaque.build(src, size=120)
    result = run_cli("convert", "carotid-plaque", root=catalog)
    assert result.exit_code == 0, result.output
    assert "converted carotid-plaque 1" in result.output and "3 samples" in result.output
    assert (usreg_home / "datasets" / "carotid-plaque" / "1" / "manifest.parquet").is_file()

    result = run_cli("check", "carotid-plaque", "--format", "json", root=catalog)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert {c["name"]: c["status"] for c in doc["checks"]}["counts_match"] == "pass"

    table = run_cli("check", "carotid-plaque", root=catalog)
    assert "near_duplicates" in table.output and "pass" in table.output


def test_check_exits_1_on_a_failed_check(catalog, run_cli, usreg_home):
    src = usreg_home / "sources" / "dicom-set" / "1"
    generic.dicom_class_folders(src)
    failed = run_cli("convert", "dicom-set", "--version", "1", root=catalog)
    assert failed.exit_code == 1 and "dicom_phi" in failed.output and "is ready" not in failed.output
    accepted = run_cli("convert", "dicom-set", "--version", "1", "--keep-going", root=catalog)
    assert accepted.exit_code == 0 and "partial (accepted with --keep-going)" in accepted.output
    result = run_cli("check", "dicom-set", root=catalog)
    assert result.exit_code == 1
    assert "dicom_phi" in result.output


def test_convert_source_option_and_errors(catalog, run_cli, usreg_home, tmp_path):
    missing = run_cli("convert", "carotid-plaque", root=catalog)
    assert missing.exit_code == 1 and "usreg fetch carotid-plaque" in missing.output
    unknown = run_cli("convert", "carotid-plaq", root=catalog)
    assert unknown.exit_code == 1 and "carotid-plaque" in unknown.output
    fx = carotid_plaque.build(tmp_path / "elsewhere", size=100)
    ok = run_cli(
        "convert", "carotid-plaque", "--source", str(fx.root), "--version", "x", "--format", "json", root=catalog
    )
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.output)["counts"]["samples"] == 3
    shutil.rmtree(usreg_home / "datasets")
    gone = run_cli("check", "carotid-plaque", root=catalog)
    assert gone.exit_code == 1 and "not fetched" in gone.output
