"""`usreg list` and the shared table printer as read in a terminal: numbers line up, points read alike, an empty result
says so, the count names what was listed."""

from __future__ import annotations

import pytest

from tests.conftest import minimal_dataset, minimal_model


@pytest.fixture()
def list_catalog(catalog_root):
    catalog_root.dataset(minimal_dataset("breast-a", license="CC-BY-4.0", access="open", year=2021))
    catalog_root.dataset(minimal_dataset("breast-b"))
    catalog_root.model(minimal_model("seg-net"))
    return catalog_root


def _table(output: str) -> tuple[str, list[str], list[str]]:
    lines = output.rstrip("\n").splitlines()
    return lines[0], lines[1:3], lines[3:]


def test_points_have_one_decimal_and_are_right_aligned(list_catalog, run_cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    result = run_cli("list", "--columns", "id,points,name", root=list_catalog.root)
    assert result.exit_code == 0, result.output
    _title, (header, rule), body = _table(result.stdout)
    width = len(rule.split()[1])
    start = len(rule.split()[0]) + 1
    assert header[start : start + width] == "points".rjust(width)
    points = [line[start : start + width] for line in body]
    assert all(p.strip() and p == p.strip().rjust(width) for p in points), points
    assert all(len(p.strip().split(".")[1]) == 1 for p in points), points  # 10.0, never 10


def test_the_count_names_what_was_listed(list_catalog, run_cli):
    datasets = run_cli("list", "--kind", "dataset", root=list_catalog.root).stdout.splitlines()[0]
    one_model = run_cli("list", "--kind", "model", root=list_catalog.root).stdout.splitlines()[0]
    everything = run_cli("list", root=list_catalog.root).stdout.splitlines()[0]
    assert (datasets, one_model, everything) == ("2 datasets", "1 model", "3 entries")


def test_an_empty_result_says_so_instead_of_an_empty_table(list_catalog, run_cli):
    result = run_cli("list", "-q", "no-such-thing", root=list_catalog.root)
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "0 entries",
        "no entry matches these filters (see `usreg stats` for the values in use)",
    ]
    assert "─" not in result.stdout


def test_rich_tables_right_align_numeric_columns(capsys, monkeypatch):
    from registry.cli.output import emit_rows

    monkeypatch.setenv("COLUMNS", "60")
    emit_rows(
        [{"value": "heart", "datasets": 28, "models": 144}, {"value": "skin", "datasets": 1, "models": 0}],
        ["value", "datasets", "models"],
        "table",
    )
    rows = [line for line in capsys.readouterr().out.splitlines() if "skin" in line or "heart" in line]
    cells = [[cell for cell in line.split("│")[1:-1]] for line in rows]
    assert cells[1][1].endswith(" 1 ") and cells[1][2].endswith("   0 "), cells
    assert cells[0][2].endswith(" 144 ") and cells[0][0].startswith(" heart"), cells
