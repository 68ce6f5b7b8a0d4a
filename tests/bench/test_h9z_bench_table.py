"""`usreg bench` at 80 columns, as a user runs it in a plain terminal: the table must show the score it just
measured. It listed dataset, model, split, task, images and metric, and left out value and status."""

from __future__ import annotations

from tests.bench.test_e2e import served_catalog  # noqa: F401  (the fixture: carotid-plaque served, an ONNX model)


def test_bench_table_at_80_columns_shows_metric_value_and_status(served_catalog, run_cli, usreg_home, monkeypatch):  # noqa: F811
    catalog, _ = served_catalog
    root = catalog.root
    assert run_cli("fetch", "carotid-plaque", "--keep-going", root=root).exit_code == 0
    monkeypatch.setenv("COLUMNS", "80")
    result = run_cli(
        "bench", "carotid-plaque", "--model", "thresh-net", "--bootstrap", "0", "--workers", "1", root=root
    )
    assert result.exit_code == 0, result.output
    header = next(line for line in result.stdout.splitlines() if "model" in line and "split" in line)
    for column in ("model", "split", "metric", "value", "status"):
        assert column in header, result.stdout
    row = next(line for line in result.stdout.splitlines() if "thresh-net" in line)
    assert "dice" in row and "ok" in row, result.stdout
    assert all(len(line) <= 80 for line in result.stdout.splitlines()), result.stdout
