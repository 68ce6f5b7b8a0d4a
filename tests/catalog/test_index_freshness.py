"""The index decides freshness from the entry files' stats, hashing them only when the stats changed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import registry.catalog as catalog_module
from registry.catalog import content_hash, entry_files, load_catalog
from registry.index import RegistryIndex
from tests.conftest import CatalogBuilder

DATASET = {
    "id": "fresh-set",
    "name": "Fresh set",
    "anatomy": ["breast"],
    "tasks": ["segmentation"],
    "species": ["human"],
    "access": "open",
    "sources": [{"kind": "http", "url": "https://example.org/fresh.zip"}],
}


@pytest.fixture
def built(catalog_root: CatalogBuilder) -> CatalogBuilder:
    catalog_root.dataset(DATASET)
    catalog_root.dataset({**DATASET, "id": "other-set", "name": "Other set"})
    return catalog_root


def _no_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(files):
        raise AssertionError("the entry files were hashed although their stats did not change")

    monkeypatch.setattr(catalog_module, "content_hash", refuse)


def test_unchanged_stats_mean_fresh_without_reading(built: CatalogBuilder, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(catalog_module, "RACY_NS", 0)  # the files were just written: trust their stats anyway
    RegistryIndex(built.root).ensure()  # records the stats it saw before reading the files
    _no_hashing(monkeypatch)
    assert RegistryIndex(built.root).is_fresh()


def test_changed_bytes_with_new_stats_are_found(built: CatalogBuilder, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(catalog_module, "RACY_NS", 0)
    RegistryIndex(built.root).ensure()
    path = built.root / "entries" / "datasets" / "fresh-set.yaml"
    text = path.read_text()
    path.write_text(text.replace("Fresh set", "Fresh sat"))  # same size, other bytes
    os.utime(path, ns=(10**18, 10**18))  # a distinct mtime even on a coarse clock
    assert not RegistryIndex(built.root).is_fresh()
    assert RegistryIndex(built.root).ensure()  # rebuilt
    assert RegistryIndex(built.root).query()[0]["name"] in {"Fresh sat", "Other set"}


def test_touched_but_unchanged_files_are_hashed_once(built: CatalogBuilder, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(catalog_module, "RACY_NS", 0)
    RegistryIndex(built.root).ensure()
    path = built.root / "entries" / "datasets" / "fresh-set.yaml"
    os.utime(path, ns=(10**18, 10**18))  # new stats, same bytes: a hash says fresh, and the new stats are recorded
    assert RegistryIndex(built.root).is_fresh()
    _no_hashing(monkeypatch)
    assert RegistryIndex(built.root).is_fresh()


def test_racy_files_are_never_trusted_to_their_stats(built: CatalogBuilder, monkeypatch: pytest.MonkeyPatch) -> None:
    """Files changed within the last seconds may change again without a visible stat change: hash them."""
    RegistryIndex(built.root).ensure()
    hashed = []
    real = catalog_module.content_hash

    def counting(files):
        hashed.append(1)
        return real(files)

    monkeypatch.setattr(catalog_module, "content_hash", counting)
    assert RegistryIndex(built.root).is_fresh() and RegistryIndex(built.root).is_fresh()
    assert len(hashed) == 2


def test_parsed_hash_is_the_content_hash_of_what_was_read(built: CatalogBuilder) -> None:
    built.raw("datasets", "broken", "id: [unclosed\n")
    loaded = load_catalog(built.root)
    assert loaded.errors  # an unparsable file has no digest: the hash falls back to reading the files
    assert loaded.parsed_hash() is None
    (built.root / "entries" / "datasets" / "broken.yaml").unlink()
    loaded = load_catalog(built.root)
    assert loaded.parsed_hash() == content_hash(entry_files(built.root))
    assert load_catalog(built.root, only=[Path(loaded.files["fresh-set"])]).parsed_hash() is None


def test_the_stats_cover_every_file_the_content_hash_reads(built: CatalogBuilder) -> None:
    """pathlib's glob, which lists the entry files, matches names that start with a dot: so do the stats."""
    before, _ = catalog_module.stat_fingerprint(built.root)
    built.raw("datasets", ".draft", "id: draft\n")
    after, _ = catalog_module.stat_fingerprint(built.root)
    assert any(p.name == ".draft.yaml" for _, p in entry_files(built.root))
    assert before != after
