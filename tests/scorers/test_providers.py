"""Evidence providers: offline checks, the data checks file, link checks and benchmark reproductions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scorers import EvidenceContext, load_rubric, score_entry
from scorers.providers import (
    BenchProvider,
    BenchRecord,
    DataChecksProvider,
    LinkCheckProvider,
    OfflineProvider,
    default_providers,
    records_from_results,
)
from tests.scorers.helpers import BARE_DATASET, catalog_of, criterion, dataset, model, write_checks


def _offline(entry, catalog) -> dict[str, tuple[str, str]]:
    kind = "model" if entry.__class__.__name__ == "Model" else "dataset"
    ctx = EvidenceContext(catalog, load_rubric(kind))
    return {v.key: (v.outcome, v.detail) for v in OfflineProvider().verify(entry, kind, ctx)}


# -- offline ------------------------------------------------------------------------------------------------------
def test_offline_dataset_checks() -> None:
    entry = dataset()
    found = _offline(entry, catalog_of(entry))
    assert found["offline:spdx"][0] == "verified" and "CC-BY-4.0" in found["offline:spdx"][1]
    # syntax checks cannot fail on a wrong fact: they report "well-formed", never "verified"
    assert found["offline:dataset-doi"][0] == "well-formed"
    assert found["offline:citation"][0] == "well-formed"
    assert found["offline:checksums"][0] == "well-formed" and "Zenodo" in found["offline:checksums"][1]
    assert found["offline:open-formats"][0] == "well-formed"
    assert "offline:used-by-model" not in found


def test_custom_licence_is_not_spdx_and_paper_doi_is_not_a_data_doi() -> None:
    entry = dataset(license="LicenseRef-terms", license_url="https://e.org/t", dataset_doi="10.1000/rich.paper")
    found = _offline(entry, catalog_of(entry))
    assert "offline:spdx" not in found
    outcome, detail = found["offline:dataset-doi"]
    assert outcome == "contradicted" and "DOI of a publication" in detail


def test_checksums_declared_missing_or_conflicting() -> None:
    http = [{"kind": "http", "url": "https://e.org/a.zip", "files": [{"name": "a.zip", "md5": "0" * 32}]}]
    found = _offline(dataset(sources=http), catalog_of())
    assert found["offline:checksums"][0] == "well-formed"
    bare = [{"kind": "http", "url": "https://e.org/a.zip", "files": [{"name": "a.zip"}]}]
    assert "offline:checksums" not in _offline(dataset(sources=bare), catalog_of())
    clash = http + [{"kind": "http", "url": "https://mirror.org/a.zip", "files": [{"name": "a.zip", "md5": "1" * 32}]}]
    outcome, detail = _offline(dataset(sources=clash), catalog_of())["offline:checksums"]
    assert outcome == "contradicted" and "a.zip" in detail


def test_non_open_formats_are_not_verified() -> None:
    assert "offline:open-formats" not in _offline(dataset(formats=["png", "mat"]), catalog_of())


def test_cross_references_and_usage() -> None:
    ds = dataset()
    other = dataset(BARE_DATASET, relations={"family": ["rich-set"]})
    dangling = dataset(BARE_DATASET, id="orphan-set", relations={"derived_from": ["ghost-set"]})
    m = model()
    catalog = catalog_of(ds, other, dangling, m)
    assert _offline(ds, catalog)["offline:used-by-model"][0] == "verified"
    assert _offline(other, catalog)["offline:cross-references"][0] == "verified"
    outcome, detail = _offline(dangling, catalog)["offline:cross-references"]
    assert outcome == "contradicted" and "ghost-set" in detail


def test_model_datasets_must_be_in_the_registry() -> None:
    ds = dataset()
    m = model(trained_on=["rich-set", "ghost-set"], evaluated_on=["rich-set", "other-set"])
    found = _offline(m, catalog_of(ds, dataset(BARE_DATASET, id="other-set"), m))
    assert (
        found["offline:trained-on-registry"][0] == "contradicted"
        and "ghost-set" in found["offline:trained-on-registry"][1]
    )
    assert found["offline:evaluated-on-registry"][0] == "verified"
    assert found["offline:external-validation"][0] == "verified"
    assert found["offline:spdx"][0] == "verified" and found["offline:archive-doi"][0] == "well-formed"
    score = score_entry(m, catalog_of(ds, m), evidence=[OfflineProvider()]).to_dict()
    assert criterion(score, "trained-on-registry")["evidence_kind"] == "contradicted"
    gate = next(g for g in score["gates"] if g["id"] == "no-contradictions")
    assert gate["passed"] is False


# -- data checks (checks.json) ------------------------------------------------------------------------------------
ALL_PASS = {
    "loader_runs": "pass",
    "counts_match": "pass",
    "sizes_agree": "pass",
    "mask_values_in_class_map": "pass",
    "subject_leakage": "pass",
    "near_duplicates": "pass",
    "dicom_phi": "skipped",
    "burned_in_annotations": "pass",
    "empty_mask_fraction": "info",
}


def _with_checks(home: Path, statuses: dict[str, str], entry=None, **extra) -> dict:
    entry = entry or dataset()
    write_checks(home, entry.id, entry.version or "1", statuses, **extra)
    return score_entry(entry, catalog_of(entry), home=home).to_dict()


def test_passing_checks_verify_at_v2(tmp_path: Path) -> None:
    d = _with_checks(
        tmp_path, ALL_PASS, raw_checks=[{"name": "split_kind", "status": "info", "details": {"kind": "official"}}]
    )
    assert d["verification_level"] == "V2"
    for cid in (
        "subject-level-split",
        "near-duplicates",
        "counts-match",
        "loader-runs",
        "label-schema",
        "subject-ids",
        "official-split",
        "preprocessing",
    ):
        assert criterion(d, cid)["evidence_kind"] == "verified", cid
    assert criterion(d, "deidentification")["evidence_kind"] == "self-reported-with-evidence"  # skipped: no change
    detail = criterion(d, "subject-level-split")["verifications"][0]["detail"]
    assert "subject_leakage: pass" in detail and "1/checks.json" in detail


def test_croissant_needs_the_file(tmp_path: Path) -> None:
    entry = dataset()
    path = write_checks(tmp_path, entry.id, "1", ALL_PASS)
    before = score_entry(entry, catalog_of(entry), home=tmp_path).to_dict()
    assert criterion(before, "metadata-export")["evidence_kind"] != "verified"
    (path.parent / "croissant.json").write_text("{}", encoding="utf-8")
    after = score_entry(entry, catalog_of(entry), home=tmp_path).to_dict()
    assert criterion(after, "metadata-export")["evidence_kind"] == "verified"


def test_a_failing_check_contradicts_and_caps_at_silver(tmp_path: Path) -> None:
    d = _with_checks(tmp_path, {**ALL_PASS, "subject_leakage": "fail"})
    c = criterion(d, "subject-level-split")
    assert c["evidence_kind"] == "contradicted" and c["points"] == 0 and "subject_leakage: fail" in c["flag"]
    assert d["tier"] in ("steel", "bronze", "silver")
    assert any(cap["id"] == "failed-data-check" and cap["applies"] for cap in d["caps"])
    assert d["verification_level"] != "V2"


def test_a_failing_check_without_a_criterion_still_caps(tmp_path: Path) -> None:
    d = _with_checks(tmp_path, {**ALL_PASS, "sizes_agree": "fail"})
    assert d["tier"] == "silver" and d["limited_by"] == "failed-data-check"
    fixes = [a for a in d["next_tier"]["actions"] if "cap:failed-data-check" in a["for"].split(", ")]
    assert fixes and "sizes_agree" in fixes[0]["how"]


def test_unversioned_dataset_uses_the_newest_checks(tmp_path: Path) -> None:
    entry = dataset(version=None)
    write_checks(tmp_path, entry.id, "a", {"subject_leakage": "fail"}, created="2026-01-01T00:00:00Z")
    write_checks(tmp_path, entry.id, "b", {"subject_leakage": "pass"}, created="2026-06-01T00:00:00Z")
    provider = DataChecksProvider(tmp_path)
    assert provider.locate(entry).parent.name == "b"
    d = score_entry(entry, catalog_of(entry), home=tmp_path).to_dict()
    assert criterion(d, "subject-level-split")["evidence_kind"] == "verified"


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ("{not json", "not valid JSON"),
        (json.dumps({"schema": "other/1", "checks": []}), "expected 'usreg-checks/1'"),
        (json.dumps({"schema": "usreg-checks/1", "dataset": "someone-else", "checks": []}), "written for dataset"),
        (json.dumps({"schema": "usreg-checks/1", "checks": [{"name": "x", "status": "great"}]}), "has status"),
    ],
)
def test_a_bad_checks_file_is_noted_not_fatal(tmp_path: Path, payload: str, message: str) -> None:
    entry = dataset()
    folder = tmp_path / "datasets" / entry.id / "1"
    folder.mkdir(parents=True)
    (folder / "checks.json").write_text(payload, encoding="utf-8")
    d = score_entry(entry, catalog_of(entry), home=tmp_path).to_dict()
    assert any(message in note and "checks.json" in note for note in d["notes"]), d["notes"]
    assert d["verification_level"] == "V1"


def test_model_subject_split_follows_its_datasets_checks(tmp_path: Path) -> None:
    ds, m = dataset(), model()
    write_checks(tmp_path, ds.id, "1", {"subject_leakage": "pass"})
    d = score_entry(m, catalog_of(ds, m), home=tmp_path).to_dict()
    assert criterion(d, "subject-level-split")["evidence_kind"] == "verified"
    write_checks(tmp_path, ds.id, "1", {"subject_leakage": "fail"})
    d = score_entry(m, catalog_of(ds, m), home=tmp_path).to_dict()
    assert criterion(d, "subject-level-split")["evidence_kind"] == "contradicted"


# -- link checks --------------------------------------------------------------------------------------------------
def _links(root: Path, entry_id: str, links: list[dict], checked: str = "2026-11-20") -> None:
    (root / "verification").mkdir(parents=True, exist_ok=True)
    (root / "verification" / f"{entry_id}.json").write_text(json.dumps({"checked": checked, "links": links}))


def test_link_checks(tmp_path: Path) -> None:
    src = "https://e.org/a.zip"
    entry = dataset(sources=[{"kind": "http", "url": src}])
    catalog = catalog_of(entry, root=tmp_path)
    _links(
        tmp_path,
        entry.id,
        [
            {"url": src, "status": "alive", "http_status": 200},
            {"url": "https://e.org/page", "status": "moved", "http_status": 301, "location": "https://e.org/new"},
        ],
    )
    d = score_entry(entry, catalog, evidence=[LinkCheckProvider(tmp_path)]).to_dict()
    assert criterion(d, "links-alive")["evidence_kind"] == "verified"
    assert "2026-11-20" in criterion(d, "links-alive")["verifications"][0]["detail"]
    assert criterion(d, "access-route")["evidence_kind"] == "verified"
    _links(tmp_path, entry.id, [{"url": src, "status": "dead", "http_status": 404}])
    d = score_entry(entry, catalog, evidence=[LinkCheckProvider(tmp_path)]).to_dict()
    assert criterion(d, "links-alive")["evidence_kind"] == "contradicted"
    assert criterion(d, "access-route")["evidence_kind"] == "contradicted"
    _links(tmp_path, entry.id, [{"url": src, "status": "rate-limited", "http_status": 429}])
    d = score_entry(entry, catalog, evidence=[LinkCheckProvider(tmp_path)]).to_dict()
    assert criterion(d, "links-alive")["evidence_kind"] == "missing"  # inconclusive


def test_model_code_link(tmp_path: Path) -> None:
    ds, m = dataset(), model()
    _links(tmp_path, m.id, [{"url": "https://github.com/example/rich-net", "status": "alive", "field": "code.url"}])
    d = score_entry(m, catalog_of(ds, m, root=tmp_path), evidence=[LinkCheckProvider(tmp_path)]).to_dict()
    assert criterion(d, "code")["evidence_kind"] == "verified"


def test_bad_link_report_is_noted(tmp_path: Path) -> None:
    entry = dataset()
    (tmp_path / "verification").mkdir()
    (tmp_path / "verification" / f"{entry.id}.json").write_text(json.dumps({"checked": "yesterday", "links": []}))
    d = score_entry(entry, catalog_of(entry, root=tmp_path), evidence=[LinkCheckProvider(tmp_path)]).to_dict()
    assert any("ISO date" in n for n in d["notes"])


# -- benchmark reproductions --------------------------------------------------------------------------------------
def test_reproduction_within_the_rubric_tolerance() -> None:
    ds, m = dataset(), model()
    tol = load_rubric("model").params.reproduction_tolerance
    close = BenchRecord(m.id, dataset_id=ds.id, metric="dice", reported=0.85, reproduced=0.85 - tol.absolute / 2)
    far = BenchRecord(m.id, dataset_id=ds.id, metric="dice", reported=0.85, reproduced=0.70)
    good = score_entry(m, catalog_of(ds, m), evidence=[BenchProvider([close])]).to_dict()
    assert criterion(good, "metric-reproduced")["evidence_kind"] == "verified"
    assert good["verification_level"] == "V3"
    bad = score_entry(m, catalog_of(ds, m), evidence=[BenchProvider([far])]).to_dict()
    c = criterion(bad, "metric-reproduced")
    assert c["evidence_kind"] == "contradicted" and "0.7" in c["flag"]
    on_dataset = score_entry(ds, catalog_of(ds, m), evidence=[BenchProvider([close])]).to_dict()
    assert on_dataset["verification_level"] == "V3"
    assert criterion(on_dataset, "baselines")["evidence_kind"] == "verified"


def test_reproductions_from_benchmark_results_respect_units_and_splits() -> None:
    ds = dataset()
    m = model(metrics=[{"dataset": "rich-set", "split": "test", "metric": "Dice", "value": 85.0, "unit": "%"}])
    catalog = catalog_of(ds, m)
    rows = [
        {"dataset_id": "rich-set", "model_id": m.id, "split": "test", "metric": "dice", "value": 0.848, "run_id": "r1"},
        {"dataset_id": "rich-set", "model_id": m.id, "split": "val", "metric": "dice", "value": 0.1, "run_id": "r2"},
    ]
    records = records_from_results(catalog, rows)
    assert len(records) == 1 and records[0].reported == pytest.approx(0.85) and records[0].reproduced == 0.848
    d = score_entry(m, catalog, evidence=[BenchProvider(records)]).to_dict()
    assert criterion(d, "metric-reproduced")["evidence_kind"] == "verified"


def test_forward_pass_records_and_file(tmp_path: Path) -> None:
    ds, m = dataset(), model()
    (tmp_path / "bench").mkdir()
    (tmp_path / "bench" / "reproductions.json").write_text(
        json.dumps(
            {
                "schema": "usreg-bench-verifications/1",
                "records": [
                    {"model_id": m.id, "check": "forward-pass", "ok": True, "detail": "onnx output 1x2x256x256"}
                ],
            }
        )
    )
    providers = default_providers(catalog_of(ds, m), home=tmp_path)
    d = score_entry(m, catalog_of(ds, m), evidence=providers).to_dict()
    assert criterion(d, "forward-pass")["evidence_kind"] == "verified"
    assert d["verification_level"] == "V2"


def test_bad_reproductions_file_is_reported(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "bench").mkdir()
    (tmp_path / "bench" / "reproductions.json").write_text(json.dumps({"schema": "nope"}))
    with caplog.at_level("WARNING"):
        BenchProvider.from_sources(catalog_of(), tmp_path)
    assert "reproductions.json" in caplog.text
