"""The repository's own catalog is valid, and its cross-links resolve."""

from __future__ import annotations

from registry.catalog import load_catalog
from tests.conftest import REPO_ROOT


def test_repository_catalog_is_valid():
    catalog = load_catalog(REPO_ROOT)
    assert not catalog.errors, "\n".join(f.render() for f in catalog.errors)
    assert "carotid-plaque" in catalog.datasets


def test_carotid_plaque_is_fetchable_from_mendeley():
    catalog = load_catalog(REPO_ROOT)
    entry = catalog.datasets["carotid-plaque"]
    source = entry.sources[0]
    assert (source.kind, source.id, source.version) == ("mendeley", "8srkpz52dy", "1")
    assert entry.license == "CC-BY-4.0"
    assert entry.counts.images == 541
    covered = {f for ev in entry.evidence for f in ev.fields}
    assert {"license", "sources", "counts.images"} <= covered


def test_every_stated_fact_of_every_entry_is_backed_by_evidence():
    from registry.evidence_check import unbacked_fields

    catalog = load_catalog(REPO_ROOT, duplicates=False)
    missing = {
        entry.id: unbacked_fields(entry)
        for items in (catalog.datasets, catalog.models)
        for entry in items.values()
        if unbacked_fields(entry)
    }
    assert not missing, f"facts without evidence (see `usreg validate --evidence`): {missing}"
