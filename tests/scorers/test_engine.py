"""The engine: credit per evidence kind, evidence coverage, gates, caps, verification levels and the Score dict."""

from __future__ import annotations

import json

import pytest

from scorers import StaticEvidence, Verification, load_rubric, score_entry
from scorers.providers import OfflineProvider
from scorers.tiers import TIER_RANK
from tests.scorers.helpers import BARE_DATASET, RICH_DATASET, catalog_of, criterion, dataset, model


def _score(entry, catalog=None, verifications=None):
    """Offline checks plus the given verifications (standing in for data checks, link checks and benchmarks)."""
    providers = [OfflineProvider(), StaticEvidence({entry.id: verifications or []})]
    return score_entry(entry, catalog if catalog is not None else catalog_of(entry), evidence=providers).to_dict()


def test_score_dict_has_the_contract_fields() -> None:
    entry = dataset()
    d = score_entry(entry, catalog_of(entry)).to_dict()
    json.dumps(d)  # JSON-able
    for key in (
        "entry_id",
        "kind",
        "rubric_version",
        "tier",
        "tier_rank",
        "points",
        "max_points",
        "verification_level",
        "limited_by",
        "criteria",
        "next_tier",
    ):
        assert key in d
    assert d["entry_id"] == "rich-set" and d["kind"] == "dataset" and d["rubric_version"] == "dataset-v2"
    assert d["tier_rank"] == TIER_RANK[d["tier"]]
    for c in d["criteria"]:
        assert set(c) >= {
            "id",
            "group",
            "title",
            "points",
            "max_points",
            "evidence_kind",
            "why_it_matters",
            "how_to_earn",
            "flag",
        }
    assert set(d["next_tier"]) >= {"tier", "points_needed", "gates_failing", "actions"}


@pytest.mark.parametrize(
    ("changes", "expected_kind", "share"),
    [
        ({"evidence": []}, "self-reported", 0.4),
        (
            {"evidence": [{"url": "https://e.org/a", "fields": ["ethics.approval"]}]},
            "self-reported-with-evidence",
            0.6,
        ),
        ({"evidence": [{"url": "https://e.org/a", "fields": ["ethics"]}]}, "self-reported-with-evidence", 0.6),
        ({"evidence": [{"url": "https://e.org/a", "fields": ["*"]}]}, "self-reported-with-evidence", 0.6),
        ({"evidence": [{"url": "https://e.org/a", "fields": ["ethics.consent"]}]}, "self-reported", 0.4),
        ({"ethics": {}, "evidence": [{"url": "https://e.org/a", "fields": ["*"]}]}, "missing", 0.0),
    ],
)
def test_credit_follows_the_evidence(changes: dict, expected_kind: str, share: float) -> None:
    c = criterion(_score(dataset(**changes)), "ethics-approval")
    assert c["evidence_kind"] == expected_kind
    assert c["points"] == pytest.approx(share * c["max_points"])


def test_verified_earns_everything_and_contradicted_nothing_with_a_flag() -> None:
    entry = dataset()
    ok = _score(entry, verifications=[Verification("checks:subject_leakage", "verified", "no leakage")])
    bad = _score(entry, verifications=[Verification("checks:subject_leakage", "contradicted", "3 subjects leak")])
    good, flagged = criterion(ok, "subject-level-split"), criterion(bad, "subject-level-split")
    assert good["evidence_kind"] == "verified" and good["points"] == good["max_points"] == 4
    assert flagged["evidence_kind"] == "contradicted" and flagged["points"] == 0
    assert "3 subjects leak" in flagged["flag"]
    assert any("subject-level-split" in f for f in bad["flags"])


def test_match_all_needs_every_field() -> None:
    c = criterion(_score(dataset(modality={"modes": ["b-mode"]})), "modality")
    assert c["evidence_kind"] == "missing" and c["points"] == 0 and "partly stated" in c["note"]


def test_boolean_claims_must_be_true() -> None:
    c = criterion(_score(dataset(splits={"official": False})), "official-split")
    assert c["evidence_kind"] == "missing"


def test_verified_only_criteria_ignore_claims() -> None:
    d = _score(dataset(license="LicenseRef-custom", license_url="https://e.org/terms"))
    assert criterion(d, "licence-spdx")["evidence_kind"] == "missing"
    assert criterion(d, "licence-stated")["evidence_kind"] == "self-reported-with-evidence"


def test_points_add_up_and_respect_maxima() -> None:
    d = _score(dataset())
    assert sum(c["max_points"] for c in d["criteria"]) == d["max_points"] == 100
    assert d["points"] == pytest.approx(sum(c["points"] for c in d["criteria"]))
    assert sum(g["points"] for g in d["groups"]) == pytest.approx(d["points"])


def test_a_failing_gate_limits_the_tier_and_is_named() -> None:
    rich = dataset()
    base = _score(rich)
    assert TIER_RANK[base["tier"]] >= TIER_RANK["gold"]
    no_paper = _score(dataset(publications=[{"title": "A usage paper", "role": "usage", "doi": "10.1000/x.y"}]))
    assert no_paper["points_tier"] in ("gold", "platinum", "diamond")
    assert no_paper["tier"] == "silver"
    assert no_paper["limited_by"] == "descriptor-paper"
    gate = next(g for g in no_paper["gates"] if g["id"] == "descriptor-paper")
    assert gate["passed"] is False


def test_a_failed_data_check_caps_at_silver() -> None:
    entry = dataset()
    passing = ["loader_runs", "counts_match", "subject_leakage", "near_duplicates", "mask_values_in_class_map"]
    good = _score(entry, verifications=[Verification(f"checks:{n}", "verified", "ok") for n in passing])
    assert TIER_RANK[good["tier"]] > TIER_RANK["silver"] and good["verification_level"] == "V2"
    bad = _score(
        entry,
        verifications=[Verification(f"checks:{n}", "verified", "ok") for n in passing[1:]]
        + [Verification("checks:sizes_agree", "contradicted", "12 masks differ in size")],
    )
    assert bad["tier"] == "silver" and bad["limited_by"] == "failed-data-check"
    assert bad["verification_level"] == "V1"  # V2 needs every data check to pass


def test_model_gates_licence_and_released_weights() -> None:
    ds = dataset()
    full = model()
    ran = [
        Verification(key, "verified", "ok")
        for key in ("bench:forward-pass", "bench:reproduced", "links:code-reachable", "checks:datasets-subject-leakage")
    ]
    base = _score(full, catalog_of(ds, full), ran)
    assert TIER_RANK[base["points_tier"]] > TIER_RANK["gold"] and base["limited_by"] is None
    unlicensed = model(weights_license=None, code={"url": "https://github.com/example/rich-net", "ref": "v1.0"})
    d = _score(unlicensed, catalog_of(ds, unlicensed), ran)
    assert TIER_RANK[d["points_tier"]] > TIER_RANK["silver"]
    assert d["tier"] == "bronze" and d["limited_by"] == "licence-known"
    code_only = model(weights=[])
    no_run = [v for v in ran if v.key != "bench:forward-pass"]  # nothing to run without weights
    d = _score(code_only, catalog_of(ds, code_only), no_run)
    assert TIER_RANK[d["points_tier"]] > TIER_RANK["gold"]
    assert d["tier"] == "silver" and d["limited_by"] == "weights-released"


def test_rubric_v1_still_scores_with_its_own_credits() -> None:
    """v1 stays loadable; it did not tell a syntax check from a verification, and still does not."""
    entry = dataset(evidence=[])
    d = score_entry(entry, catalog_of(entry), rubric=load_rubric("dataset", "v1"), evidence=[OfflineProvider()])
    d = d.to_dict()
    assert d["rubric_version"] == "dataset-v1"
    assert criterion(d, "ethics-approval")["points"] == pytest.approx(0.5 * 3)
    assert criterion(d, "dataset-doi")["evidence_kind"] == "verified"  # v1 reading of a well-formed DOI
    v2 = _score(entry)
    assert criterion(v2, "dataset-doi")["evidence_kind"] == "well-formed"


def test_verification_levels() -> None:
    bare = dataset(BARE_DATASET)
    assert _score(bare)["verification_level"] == "V0"
    assert _score(dataset())["verification_level"] == "V1"  # SPDX licence, DOI syntax, ... checked offline
    v2 = _score(dataset(), verifications=[Verification("checks:loader_runs", "verified", "ran")])
    assert v2["verification_level"] == "V2"
    v3 = _score(
        dataset(),
        verifications=[
            Verification("checks:loader_runs", "verified", "ran"),
            Verification("bench:reproduced", "verified", "dice 0.85 reproduced"),
        ],
    )
    assert v3["verification_level"] == "V3"
    m = model()
    mv3 = _score(
        m,
        catalog_of(dataset(), m),
        [Verification("bench:forward-pass", "verified", "ok"), Verification("bench:reproduced", "verified", "ok")],
    )
    assert mv3["verification_level"] == "V3"
    assert criterion(mv3, "metric-reproduced")["evidence_kind"] == "verified"


def test_bare_entry_is_steel_with_a_plan() -> None:
    d = _score(dataset(BARE_DATASET))
    assert d["tier"] == "steel" and d["points"] < 11
    assert d["next_tier"]["tier"] == "bronze"
    assert "access-stated" in d["next_tier"]["gates_failing"]
    # the bare entry names no source at all: nothing a curator could read, so nothing a curator can state
    assert d["next_tier"]["curator"] == [] and d["next_tier"]["reachable_by_curator"] is False
    with_page = _score(dataset(BARE_DATASET, links={"homepage": "https://e.org/bare"}))
    assert with_page["next_tier"]["reachable_by_curator"] is True
    assert all(a["source"] == "https://e.org/bare" for a in with_page["next_tier"]["curator"] if "source" in a)


def test_rubric_version_is_recorded_and_a_kind_mismatch_refused() -> None:
    from scorers import RubricError

    entry = dataset()
    d = score_entry(entry, catalog_of(entry), rubric=load_rubric("dataset", "v1"), evidence=[]).to_dict()
    assert d["rubric_version"] == "dataset-v1" and len(d["rubric_sha256"]) == 64
    with pytest.raises(RubricError):
        score_entry(entry, catalog_of(entry), rubric=load_rubric("model"), evidence=[])


def test_derived_claims_use_the_catalog() -> None:
    ds = dataset()
    m = model(metrics=[{"dataset": "rich-set", "metric": "dice", "value": 0.8, "source": "https://e.org/r"}])
    d = _score(ds, catalog_of(ds, m))
    assert criterion(d, "baselines")["evidence_kind"] == "self-reported-with-evidence"
    md = _score(m, catalog_of(ds, m))
    assert criterion(md, "subject-level-split")["evidence_kind"] == "self-reported-with-evidence"
    lone = dataset(splits={"official": True})
    md = _score(m, catalog_of(lone, m))
    assert criterion(md, "subject-level-split")["evidence_kind"] == "missing"


def test_rich_entry_reaches_a_high_tier() -> None:
    d = _score(dataset(RICH_DATASET))
    assert d["points"] >= 50 and TIER_RANK[d["tier"]] >= TIER_RANK["gold"]
