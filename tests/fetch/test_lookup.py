"""`usreg fetch ID` reads ID's own entry file, not the whole catalog; anything unusual (no such file, a name two
entries share, an invalid entry) goes through the whole catalog, which says what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from registry.catalog import entry_file
from tests.conftest import minimal_dataset, minimal_model


def test_fetch_reads_only_the_entry_it_fetches(catalog_root, run_cli, usreg_home: Path, monkeypatch) -> None:
    catalog_root.dataset(minimal_dataset("one-set", version="1", sources=[{"kind": "zenodo", "id": "42"}]))
    catalog_root.dataset(minimal_dataset("other-set"))
    catalog_root.raw(
        "datasets", "broken-set", "# yaml-language-server: $schema=../../schemas/dataset.schema.json\nid: [\n"
    )

    def whole_catalog(*args, **kwargs):
        raise AssertionError("the whole catalog was parsed")

    monkeypatch.setattr("registry.catalog.parse_entries", whole_catalog)
    done = run_cli("fetch", "one-set", "--dry-run", "--format", "json", root=catalog_root.root)
    assert done.exit_code == 0, done.output
    assert '"dataset": "one-set"' in done.stdout


@pytest.mark.parametrize("entry_id", ["one-set", "broken-set", "one-sett", "../one-set", "twin", "ok-but-dangling"])
def test_every_id_gets_the_answer_the_whole_catalog_gives(
    catalog_root, run_cli, usreg_home: Path, monkeypatch, entry_id: str
) -> None:
    """An invalid file, an unknown id, a path for an id, a name a dataset and a model share, a dataset whose
    relations name a missing dataset: the same output and exit code as reading the whole catalog first."""
    catalog_root.dataset(minimal_dataset("one-set", version="1", sources=[{"kind": "zenodo", "id": "42"}]))
    catalog_root.raw(
        "datasets", "broken-set", "# yaml-language-server: $schema=../../schemas/dataset.schema.json\nid: [\n"
    )
    catalog_root.dataset(minimal_dataset("twin"))
    catalog_root.model(minimal_model("twin"))
    catalog_root.dataset(minimal_dataset("ok-but-dangling", relations={"family": ["no-such-set"]}))
    fast = run_cli("fetch", entry_id, "--dry-run", root=catalog_root.root)
    monkeypatch.setattr("registry.catalog.entry_file", lambda root, entry_id: None)
    whole = run_cli("fetch", entry_id, "--dry-run", root=catalog_root.root)
    assert (fast.exit_code, fast.output) == (whole.exit_code, whole.output)


def test_entry_file_finds_one_file_by_name(catalog_root) -> None:
    path = catalog_root.dataset(minimal_dataset("one-set"))
    catalog_root.dataset(minimal_dataset("twin"))
    catalog_root.model(minimal_model("twin"))
    assert entry_file(catalog_root.root, "one-set") == ("dataset", path)
    assert entry_file(catalog_root.root, "twin") is None
    assert entry_file(catalog_root.root, "no-such-set") is None
    assert entry_file(catalog_root.root, "../entries/datasets/one-set") is None
