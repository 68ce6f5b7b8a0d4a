"""`usreg validate` as read in a terminal: findings wrap between words at its width, with the file:line:col head
first; piped, each finding stays on one line for grep and editors."""

from __future__ import annotations

import re

import pytest

from registry.settings import settings
from tests.conftest import minimal_model

HEAD = re.compile(r"^entries/models/\S+\.yaml:\d+:\d+: error")


@pytest.fixture()
def bad_catalog(catalog_root):
    adapter = {"name": "torch-state-dict", "options": {"architecture": "unet", "batch_sise": 4}}
    catalog_root.model(minimal_model("typo-net", adapter=adapter, trained_on=["no-such-dataset-anywhere"]))
    return catalog_root


@pytest.mark.parametrize("columns", [60, 80, 120])
def test_findings_wrap_between_words_at_the_terminal_width(run_cli, bad_catalog, monkeypatch, columns: int) -> None:
    monkeypatch.setenv("COLUMNS", str(columns))
    settings.cache_clear()
    done = run_cli("validate", root=bad_catalog.root)
    assert done.exit_code == 1
    lines = [line for line in done.output.splitlines() if line.strip()]
    assert all(len(line) <= columns for line in lines), [line for line in lines if len(line) > columns]
    heads = [line for line in lines if HEAD.match(line)]
    assert len(heads) == 2  # one per finding, each at the start of its first line
    text = " ".join(line.strip() for line in lines)
    assert "unknown adapter option 'batch_sise' for adapter 'torch-state-dict'; did you mean 'batch_size'?" in text
    assert "is not a dataset in the registry" in text
    continued = [line for line in lines if not HEAD.match(line) and not line.startswith(("2 error", "    "))]
    assert continued == []  # every continuation line is indented


def test_piped_findings_stay_one_line_each(run_cli, bad_catalog, monkeypatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    settings.cache_clear()
    done = run_cli("validate", root=bad_catalog.root)  # CliRunner's streams are not terminals
    lines = done.output.splitlines()
    adapter_line = next(line for line in lines if "batch_sise" in line)
    assert HEAD.match(adapter_line) and adapter_line.endswith("did you mean 'batch_size'?")
    hint = lines[lines.index(adapter_line) + 1]
    assert hint.startswith("    hint: options of adapter 'torch-state-dict': layout,")
    assert hint.endswith("points_from_heatmaps")
