"""Stored scores: the compact form round-trips, and the parallel batch gives exactly the serial rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from registry.catalog import load_catalog
from scorers import score_catalog
from scorers.batch import score_rows, stored_row
from scorers.stored import compact, expand

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def real_catalog():
    catalog = load_catalog(REPO)
    assert not catalog.errors
    return catalog


def test_compact_scores_expand_to_the_full_explanation(real_catalog) -> None:
    for score in score_catalog(real_catalog).values():
        full = json.loads(json.dumps(score.to_dict(), default=str))
        small = compact(full)
        direct = json.loads(json.dumps(score.to_compact(), default=str))  # what the index stores
        assert direct == small and list(direct) == list(small)
        assert [list(c) for c in direct["criteria"]] == [list(c) for c in small["criteria"]]
        assert len(json.dumps(small)) < len(json.dumps(full)) / 2
        assert "why_it_matters" not in json.dumps(small)
        restored = expand(json.loads(json.dumps(small)))
        assert restored == full
        assert list(restored) == list(full)
        assert [list(c) for c in restored["criteria"]] == [list(c) for c in full["criteria"]]
        assert [list(g) for g in restored["gates"]] == [list(g) for g in full["gates"]]


def test_stored_criteria_leave_out_their_defaults_and_older_full_rows_still_expand(real_catalog) -> None:
    score = next(iter(score_catalog(real_catalog, ids=["busi"]).values()))
    full = json.loads(json.dumps(score.to_dict(), default=str))
    small = json.loads(json.dumps(score.to_compact(), default=str))
    missing = next(c for c in small["criteria"] if c["evidence_kind"] == "missing" and "note" not in c)
    assert set(missing) == {"id", "points", "evidence_kind"}  # no flag, nothing stated, no verification, no note
    older = json.loads(json.dumps(small))  # as stored before the defaults were left out: every field written
    for c in older["criteria"]:
        c.update({k: c.get(k, d) for k, d in (("flag", None), ("stated", []), ("verifications", []), ("note", None))})
    assert expand(older) == expand(small) == full
    assert [list(c) for c in expand(older)["criteria"]] == [list(c) for c in full["criteria"]]


def test_a_compact_score_of_an_unknown_rubric_version_is_left_as_stored(real_catalog) -> None:
    score = next(iter(score_catalog(real_catalog, ids=["bus-bra"]).values()))
    small = compact(score.to_dict())
    small["rubric_version"] = "dataset-v99"
    assert expand(small) is small


def test_parallel_rows_equal_serial_rows(real_catalog, monkeypatch) -> None:
    serial = score_rows(real_catalog, workers=1)
    monkeypatch.setattr("scorers.batch.PARALLEL_THRESHOLD", 10)
    parallel = score_rows(real_catalog, workers=2)
    assert parallel == serial
    assert [r["entry_id"] for r in serial] == [*real_catalog.datasets, *real_catalog.models]
    from scorers import Scorer

    one = Scorer(real_catalog, plan=False).score(real_catalog.datasets["carotid-plaque"])
    assert next(r for r in serial if r["entry_id"] == "carotid-plaque") == stored_row(one, planned=False)


def test_deferred_plans_are_made_when_shown(real_catalog, monkeypatch) -> None:
    from scorers.plans import fill_plans, needs_plan

    ids = ["carotid-plaque", "bus-bra", "ultrasam"]
    rows = {r["entry_id"]: expand(json.loads(r["data"])) for r in score_rows(real_catalog, ids=ids)}
    assert all(needs_plan(d) and d["next_tier"] is None for d in rows.values())
    fill_plans(real_catalog, rows)
    full = score_catalog(real_catalog, ids=ids)
    for entry_id, shown in rows.items():
        expected = json.loads(json.dumps(full[entry_id].to_dict(), default=str))
        assert "planned" not in shown and shown == expected
        assert shown["next_tier"] is None or shown["next_tier"]["actions"]
    many = {r["entry_id"]: expand(json.loads(r["data"])) for r in score_rows(real_catalog)}
    monkeypatch.setattr("scorers.batch.PARALLEL_THRESHOLD", 10)  # the parallel path gives the same plans
    fill_plans(real_catalog, many)
    for entry_id in ids:
        assert many[entry_id] == rows[entry_id]
    planned = {r["entry_id"]: json.loads(r["data"]) for r in score_rows(real_catalog, ids=ids, plan=True)}
    assert not any(needs_plan(d) for d in planned.values())
