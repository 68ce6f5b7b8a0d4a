"""The stored form of a score: the explanation without the rubric's own text, which is put back on reading.

A score's criteria, gates and caps repeat the rubric's titles, "why it matters" and "how to earn" lines: three
quarters of its JSON. The index stores the compact form (what the entry earned) and the rubric version; `expand`
rebuilds the full explanation from that rubric version, so a stored score always shows the text of the rubric that
produced it.
"""

from __future__ import annotations

from typing import Any

from .rubric import Rubric, RubricError, load_rubric

_CRITERION_TEXT = ("group", "title", "max_points", "why_it_matters", "how_to_earn")
_CHECK_TEXT = ("title", "how_to_pass", "how_to_lift")


_CRITERION_DEFAULTS = (("flag", None), ("stated", ()), ("verifications", ()), ("note", None))  # left out when so


def compact(data: dict[str, Any]) -> dict[str, Any]:
    """``Score.to_dict()`` without the rubric text, and without the criterion fields that hold their defaults (the
    input is not modified)."""
    out = dict(data)
    out["criteria"] = [_compact_criterion(c) for c in data["criteria"]]
    for key in ("gates", "caps", "limits"):
        out[key] = [{k: v for k, v in c.items() if k not in _CHECK_TEXT} for c in data[key]]
    out["groups"] = [{k: v for k, v in g.items() if k != "title"} for g in data["groups"]]
    plan = data.get("next_tier")
    if plan and "curator" in plan:  # the two groups are the actions split by who: rebuilt on expanding
        out["next_tier"] = {k: v for k, v in plan.items() if k not in ("curator", "owner")}
    out["compact"] = True
    return out


def _compact_criterion(criterion: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in criterion.items() if k not in _CRITERION_TEXT}
    for key, default in _CRITERION_DEFAULTS:
        if key in out and (out[key] is None if default is None else not out[key]):
            del out[key]
    return out


def _rubric_of(data: dict[str, Any]) -> Rubric | None:
    kind, version = data["kind"], data["rubric_version"].rsplit("-", 1)[-1]
    try:
        return load_rubric(kind, version)
    except RubricError:
        return None


def _criterion(stored: dict[str, Any], rubric: Rubric) -> dict[str, Any]:
    c = rubric.criterion(stored["id"])
    out = {
        "id": c.id,
        "group": c.group,
        "title": c.title,
        "points": stored["points"],
        "max_points": float(c.points),
        "evidence_kind": stored["evidence_kind"],
        "why_it_matters": c.why_it_matters,
        "how_to_earn": c.how_to_earn,
    }
    for key, default in _CRITERION_DEFAULTS:  # scores stored before the defaults were left out hold them all
        value = stored.get(key, default)
        out[key] = list(value) if isinstance(value, tuple) else value
    out.update((k, v) for k, v in stored.items() if k not in out)
    return out


def _check(stored: dict[str, Any], texts: dict[str, tuple[str, str]]) -> dict[str, Any]:
    title, how = texts[stored["id"]]
    is_gate = "passed" in stored
    tier_key, holds_key = ("tier", "passed") if is_gate else ("max_tier", "applies")
    return {
        "id": stored["id"],
        tier_key: stored[tier_key],
        "title": title,
        holds_key: stored[holds_key],
        ("how_to_pass" if is_gate else "how_to_lift"): how,
    }


def expand(data: dict[str, Any]) -> dict[str, Any]:
    """The full explanation of a stored score (unchanged if it is not compact or its rubric file is gone)."""
    if not data.get("compact"):
        return data
    rubric = _rubric_of(data)
    if rubric is None:
        return data
    out = dict(data)
    del out["compact"]
    texts = {g.id: (g.title, g.how_to_pass) for g in rubric.gates}
    texts.update({c.id: (c.title, c.how_to_lift) for c in rubric.caps})
    titles = {g.id: g.title for g in rubric.groups}
    out["criteria"] = [_criterion(c, rubric) for c in data["criteria"]]
    for key in ("gates", "caps", "limits"):
        out[key] = [_check(c, texts) for c in data[key]]
    out["groups"] = [
        {"id": g["id"], "title": titles[g["id"]], **{k: v for k, v in g.items() if k != "id"}} for g in data["groups"]
    ]
    plan = out.get("next_tier")
    out["next_tier"] = regroup(plan)
    return out


_PLAN_ORDER = (
    "tier",
    "min_points",
    "points_needed",
    "gates_failing",
    "caps_blocking",
    "actions",
    "curator",
    "owner",
    "cost",
    "points_after",
    "points_after_curator",
    "reachable",
    "reachable_by_curator",
)


def regroup(plan: dict[str, Any] | None) -> dict[str, Any] | None:
    """A stored plan with its curator and owner groups put back (the actions split by who can take them)."""
    if not plan or "curator" in plan or "reachable_by_curator" not in plan:
        return plan
    actions = plan["actions"]
    full = {
        **plan,
        "curator": [a for a in actions if a.get("who") != "owner"],
        "owner": [a for a in actions if a.get("who") == "owner"],
    }
    return {k: full[k] for k in _PLAN_ORDER if k in full} | {k: v for k, v in full.items() if k not in _PLAN_ORDER}
