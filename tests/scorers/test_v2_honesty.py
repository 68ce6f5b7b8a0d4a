"""Rubric v2 honesty: only a check that could have failed yields "verified"; a data record cited by its own DOI is
not a contradiction."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from registry.catalog import load_catalog
from scorers import Verification, score_entry
from scorers.providers import FetchLockProvider, LinkCheckProvider, OfflineProvider
from tests.scorers.helpers import catalog_of, criterion, dataset, model

REPO = Path(__file__).resolve().parents[2]


def _score(entry, catalog=None, providers=None):
    providers = providers if providers is not None else [OfflineProvider()]
    return score_entry(entry, catalog if catalog is not None else catalog_of(entry), evidence=providers).to_dict()


def test_a_made_up_weights_hash_is_well_formed_not_verified() -> None:
    made_up = model(
        weights=[{"format": "onnx", "source": {"kind": "http", "url": "https://e.org/w.onnx"}, "sha256": "0" * 64}]
    )
    d = _score(made_up, catalog_of(dataset(), made_up))
    weights = criterion(d, "weights")
    assert weights["evidence_kind"] == "well-formed"
    assert weights["points"] < weights["max_points"]
    # the gate that needs a real check stays closed: the hash was never compared with bytes
    assert all(v["outcome"] != "verified" for v in weights["verifications"])
    ran = _score(
        made_up,
        catalog_of(dataset(), made_up),
        [OfflineProvider(), _static(made_up.id, Verification("bench:forward-pass", "verified", "loaded, output ok"))],
    )
    assert criterion(ran, "weights")["evidence_kind"] == "verified"


def _static(entry_id, *verifications):
    from scorers import StaticEvidence

    return StaticEvidence({entry_id: list(verifications)})


def test_a_doi_is_only_well_formed_until_a_dated_check_resolves_it(tmp_path: Path) -> None:
    entry = dataset()
    assert criterion(_score(entry), "dataset-doi")["evidence_kind"] == "well-formed"
    (tmp_path / "verification").mkdir()
    report = {
        "checked": "2026-12-01",
        "links": [{"url": f"https://doi.org/{entry.dataset_doi}", "status": "alive", "http_status": 200}],
    }
    (tmp_path / "verification" / f"{entry.id}.json").write_text(json.dumps(report), encoding="utf-8")
    d = _score(entry, catalog_of(entry, root=tmp_path), [OfflineProvider(), LinkCheckProvider(tmp_path)])
    doi = criterion(d, "dataset-doi")
    assert doi["evidence_kind"] == "verified"
    assert any(v["outcome"] == "verified" and "2026-12-01" in v["detail"] for v in doi["verifications"])
    cited = {
        "checked": "2026-12-01",
        "links": [{"url": f"https://doi.org/{entry.publications[0].doi}", "status": "alive", "http_status": 200}],
    }
    (tmp_path / "verification" / f"{entry.id}.json").write_text(json.dumps(cited), encoding="utf-8")
    d = _score(entry, catalog_of(entry, root=tmp_path), [OfflineProvider(), LinkCheckProvider(tmp_path)])
    assert criterion(d, "citation")["evidence_kind"] == "verified"
    assert criterion(d, "dataset-doi")["evidence_kind"] == "well-formed"  # its own DOI was not checked
    report["links"][0]["status"] = "dead"
    (tmp_path / "verification" / f"{entry.id}.json").write_text(json.dumps(report), encoding="utf-8")
    d = _score(entry, catalog_of(entry, root=tmp_path), [OfflineProvider(), LinkCheckProvider(tmp_path)])
    assert criterion(d, "dataset-doi")["evidence_kind"] == "contradicted"


def test_declared_checksums_are_verified_only_by_bytes_that_matched(tmp_path: Path) -> None:
    entry = dataset()
    assert criterion(_score(entry), "file-checksums")["evidence_kind"] == "well-formed"
    folder = tmp_path / "downloads" / entry.id / entry.version
    folder.mkdir(parents=True)
    files = {"a.zip": {"sha256": "1" * 64, "trust": "host"}, "b.zip": {"sha256": "2" * 64, "trust": "tofu"}}
    (folder / "usreg.lock.json").write_text(json.dumps({"files": files}), encoding="utf-8")
    providers = [OfflineProvider(), FetchLockProvider(tmp_path)]
    # one file was only trusted on first use: nothing was compared, so nothing is verified
    assert criterion(_score(entry, providers=providers), "file-checksums")["evidence_kind"] == "well-formed"
    files["b.zip"]["trust"] = "entry"
    (folder / "usreg.lock.json").write_text(json.dumps({"files": files}), encoding="utf-8")
    providers = [OfflineProvider(), FetchLockProvider(tmp_path)]
    assert criterion(_score(entry, providers=providers), "file-checksums")["evidence_kind"] == "verified"
    files["b.zip"]["trust"] = "unverified"
    (folder / "usreg.lock.json").write_text(json.dumps({"files": files}), encoding="utf-8")
    providers = [OfflineProvider(), FetchLockProvider(tmp_path)]
    assert criterion(_score(entry, providers=providers), "file-checksums")["evidence_kind"] == "well-formed"


def test_a_paper_doi_given_as_the_data_doi_is_still_a_contradiction() -> None:
    entry = dataset(dataset_doi="10.1000/rich.paper")
    d = _score(entry)
    assert criterion(d, "dataset-doi")["evidence_kind"] == "contradicted"
    assert any(g["id"] == "no-contradictions" and not g["passed"] for g in d["gates"])
    fix = next(a for a in d["next_tier"]["curator"] if a["criterion"] == "dataset-doi")
    assert fix["action"] == "fix" and fix["fields"] == ["dataset_doi"] and "DOI of a publication" in fix["how"]


@pytest.fixture(scope="module")
def real_catalog():
    return load_catalog(REPO, duplicates=False)


@pytest.mark.parametrize("entry_id", ["mimic-iv-echo", "ccaui", "echoview-mimic"])
def test_a_data_record_cited_by_its_own_doi_is_not_a_contradiction(real_catalog, entry_id: str) -> None:
    entry = real_catalog.datasets.get(entry_id)
    if entry is None:
        pytest.skip(f"{entry_id} is not in the catalog")
    assert entry.dataset_doi and entry.dataset_doi.lower() in {p.doi.lower() for p in entry.publications if p.doi}
    d = _score(entry, real_catalog)
    doi = criterion(d, "dataset-doi")
    assert doi["evidence_kind"] == "well-formed" and "data record" in doi["verifications"][0]["detail"]
    assert not d["flags"]
    assert next(g for g in d["gates"] if g["id"] == "no-contradictions")["passed"]
