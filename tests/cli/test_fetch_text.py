"""`usreg fetch` as read in a terminal: a progress bar only while bytes move, and a summary that says what the
conversion made."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from registry.cli.fetch_cmd import conversion_summary
from tests.fetch.conftest import server  # noqa: F401  (the HostServer fixture)
from tests.fixtures.catalogs import add_carotid_plaque_on_mendeley, add_manual_tcia_set

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

BAR = "━"


def test_no_bar_before_the_manual_download_error_nor_after_an_ingest(catalog_root, run_cli, tmp_path: Path):
    scans = add_manual_tcia_set(catalog_root)
    manual = run_cli("fetch", "tcia-set", root=catalog_root.root)
    assert manual.exit_code == 1 and "must be downloaded by hand" in manual.stderr
    assert BAR not in manual.stderr and "bytes" not in manual.stderr, manual.stderr
    downloaded = tmp_path / "scans.zip"
    downloaded.write_bytes(scans)
    ingested = run_cli("fetch", "tcia-set", "--from-file", downloaded, root=catalog_root.root)
    assert ingested.exit_code == 0, ingested.output
    assert BAR not in ingested.stderr and "0/0" not in ingested.stderr, ingested.stderr


def test_a_download_shows_its_bar_and_the_summary_counts_samples(
    server,  # noqa: F811
    catalog_root,
    run_cli,
    tmp_path: Path,
    usreg_home: Path,
):
    add_carotid_plaque_on_mendeley(server, catalog_root, tmp_path / "files", size=64)
    result = run_cli("fetch", "carotid-plaque", root=catalog_root.root)
    assert result.exit_code == 0, result.output
    assert BAR in result.stderr and "carotid-plaque (all files)" in result.stderr
    metadata = json.loads((usreg_home / "datasets/carotid-plaque/1/metadata.json").read_text(encoding="utf-8"))
    splits = metadata["splits"]["counts"]
    assert metadata["counts"]["samples"] == 3 and sum(splits.values()) == 3
    summary = " ".join(result.stdout.split())
    parts = ", ".join(f"{name} {n}" for name, n in splits.items())
    assert "converted: 3 samples" in summary
    assert f" in {len(splits)} splits ({parts}; {metadata['splits']['kind']} split)" in summary


def test_conversion_summary_without_a_record(tmp_path: Path):
    assert conversion_summary(None) is None
    assert conversion_summary(tmp_path) is None  # no metadata.json
    (tmp_path / "metadata.json").write_text("{not json", encoding="utf-8")
    assert conversion_summary(tmp_path) is None
    (tmp_path / "metadata.json").write_text(json.dumps({"counts": {"samples": 1}}), encoding="utf-8")
    assert conversion_summary(tmp_path) == "converted: 1 sample"


def _too_wide(text: str, width: int) -> list[str]:
    """Lines over ``width`` that hold no token too long to fit (a URL or path may exceed it, kept whole)."""
    return [line for line in text.splitlines() if len(line) > width and max(map(len, line.split())) < width - 12]


def test_manual_steps_and_errors_wrap_between_words_at_the_terminal_width(catalog_root, run_cli, monkeypatch):
    add_manual_tcia_set(catalog_root)
    monkeypatch.setenv("COLUMNS", "60")
    planned = run_cli("fetch", "tcia-set", "--dry-run", root=catalog_root.root)
    assert planned.exit_code == 0, planned.output
    assert "must be downloaded by hand" in planned.stdout and not _too_wide(planned.stdout, 60), planned.stdout
    failed = run_cli("fetch", "tcia-set", root=catalog_root.root)
    assert failed.exit_code == 1
    assert failed.stderr.startswith("error: ") and not _too_wide(failed.stderr, 60), failed.stderr
    step = [line for line in failed.stderr.splitlines() if line.lstrip().startswith(("where:", "how:", "what:"))]
    assert step, failed.stderr
    monkeypatch.delenv("COLUMNS")
    piped = run_cli("fetch", "tcia-set", root=catalog_root.root)
    assert len(max(piped.stderr.splitlines(), key=len)) > 60  # piped: one line per line, for grep


def test_dry_run_offline_says_once_why_a_host_was_not_reached(catalog_root, run_cli, monkeypatch):
    from tests.fetch.test_downloads_hardened import _real_entry

    monkeypatch.setenv("USREG_MENDELEY_URL", "http://mendeley.invalid")
    _real_entry(catalog_root, "carotid-plaque")
    result = run_cli("fetch", "carotid-plaque", "--dry-run", root=catalog_root.root)
    assert result.exit_code == 0, result.output
    assert result.output.count("could not be reached") == 1, result.output
    assert "(why: " in result.output and "WARNING" not in result.output


def test_an_unpacked_copy_of_thousands_of_files_is_summarised_a_folder_to_a_row(capsys, monkeypatch):
    """`usreg fetch busi --from-file <unpacked folder>` printed one table row per file: 2,361 rows before the result
    line. Past 30 files the table shows one row per folder, with the number of files and their total size."""
    from types import SimpleNamespace

    from registry.cli import fetch_cmd

    monkeypatch.setenv("COLUMNS", "100")

    def outcome(name: str) -> SimpleNamespace:
        return SimpleNamespace(
            name=name, size=1024, status="ingested", trust="unverified", bytes_transferred=0, host="from-file", url=None
        )

    names = [f"Dataset_BUSI/{label}/{label} ({i}).png" for label in ("benign", "malignant") for i in range(600)]
    files = [outcome(n) for n in [*names, "README.txt"]]
    result = SimpleNamespace(
        dataset_id="busi",
        version="1",
        files=files,
        dry_run=False,
        manual=[],
        message="busi is ready",
        converted_dir=None,
    )
    fetch_cmd._print_result(result)
    out = capsys.readouterr().out
    assert "Dataset_BUSI/benign/ (600 files)" in out and "Dataset_BUSI/malignant/ (600 files)" in out
    assert "README.txt" in out and "benign (1).png" not in out
    assert "600.0 KiB" in out  # 600 files of 1 KiB, summed
    assert len(out.splitlines()) < 20

    few = SimpleNamespace(**{**vars(result), "files": files[:3]})
    fetch_cmd._print_result(few)
    assert "benign (1).png" in capsys.readouterr().out  # a few files keep a row each


def test_a_dry_run_without_kaggle_credentials_plans_from_the_entry(catalog_root, run_cli, tmp_path: Path, monkeypatch):
    """`usreg fetch abdomenus --dry-run` with no Kaggle token exited 1 with the token error, though README says a dry
    run plans from the entry when the host cannot be asked. It now plans, and says the host needs credentials."""
    from tests.conftest import minimal_dataset

    for name in ("KAGGLE_USERNAME", "KAGGLE_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KAGGLE_CONFIG_DIR", str(tmp_path / "no-kaggle"))
    catalog_root.dataset(minimal_dataset("kg", sources=[{"kind": "kaggle", "id": "someone/some-set"}]))
    planned = run_cli("fetch", "kg", "--dry-run", root=catalog_root.root)
    assert planned.exit_code == 0, planned.output
    text = " ".join(planned.stdout.split())
    assert "the host needs your credentials" in text and "Kaggle needs an API token" in text
    fetched = run_cli("fetch", "kg", root=catalog_root.root)  # a real fetch still stops with what to do
    assert fetched.exit_code != 0 and "Kaggle needs an API token" in fetched.stderr
