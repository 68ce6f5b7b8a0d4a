"""list, show, export, index and the conventions every command follows."""

from __future__ import annotations

import io
import json
import os
import sqlite3
from pathlib import Path

import bibtexparser
import pandas as pd
import pytest

from registry import __version__
from registry.paths import index_path
from tests.conftest import minimal_dataset, minimal_model


@pytest.fixture
def small_catalog(catalog_root):
    catalog_root.dataset(
        minimal_dataset(
            "breast-a",
            name="Breast Alpha",
            aliases=["BA-1"],
            anatomy=["breast"],
            tasks=["segmentation"],
            species=["human"],
            license="CC-BY-4.0",
            access="open",
            year=2020,
            counts={"images": 100},
            acquisition={"countries": ["ES"]},
            annotation={"label_types": ["mask"]},
            publications=[
                {
                    "title": "Alpha & {Beta}: 100% data_set",
                    "doi": "10.1000/xyz",
                    "year": 2020,
                    "authors": [{"family": "Doe", "given": "J."}],
                }
            ],
        )
    )
    catalog_root.dataset(
        minimal_dataset(
            "thyroid-b",
            name="Thyroid Beta",
            anatomy=["thyroid"],
            tasks=["classification"],
            species=["human"],
            license="MIT",
            access="request",
            year=2022,
            counts={"images": 50},
        )
    )
    catalog_root.dataset(
        minimal_dataset(
            "breast-c",
            name="Breast Gamma detection",
            anatomy=["breast"],
            tasks=["detection"],
            species=["phantom"],
            access="registration",
            year=2018,
        )
    )
    catalog_root.model(minimal_model("seg-net", trained_on=["breast-a"], evaluated_on=["breast-c"], anatomy=["breast"]))
    return catalog_root


def test_version(run_cli):
    result = run_cli("--version")
    assert result.exit_code == 0 and __version__ in result.output


def test_every_command_has_help(run_cli):
    from registry.cli import main

    for name, command in main.commands.items():
        result = run_cli(name, "--help")
        assert result.exit_code == 0, name
        assert "Usage:" in result.output
        if hasattr(command, "commands"):
            for sub in command.commands:
                assert run_cli(name, sub, "--help").exit_code == 0, f"{name} {sub}"


def test_list_filters_and_sorts(small_catalog, run_cli):
    result = run_cli("list", "--anatomy", "breast", "--format", "json", root=small_catalog.root)
    assert result.exit_code == 0
    ids = [r["id"] for r in json.loads(result.output)]
    assert ids == ["breast-a", "breast-c", "seg-net"]

    result = run_cli(
        "list", "--kind", "dataset", "--sort", "year", "--desc", "--format", "json", root=small_catalog.root
    )
    assert [r["id"] for r in json.loads(result.output)] == ["thyroid-b", "breast-a", "breast-c"]

    result = run_cli(
        "list", "--task", "detection", "--task", "classification", "--format", "csv", root=small_catalog.root
    )
    rows = pd.read_csv(io.StringIO(result.output))
    assert sorted(rows["id"]) == ["breast-c", "thyroid-b"]

    for option, value, expected in [
        ("--label-type", "mask", ["breast-a"]),
        ("--species", "phantom", ["breast-c"]),
        ("--license", "MIT", ["thyroid-b"]),
        ("--access", "open", ["breast-a"]),
        ("--country", "ES", ["breast-a"]),
        ("-q", "ba-1", ["breast-a"]),
        ("-q", "gamma", ["breast-c"]),
    ]:
        result = run_cli("list", option, value, "--format", "json", root=small_catalog.root)
        assert [r["id"] for r in json.loads(result.output)] == expected, (option, value)


def test_list_table_output(small_catalog, run_cli):
    result = run_cli("list", root=small_catalog.root)
    assert result.exit_code == 0
    assert "Thyroid Beta" in result.output and "4 entries" in result.output


def test_show_entry_with_linked_models_and_citation(small_catalog, run_cli):
    result = run_cli("show", "breast-a", root=small_catalog.root)
    assert result.exit_code == 0
    assert "Breast Alpha" in result.output
    assert "seg-net" in result.output
    assert "@misc{usreg_breast_a" in result.output
    data = json.loads(run_cli("show", "breast-a", "--format", "json", root=small_catalog.root).output)
    assert data["models"] == ["seg-net"]
    assert data["entry"]["license"] == "CC-BY-4.0"


def test_show_unknown_id_suggests(small_catalog, run_cli):
    result = run_cli("show", "breast-x", root=small_catalog.root)
    assert result.exit_code == 1
    assert "no entry 'breast-x'" in result.output and "breast-a" in result.output


def test_export_formats(small_catalog, run_cli, tmp_path):
    csv_out = run_cli("export", "--format", "csv", root=small_catalog.root).output
    frame = pd.read_csv(io.StringIO(csv_out))
    assert len(frame) == 4 and set(frame["entry_kind"]) == {"dataset", "model"}

    records = json.loads(run_cli("export", "--format", "json", root=small_catalog.root).output)
    assert {r["id"] for r in records} == {"breast-a", "thyroid-b", "breast-c", "seg-net"}

    target = tmp_path / "catalog.parquet"
    assert run_cli("export", "--format", "parquet", "-o", str(target), root=small_catalog.root).exit_code == 0
    assert len(pd.read_parquet(target)) == 4

    bib = run_cli("export", "--format", "bibtex", root=small_catalog.root).output
    library = bibtexparser.parse_string(bib)
    assert not library.failed_blocks
    keys = {e.key for e in library.entries}
    assert {"usreg_breast_a", "usreg_breast_a_pub1", "usreg_seg_net"} <= keys
    pub = next(e for e in library.entries if e.key == "usreg_breast_a_pub1")
    assert pub["doi"] == "10.1000/xyz" and pub["author"] == "Doe, J."


def test_export_parquet_needs_output(small_catalog, run_cli):
    result = run_cli("export", "--format", "parquet", root=small_catalog.root)
    assert result.exit_code == 2 and "-o FILE.parquet" in result.output  # usage: exit 2


def test_index_rebuilds_when_entries_change(small_catalog, run_cli):
    root = small_catalog.root
    first = json.loads(run_cli("index", "--format", "json", root=root).output)
    assert first["rebuilt"] and first["dataset"] == 3
    second = json.loads(run_cli("index", "--format", "json", root=root).output)
    assert not second["rebuilt"]
    small_catalog.dataset(minimal_dataset("new-one", anatomy=["liver"]))
    listed = json.loads(run_cli("list", "--anatomy", "liver", "--format", "json", root=root).output)
    assert [r["id"] for r in listed] == ["new-one"]
    forced = json.loads(run_cli("index", "--rebuild", "--format", "json", root=root).output)
    assert forced["rebuilt"] and forced["dataset"] == 4
    with sqlite3.connect(index_path(root)) as conn:
        assert conn.execute("select count(*) from entry").fetchone()[0] == 5


def test_root_is_found_upward(small_catalog, run_cli, monkeypatch):
    nested = small_catalog.root / "entries" / "datasets"
    monkeypatch.chdir(nested)
    result = run_cli("list", "--format", "json")
    assert result.exit_code == 0 and len(json.loads(result.output)) == 4


def test_no_catalog_is_a_usage_error(tmp_path, run_cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run_cli("list")
    assert result.exit_code == 2
    assert "no catalog found" in result.output and "--root" in result.output


def test_index_lives_under_usreg_home(small_catalog, run_cli, usreg_home: Path):
    run_cli("index", root=small_catalog.root)
    assert index_path(small_catalog.root).is_relative_to(usreg_home)
    assert os.environ["USREG_HOME"] == str(usreg_home)


def test_schema_command_checks_and_writes(tmp_path, run_cli):
    (tmp_path / "entries").mkdir()
    assert run_cli("schema", root=tmp_path).exit_code == 1
    assert run_cli("schema", "--write", root=tmp_path).exit_code == 0
    assert (tmp_path / "schemas" / "dataset.schema.json").exists()
    assert run_cli("schema", root=tmp_path).exit_code == 0


def test_old_index_gains_new_columns_and_keeps_results(small_catalog, run_cli):
    """An index written by an older usreg (without newer bench columns) is upgraded in place, results kept."""
    root = small_catalog.root
    run_cli("index", root=root)
    path = index_path(root)
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TABLE bench_result")
        conn.execute(
            "CREATE TABLE bench_result (id INTEGER PRIMARY KEY, dataset_id TEXT, model_id TEXT, split TEXT, "
            "metric TEXT, value REAL, created TEXT, run_id TEXT)"
        )
        conn.execute("INSERT INTO bench_result VALUES (1, 'breast-a', 'seg-net', 'test', 'dice', 0.5, 'x', 'r1')")
    from registry.index import RegistryIndex

    results = RegistryIndex(root).bench_results(dataset_id="breast-a")
    assert len(results) == 1 and results[0]["value"] == 0.5 and results[0]["seed"] is None


def test_index_stores_scores_and_min_tier_filters(small_catalog, run_cli):
    rows = json.loads(run_cli("list", "--format", "json", root=small_catalog.root).output)
    assert all(r["tier"] and r["verification"] for r in rows)
    ranked = ["steel", "bronze", "silver", "gold", "platinum", "diamond"]
    best = max(ranked.index(r["tier"]) for r in rows)
    result = run_cli("list", "--min-tier", ranked[best], "--format", "json", root=small_catalog.root)
    filtered = json.loads(result.output)
    assert filtered and all(ranked.index(r["tier"]) >= best for r in filtered)
