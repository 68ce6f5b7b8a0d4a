"""`usreg list` as a user meets it: one line per entry at the terminal's width, forgiving and checked filters."""

from __future__ import annotations

import csv
import io

import pytest

from tests.conftest import minimal_dataset

LONG_ID = "a-very-long-dataset-identifier-that-must-stay-whole"


@pytest.fixture()
def listing_catalog(catalog_root):
    catalog_root.dataset(
        minimal_dataset(
            LONG_ID,
            name="A dataset whose name is far longer than any terminal column could hold " * 2,
            anatomy=["breast", "lymph-node"],
            tasks=["classification", "detection", "segmentation"],
            license="CC-BY-4.0",
        )
    )
    for i in range(12):
        catalog_root.dataset(minimal_dataset(f"breast-set-{i}", name=f"Breast set number {i} " * 4))
    catalog_root.dataset(minimal_dataset("thyroid-set", anatomy=["thyroid"]))
    return catalog_root


@pytest.mark.parametrize("columns", ["80", "100", "120"])
def test_list_prints_one_line_per_entry_and_never_cuts_an_id(listing_catalog, run_cli, monkeypatch, columns):
    monkeypatch.setenv("COLUMNS", columns)
    result = run_cli("list", "--anatomy", "breast", root=listing_catalog.root)
    assert result.exit_code == 0, result.output
    lines = result.stdout.rstrip("\n").splitlines()
    body = lines[3:]  # title, header, rule
    assert len(body) == 13, lines
    assert all(len(line) <= int(columns) for line in lines), max(len(line) for line in lines)
    assert any(line.startswith(LONG_ID + " ") for line in body)
    assert all(line.split()[0].startswith(("breast-set-", LONG_ID)) for line in body)


def test_piped_output_follows_columns_and_chosen_columns(listing_catalog, run_cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "60")
    result = run_cli("list", "--columns", "id,license", root=listing_catalog.root)
    assert result.exit_code == 0, result.output
    header = result.stdout.splitlines()[1].split()
    assert header == ["id", "license"]
    bad = run_cli("list", "--columns", "id,colour", root=listing_catalog.root)
    assert bad.exit_code == 2 and "colour" in bad.output


def test_filters_are_case_insensitive(listing_catalog, run_cli):
    lower = run_cli("list", "--anatomy", "breast", "--format", "csv", root=listing_catalog.root)
    upper = run_cli("list", "--anatomy", "Breast", "--format", "csv", root=listing_catalog.root)
    assert lower.exit_code == upper.exit_code == 0
    assert lower.stdout == upper.stdout and len(list(csv.DictReader(io.StringIO(lower.stdout)))) == 13
    licensed = run_cli("list", "--license", "cc-by-4.0", "--format", "csv", root=listing_catalog.root)
    assert licensed.exit_code == 0
    assert [r["id"] for r in csv.DictReader(io.StringIO(licensed.stdout))] == [LONG_ID]


@pytest.mark.parametrize(
    ("option", "value", "suggestion"),
    [
        ("--anatomy", "brest", "breast"),
        ("--task", "segmentaton", "segmentation"),
        ("--license", "cc-by-4", "CC-BY-4.0"),
    ],
)
def test_unknown_filter_values_fail_with_a_suggestion(listing_catalog, run_cli, option, value, suggestion):
    result = run_cli("list", option, value, root=listing_catalog.root)
    assert result.exit_code == 2, result.output
    assert "did you mean" in result.output and suggestion in result.output


def test_country_filter_accepts_names_and_codes(listing_catalog, run_cli):
    assert run_cli("list", "--country", "br", root=listing_catalog.root).exit_code == 0
    assert run_cli("list", "--country", "Brazil", root=listing_catalog.root).exit_code == 0
    bad = run_cli("list", "--country", "Atlantis", root=listing_catalog.root)
    assert bad.exit_code == 2
