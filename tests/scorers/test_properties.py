"""Properties of scoring, checked with hypothesis over generated entries and evidence.

- deterministic;
- adding a true piece of evidence, or filling a missing field, never lowers the points;
- a contradicted claim never scores more than a missing one;
- every point is traceable to one criterion;
- the tier respects every gate and cap;
- the maximum points add up to the rubric total.
"""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry.schema import Dataset, Model
from scorers import StaticEvidence, Verification, load_rubric, score_entry
from scorers.providers import OfflineProvider
from scorers.tiers import TIER_RANK
from tests.scorers.helpers import RICH_DATASET, catalog_of

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Optional dataset facts, each with a true value; a generated entry states a random subset of them.
DATASET_FACTS: dict[str, Any] = {
    "version": "2",
    "release_date": "2022-02-02",
    "year": 2022,
    "dataset_doi": "10.5281/zenodo.999",
    "access": "open",
    "license": "CC-BY-4.0",
    "license_url": "https://creativecommons.org/licenses/by/4.0/",
    "sources": [{"kind": "zenodo", "id": "999"}],
    "formats": ["png"],
    "loader": {"name": "some-loader"},
    "modality.modes": ["b-mode"],
    "modality.dimensionality": ["2d"],
    "counts.images": 50,
    "counts.subjects": 10,
    "acquisition.countries": ["FR"],
    "acquisition.devices": ["Vendor B"],
    "acquisition.period": "2019-2020",
    "annotation.label_types": ["mask"],
    "annotation.classes": [{"id": 0, "name": "bg"}, {"id": 1, "name": "x"}],
    "annotation.annotators": [{"expertise": "sonographer"}],
    "annotation.protocol": "Outlined once.",
    "annotation.agreement": "kappa 0.8",
    "annotation.reference_standard": "follow-up",
    "splits.official": True,
    "splits.subject_level": True,
    "splits.subject_ids": True,
    "demographics.age": "20-60",
    "ethics.approval": "IRB 7",
    "ethics.deidentification": "anonymised",
    "ethics.consent": "waived",
    "preprocessing": "Cropped.",
    "limitations": "Small.",
    "contact": "a@b.org",
    "changelog": [{"date": "2022-02-02", "change": "v2"}],
    "links.challenge": "https://challenge.example.org",
    "publications": [{"title": "Paper", "doi": "10.1000/paper.1", "role": "descriptor"}],
}
MODEL_FACTS: dict[str, Any] = {
    "code": {"url": "https://github.com/x/y", "license": "MIT"},
    "weights": [{"format": "onnx", "source": {"kind": "zenodo", "id": "55"}}],
    "weights_license": "Apache-2.0",
    "archive_doi": "10.5281/zenodo.55",
    "model_card": "https://x.org/card",
    "trained_on": ["rich-set"],
    "evaluated_on": ["other-set"],
    "metrics": [{"dataset": "other-set", "metric": "dice", "value": 0.8}],
    "reproducibility.pinned_dependencies": True,
    "reproducibility.train_script": True,
    "reproducibility.eval_script": True,
    "reproducibility.inference_example": True,
    "reproducibility.reproduction_command": "make eval",
    "evaluation.uncertainty": True,
    "evaluation.external_validation": True,
    "evaluation.subgroups": True,
    "evaluation.failure_analysis": True,
    "intended_use": "Research.",
    "regulatory_status": "research use only",
}
DATASET_PATHS = sorted({k.split(".")[0] for k in DATASET_FACTS} | set(DATASET_FACTS) | {"*", "counts", "annotation"})
MODEL_PATHS = sorted({k.split(".")[0] for k in MODEL_FACTS} | set(MODEL_FACTS) | {"*"})
CHECK_KEYS = [
    "checks:loader_runs",
    "checks:counts_match",
    "checks:subject_leakage",
    "checks:near_duplicates",
    "checks:mask_values_in_class_map",
    "checks:dicom_phi",
    "checks:sizes_agree",
    "links:all-alive",
    "links:source-reachable",
    "bench:reproduced",
    "bench:dataset-baseline",
]
MODEL_CHECK_KEYS = ["bench:forward-pass", "bench:reproduced", "links:code-reachable", "checks:datasets-subject-leakage"]
OTHER = Dataset.model_validate({"id": "other-set", "name": "Other", "anatomy": ["liver"]})
RICH = Dataset.model_validate(RICH_DATASET)


def _set(data: dict, path: str, value: Any) -> None:
    parts = path.split(".")
    for part in parts[:-1]:
        data = data.setdefault(part, {})
    data[parts[-1]] = copy.deepcopy(value)


def _build(kind: str, facts: list[str], evidence: list[list[str]]) -> Dataset | Model:
    table = DATASET_FACTS if kind == "dataset" else MODEL_FACTS
    if kind == "dataset":
        data: dict[str, Any] = {"id": "gen-set", "name": "Generated", "anatomy": ["kidney"]}
    else:
        data = {"id": "gen-net", "name": "Generated", "tasks": ["segmentation"]}
    for path in facts:
        _set(data, path, table[path])
    if evidence:
        data["evidence"] = [{"url": f"https://e.org/{i}", "fields": fields} for i, fields in enumerate(evidence)]
    cls = Dataset if kind == "dataset" else Model
    return cls.model_validate(data)


@st.composite
def cases(draw, kind: str | None = None):
    kind = kind or draw(st.sampled_from(["dataset", "model"]))
    table, paths, keys = (
        (DATASET_FACTS, DATASET_PATHS, CHECK_KEYS)
        if kind == "dataset"
        else (MODEL_FACTS, MODEL_PATHS, MODEL_CHECK_KEYS)
    )
    facts = draw(st.lists(st.sampled_from(sorted(table)), unique=True))
    evidence = draw(st.lists(st.lists(st.sampled_from(paths), min_size=1, max_size=4, unique=True), max_size=3))
    outcomes = draw(st.dictionaries(st.sampled_from(keys), st.sampled_from(["verified", "contradicted"])))
    return kind, facts, evidence, outcomes


def _score(kind: str, facts: list[str], evidence: list[list[str]], outcomes: dict[str, str]) -> dict:
    entry = _build(kind, facts, evidence)
    verifications = [Verification(k, o, f"{k} {o}") for k, o in sorted(outcomes.items())]
    catalog = catalog_of(RICH, OTHER, entry)
    providers = [OfflineProvider(), StaticEvidence({entry.id: verifications})]
    return score_entry(entry, catalog, evidence=providers).to_dict()


@SETTINGS
@given(cases())
def test_deterministic(case) -> None:
    assert _score(*case) == _score(*case)


@SETTINGS
@given(cases(), st.data())
def test_filling_a_missing_field_never_lowers_points(case, data) -> None:
    kind, facts, evidence, outcomes = case
    table = DATASET_FACTS if kind == "dataset" else MODEL_FACTS
    missing = sorted(set(table) - set(facts))
    if not missing:
        return
    extra = data.draw(st.sampled_from(missing))
    before = _score(kind, facts, evidence, outcomes)
    after = _score(kind, [*facts, extra], evidence, outcomes)
    assert after["points"] >= before["points"], extra


@SETTINGS
@given(cases(), st.data())
def test_adding_true_evidence_never_lowers_points(case, data) -> None:
    kind, facts, evidence, outcomes = case
    paths, keys = (DATASET_PATHS, CHECK_KEYS) if kind == "dataset" else (MODEL_PATHS, MODEL_CHECK_KEYS)
    more_urls = [*evidence, data.draw(st.lists(st.sampled_from(paths), min_size=1, max_size=3, unique=True))]
    before = _score(kind, facts, evidence, outcomes)
    assert _score(kind, facts, more_urls, outcomes)["points"] >= before["points"]
    unchecked = sorted(set(keys) - set(outcomes))
    if unchecked:
        key = data.draw(st.sampled_from(unchecked))
        assert _score(kind, facts, evidence, {**outcomes, key: "verified"})["points"] >= before["points"]


@SETTINGS
@given(
    cases(kind="dataset"),
    st.sampled_from(
        ["checks:subject_leakage", "checks:counts_match", "checks:mask_values_in_class_map", "checks:dicom_phi"]
    ),
)
def test_contradicted_never_scores_more_than_missing(case, key) -> None:
    kind, facts, evidence, outcomes = case
    rubric = load_rubric("dataset")
    crit = next(c for c in rubric.criteria if key in c.verify)
    contradicted = _score(kind, facts, evidence, {**outcomes, key: "contradicted"})
    without_claim = [
        f for f in facts if not any(f == p or f.startswith(p + ".") or p.startswith(f + ".") for p in crit.fields)
    ]
    missing = _score(kind, without_claim, evidence, {k: v for k, v in outcomes.items() if k != key})
    c_pts = next(c for c in contradicted["criteria"] if c["id"] == crit.id)
    m_pts = next(c for c in missing["criteria"] if c["id"] == crit.id)
    assert c_pts["evidence_kind"] == "contradicted" and m_pts["evidence_kind"] == "missing"
    assert c_pts["points"] <= m_pts["points"]
    assert c_pts["flag"]


@SETTINGS
@given(cases())
def test_every_point_is_traceable_to_one_criterion(case) -> None:
    d = _score(*case)
    rubric = load_rubric(d["kind"])
    ids = [c["id"] for c in d["criteria"]]
    assert ids == [c.id for c in rubric.criteria] and len(set(ids)) == len(ids)
    assert abs(sum(c["points"] for c in d["criteria"]) - d["points"]) < 1e-9
    credit = {k: float(v) for k, v in rubric.credit.items()}
    for c in d["criteria"]:
        assert 0 <= c["points"] <= c["max_points"]
        assert abs(c["points"] - credit[c["evidence_kind"]] * c["max_points"]) < 1e-9


@SETTINGS
@given(cases())
def test_tier_respects_every_gate_and_cap(case) -> None:
    d = _score(*case)
    rank = TIER_RANK[d["tier"]]
    rubric = load_rubric(d["kind"])
    assert rank <= TIER_RANK[d["points_tier"]]
    assert d["points"] >= dict(rubric.thresholds)[d["tier"]] / rubric.scale
    for gate in d["gates"]:
        if TIER_RANK[gate["tier"]] <= rank:
            assert gate["passed"], gate["id"]
    for cap in d["caps"]:
        if cap["applies"]:
            assert rank <= TIER_RANK[cap["max_tier"]], cap["id"]
    if rank < TIER_RANK[d["points_tier"]]:
        assert d["limited_by"] in {g["id"] for g in d["gates"] if not g["passed"]} | {
            c["id"] for c in d["caps"] if c["applies"]
        }
    else:
        assert d["limited_by"] is None


@SETTINGS
@given(cases())
def test_points_sum_to_the_rubric_total(case) -> None:
    d = _score(*case)
    assert sum(c["max_points"] for c in d["criteria"]) == d["max_points"] == load_rubric(d["kind"]).total


@SETTINGS
@given(cases())
def test_the_plan_reaches_the_next_tier_when_it_says_so(case) -> None:
    d = _score(*case)
    plan = d["next_tier"]
    if plan is None:
        assert d["tier"] == "diamond"
        return
    assert TIER_RANK[plan["tier"]] == d["tier_rank"] + 1
    gained = sum(a["points"] for a in plan["actions"])
    assert abs(d["points"] + gained - plan["points_after"]) < 1e-6
    if plan["reachable"]:
        assert plan["points_after"] >= plan["min_points"]
        reasons = {r for a in plan["actions"] for r in a["for"].split(", ")}
        assert {f"gate:{g}" for g in plan["gates_failing"]} <= reasons
        assert {f"cap:{c}" for c in plan["caps_blocking"]} <= reasons
