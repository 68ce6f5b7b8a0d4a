"""Every dataset entry of the real catalog plans cleanly: a dry run against hosts that know nothing (the local
server answers 404) ends in a plan or in a clear UsregError, never in a traceback.

Entries with plain ``http`` sources are left out: their URLs are real web servers, and tests never use the network.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from registry.catalog import load_catalog
from registry.errors import UsregError
from registry.fetch import fetch_dataset
from tests.conftest import REPO_ROOT


def test_every_real_entry_plans_or_fails_clearly(server, usreg_home: Path, monkeypatch) -> None:
    monkeypatch.setenv("USREG_RETRIES", "1")
    monkeypatch.setenv("KAGGLE_USERNAME", "nobody")
    monkeypatch.setenv("KAGGLE_KEY", "nokey")
    catalog = load_catalog(REPO_ROOT)
    if not catalog.datasets:
        pytest.skip("the catalog has no dataset entries yet")
    outcomes: dict[str, str] = {}
    for entry_id, entry in sorted(catalog.datasets.items()):
        if any(s.kind == "http" for s in entry.sources):
            continue
        try:
            result = fetch_dataset(entry, dry_run=True)
        except UsregError as exc:
            assert exc.message and "Traceback" not in exc.message
            outcomes[entry_id] = type(exc).__name__
        else:
            assert result.dry_run and result.download_dir == usreg_home / "downloads" / entry_id / result.version
            outcomes[entry_id] = "planned"
    assert outcomes and "planned" in outcomes.values()
    assert not (usreg_home / "downloads").exists()  # a dry run writes nothing
