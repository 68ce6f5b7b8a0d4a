"""next_tier: the cheapest set of actions (checked against brute force), gates and caps first, shared runs."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from scorers import StaticEvidence, Verification, score_entry
from scorers.planner import Action, cheapest_cover
from scorers.providers import OfflineProvider
from scorers.tiers import TIER_RANK
from tests.scorers.helpers import BARE_DATASET, catalog_of, dataset


def _act(group: int, cost: int, gain: int) -> Action:
    return Action(f"c{group}", "fill", "self-reported", gain, cost, "", "points")


def _brute(groups: list[tuple[Action, ...]], need: int) -> int | None:
    best = None
    for choice in itertools.product(*[(None, *g) for g in groups]):
        picked = [a for a in choice if a is not None]
        if sum(a.gain for a in picked) >= need:
            cost = sum(a.cost for a in picked)
            best = cost if best is None else min(best, cost)
    return best


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.lists(st.tuples(st.integers(1, 5), st.integers(1, 12)), min_size=1, max_size=3), min_size=1, max_size=6
    ),
    st.integers(1, 40),
)
def test_cheapest_cover_is_exact(raw, need) -> None:
    groups = [tuple(_act(i, c, g) for c, g in options) for i, options in enumerate(raw)]
    found = cheapest_cover(groups, need)
    expected = _brute(groups, need)
    if expected is None:
        assert found is None
        return
    assert found is not None
    assert sum(a.gain for a in found) >= need
    assert sum(a.cost for a in found) == expected
    assert len({a.criterion for a in found}) == len(found)  # one upgrade per criterion


def _brute_runs(groups, need, run_costs):
    best = None
    for choice in itertools.product(*[(None, *g) for g in groups]):
        picked = [a for a in choice if a is not None]
        if sum(a.gain for a in picked) < need:
            continue
        runs = {a.run for a in picked if a.run in run_costs}
        cost = sum(a.cost - run_costs.get(a.run, 0) for a in picked) + sum(run_costs[r] for r in runs)
        best = cost if best is None else min(best, cost)
    return best


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.lists(
            st.tuples(st.integers(0, 3), st.integers(1, 12), st.sampled_from([None, "checks", "links"])),
            min_size=1,
            max_size=3,
        ),
        min_size=1,
        max_size=6,
    ),
    st.integers(1, 40),
)
def test_cheapest_cover_with_shared_runs_is_exact(raw, need) -> None:
    run_costs = {"checks": 3, "links": 2}
    groups = [
        tuple(
            Action(
                f"c{i}",
                "verify" if run else "fill",
                "verified",
                gain,
                extra + run_costs.get(run, 0) or 1,
                "",
                "points",
                None,
                run,
            )
            for extra, gain, run in options
        )
        for i, options in enumerate(raw)
    ]
    found = cheapest_cover(groups, need, run_costs)
    expected = _brute_runs(groups, need, run_costs)
    if expected is None:
        assert found is None
        return
    assert found is not None and sum(a.gain for a in found) >= need
    runs = {a.run for a in found if a.run in run_costs}
    cost = sum(a.cost - run_costs.get(a.run, 0) for a in found) + sum(run_costs[r] for r in runs)
    assert cost == expected


def test_cheapest_cover_is_deterministic() -> None:
    groups = [(_act(0, 1, 4),), (_act(1, 1, 4),), (_act(2, 2, 8),)]
    first = cheapest_cover(groups, 8)
    assert first == cheapest_cover(groups, 8)
    assert sum(a.cost for a in first) == 2


def _plan(entry, verifications=()):
    providers = [OfflineProvider(), StaticEvidence({entry.id: list(verifications)})]
    return score_entry(entry, catalog_of(entry), evidence=providers).to_dict()


def test_gate_actions_come_first_and_name_the_gate() -> None:
    d = _plan(dataset(BARE_DATASET, links={"homepage": "https://e.org/bare"}))
    plan = d["next_tier"]
    assert plan["tier"] == "bronze" and plan["gates_failing"] == ["access-stated", "documented"]
    first = plan["actions"][0]
    assert first["for"] == "gate:access-stated" and first["criterion"] == "access-route"
    assert plan["points_after"] >= plan["min_points"] == 11
    assert plan["points_needed"] == round(11 - d["points"], 2)


def test_a_blocking_cap_is_lifted_in_the_plan() -> None:
    d = _plan(dataset(), [Verification("checks:sizes_agree", "contradicted", "sizes differ")])
    assert d["tier"] == "silver" and TIER_RANK[d["points_tier"]] > TIER_RANK["silver"]
    plan = d["next_tier"]
    assert plan["caps_blocking"] == ["failed-data-check"] and plan["points_needed"] == 0
    fix = [a for a in plan["actions"] if "cap:failed-data-check" in a["for"].split(", ")]
    assert len(fix) == 1 and "sizes_agree" in fix[0]["how"] and "rich-set" in fix[0]["how"]


def test_one_fetch_verifies_several_criteria() -> None:
    entry = dataset(splits={"subject_ids": True}, loader={"name": "rich-set"})
    plan = _plan(entry)["next_tier"]
    fetching = [a for a in plan["actions"] if "usreg fetch rich-set" in a["how"] or "The same fetch" in a["how"]]
    # the fetch (cost 3) is paid once, by the first step that needs it; the others cost at most their edit
    assert sum(1 for a in fetching if a["cost"] >= 3) == 1 and all(a["cost"] <= 4 for a in fetching)
    verified = {a["criterion"] for a in fetching if a["to"] == "verified" and a["cost"] == 0}
    assert {"counts-match", "loader-runs"} <= verified  # what the same fetch verifies is free
    assert plan["cost"] == sum(a["cost"] for a in plan["actions"]) and plan["reachable"]


def test_diamond_has_no_next_tier() -> None:
    passing = [
        "loader_runs",
        "counts_match",
        "subject_leakage",
        "near_duplicates",
        "mask_values_in_class_map",
        "dicom_phi",
        "burned_in_annotations",
        "subject-ids",
        "official-split",
        "croissant",
    ]
    ver = [Verification(f"checks:{n}", "verified", "ok") for n in passing]
    ver += [
        Verification("links:all-alive", "verified", "ok"),
        Verification("links:source-reachable", "verified", "ok"),
        Verification("bench:dataset-baseline", "verified", "ok"),
    ]
    d = _plan(dataset(), ver)
    assert d["tier"] == "diamond" and d["next_tier"] is None
