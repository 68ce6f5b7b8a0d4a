"""The index rows can be made where the entries are parsed (in the worker processes): the same rows either way."""

from __future__ import annotations

import sqlite3

import pytest

import registry.catalog as catalog_module
from registry.catalog import load_catalog
from registry.home import index_path
from registry.index import RegistryIndex, index_rows
from tests.conftest import CatalogBuilder

DATASET = {
    "id": "rows-set",
    "name": "Rows set",
    "anatomy": ["breast", "thyroid"],
    "tasks": ["segmentation"],
    "species": ["human"],
    "access": "open",
    "license": "CC-BY-4.0",
    "sources": [{"kind": "http", "url": "https://example.org/rows.zip"}],
}
MODEL = {"id": "rows-net", "name": "Rows net", "tasks": ["segmentation"], "anatomy": ["breast"]}


def _tables(root) -> dict[str, list[tuple]]:
    with sqlite3.connect(index_path(root)) as conn:
        return {t: sorted(conn.execute(f"SELECT * FROM {t}")) for t in ("entry", "facet")}


@pytest.mark.parametrize("workers", [False, True])
def test_prepared_rows_are_the_rows_the_index_makes(
    catalog_root: CatalogBuilder, monkeypatch: pytest.MonkeyPatch, workers: bool
) -> None:
    catalog_root.dataset(DATASET)
    catalog_root.dataset({**DATASET, "id": "rows-two", "name": "Rows two"})
    catalog_root.model(MODEL)
    if workers:
        monkeypatch.setattr(catalog_module, "PARALLEL_THRESHOLD", 1)  # parse (and prepare) in worker processes
    root = catalog_root.root
    prepared = load_catalog(root, duplicates=False, prepare=index_rows)
    assert set(prepared.prepared) == {"rows-set", "rows-two", "rows-net"}
    assert prepared.prepared["rows-set"] == index_rows(
        "dataset", prepared.datasets["rows-set"], "entries/datasets/rows-set.yaml"
    )
    RegistryIndex(root).rebuild(prepared)
    made_here = _tables(root)
    RegistryIndex(root).rebuild(load_catalog(root, duplicates=False))  # no prepared rows: made by the rebuild
    assert _tables(root) == made_here
    assert ("rows-set", "anatomy", "thyroid") in made_here["facet"]
