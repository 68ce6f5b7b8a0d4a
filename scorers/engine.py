"""The scoring engine: apply a rubric to one entry, with its evidence, and explain the result."""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from .catalog_view import CatalogView
from .claims import CLAIMS
from .conditions import ConditionState, evaluate
from .evidence import EvidenceBundle, EvidenceContext, EvidenceProvider, Verification, resolve_evidence
from .fields import Coverage
from .rubric import Criterion, Rubric, load_rubric
from .tiers import (
    CONTRADICTED,
    MISSING,
    SELF_REPORTED,
    TIER_RANK,
    VERIFIED,
    WELL_FORMED,
    WITH_EVIDENCE,
)

if TYPE_CHECKING:
    from registry.catalog import Catalog
    from registry.schema import Entry


def compact_json(data: dict[str, Any]) -> str:
    """A stored score as JSON text without spaces: the data of ``json.dumps(data, default=str)``, several times faster
    for the 6 KiB of a stored score (non-ASCII text is written as UTF-8 instead of ``\\u`` escapes)."""
    return orjson.dumps(data, default=str, option=orjson.OPT_PASSTHROUGH_DATETIME).decode()


@dataclass(slots=True)
class CriterionResult:
    criterion: Criterion
    evidence_kind: str
    units: int  # points earned, in the rubric's units
    scale: int
    verifications: list[Verification] = field(default_factory=list)
    stated: list[str] = field(default_factory=list)
    note: str | None = None

    @property
    def id(self) -> str:
        return self.criterion.id

    @property
    def points(self) -> float:
        return round(self.units / self.scale, 4)

    @property
    def flag(self) -> str | None:
        if self.evidence_kind != CONTRADICTED:
            return None
        details = "; ".join(v.detail for v in self.verifications if v.outcome == "contradicted")
        return f"contradicted by a check: {details}"

    def to_dict(self) -> dict[str, Any]:
        c = self.criterion
        out = _static_part(c)
        out.update(
            points=round(self.units / self.scale, 4),
            evidence_kind=self.evidence_kind,
            flag=self.flag if self.evidence_kind == CONTRADICTED else None,
            stated=self.stated,
            verifications=[v.to_dict() for v in self.verifications] if self.verifications else [],
            note=self.note,
        )
        return out

    def to_compact(self) -> dict[str, Any]:
        """``to_dict()`` without the rubric's text and without the fields that hold their defaults (no flag, nothing
        stated, no verification, no note): ``scorers.stored.compact`` of it, built directly."""
        units, scale = self.units, self.scale
        points = _POINTS.get((units, scale))
        if points is None:
            points = _POINTS[units, scale] = round(units / scale, 4)
        out: dict[str, Any] = {"id": self.criterion.id, "points": points, "evidence_kind": self.evidence_kind}
        if self.evidence_kind == CONTRADICTED:
            out["flag"] = self.flag
        if self.stated:
            out["stated"] = self.stated
        if self.verifications:
            out["verifications"] = [v.to_dict() for v in self.verifications]
        if self.note is not None:
            out["note"] = self.note
        return out


_POINTS: dict[tuple[int, int], float] = {}  # (units, scale) -> points, as rounded for output


_STATIC: dict[int, tuple[Criterion, dict[str, Any]]] = {}


def _static_part(c: Criterion) -> dict[str, Any]:
    """A fresh dict holding the criterion's rubric facts, in output key order (copied from a per-criterion cache)."""
    held = _STATIC.get(id(c))
    if held is None or held[0] is not c:
        base = {
            "id": c.id,
            "group": c.group,
            "title": c.title,
            "points": 0.0,
            "max_points": float(c.points),
            "evidence_kind": "",
            "why_it_matters": c.why_it_matters,
            "how_to_earn": c.how_to_earn,
        }
        held = _STATIC[id(c)] = (c, base)
    return held[1].copy()


@dataclass
class Check:
    """A gate or a cap, evaluated."""

    id: str
    kind: str  # "gate" or "cap"
    tier: str  # the gate's tier, or the cap's maximum tier
    title: str
    holds: bool  # gate: passes; cap: applies
    how: str

    def to_compact(self) -> dict[str, Any]:
        if self.kind == "gate":
            return {"id": self.id, "tier": self.tier, "passed": self.holds}
        return {"id": self.id, "max_tier": self.tier, "applies": self.holds}

    def to_dict(self) -> dict[str, Any]:
        key = "passed" if self.kind == "gate" else "applies"
        tier_key = "tier" if self.kind == "gate" else "max_tier"
        return {
            "id": self.id,
            tier_key: self.tier,
            "title": self.title,
            key: self.holds,
            ("how_to_pass" if self.kind == "gate" else "how_to_lift"): self.how,
        }


@dataclass
class Score:
    entry_id: str
    kind: str
    rubric: Rubric
    criteria: list[CriterionResult]
    units: int
    points_tier: str
    tier: str
    verification_level: str
    limited_by: str | None
    gates: list[Check]
    caps: list[Check]
    evidence: EvidenceBundle
    notes: list[str] = field(default_factory=list)
    next_tier: dict[str, Any] | None = None
    _dict: dict[str, Any] | None = field(default=None, repr=False, compare=False)

    @property
    def points(self) -> float:
        return round(self.units / self.rubric.scale, 2)

    @property
    def tier_rank(self) -> int:
        return TIER_RANK[self.tier]

    @property
    def flags(self) -> list[str]:
        return [f"{c.id}: {c.flag}" for c in self.criteria if c.flag]

    def to_dict(self) -> dict[str, Any]:
        """The score as JSON-able data (computed once and cached: treat the result as read-only)."""
        cached = self._dict
        if cached is None:
            cached = self._dict = self._build_dict()
        return cached

    def _summary(self) -> dict[str, Any]:
        """The fields the full and the compact form share, first in both."""
        return {
            "entry_id": self.entry_id,
            "kind": self.kind,
            "rubric_version": self.rubric.id,
            "rubric_sha256": self.rubric.sha256,
            "tier": self.tier,
            "tier_rank": self.tier_rank,
            "points_tier": self.points_tier,
            "points": self.points,
            "max_points": self.rubric.total,
            "verification_level": self.verification_level,
            "limited_by": self.limited_by,
        }

    def _build_dict(self) -> dict[str, Any]:
        return {
            **self._summary(),
            "limits": [c.to_dict() for c in self._limits()],
            "criteria": [c.to_dict() for c in self.criteria],
            "groups": self.group_totals(),
            "gates": [g.to_dict() for g in self.gates],
            "caps": [c.to_dict() for c in self.caps],
            "flags": self.flags,
            "notes": self.notes,
            "next_tier": self.next_tier,
        }

    def to_compact(self) -> dict[str, Any]:
        """``scorers.stored.compact(self.to_dict())``, built without making the full explanation first."""
        plan = self.next_tier
        if plan and "curator" in plan:
            plan = {k: v for k, v in plan.items() if k not in ("curator", "owner")}
        return {
            **self._summary(),
            "limits": [c.to_compact() for c in self._limits()],
            "criteria": [c.to_compact() for c in self.criteria],
            "groups": [
                {"id": group_id, "points": points, "max_points": most}
                for group_id, points, most in self._group_points()
            ],
            "gates": [g.to_compact() for g in self.gates],
            "caps": [c.to_compact() for c in self.caps],
            "flags": self.flags,
            "notes": self.notes,
            "next_tier": plan,
            "compact": True,
        }

    def group_totals(self) -> list[dict[str, Any]]:
        titles = {group.id: group.title for group in self.rubric.groups}
        return [
            {"id": group_id, "title": titles[group_id], "points": points, "max_points": most}
            for group_id, points, most in self._group_points()
        ]

    def _group_points(self) -> list[tuple[str, float, Any]]:
        """(group id, points earned, maximum points) of each of the rubric's groups, in its order."""
        units_by_group = dict.fromkeys((g.id for g in self.rubric.groups), 0)
        for c in self.criteria:
            group = c.criterion.group
            if group in units_by_group:
                units_by_group[group] += c.units
        to_points = self.rubric.to_points
        return [(group.id, to_points(units_by_group[group.id]), group.points) for group in self.rubric.groups]

    def _limits(self) -> list[Check]:
        """The gates and caps that keep the entry below the tier its points reach."""
        if TIER_RANK[self.tier] >= TIER_RANK[self.points_tier]:
            return []
        above = TIER_RANK[self.tier] + 1
        caps = [c for c in self.caps if c.holds and TIER_RANK[c.tier] < above]
        gates = [g for g in self.gates if not g.holds and TIER_RANK[g.tier] == above]
        return caps + gates


def _claim(
    criterion: Criterion, entry: Entry, kind: str, coverage: Coverage, view: CatalogView
) -> tuple[bool, bool, list[str]]:
    """(stated, backed by an evidence URL, the stated field paths) for a criterion's claim."""
    if criterion.claim:
        stated, backed = CLAIMS[kind][criterion.claim](entry, view, coverage)
        return stated, backed, [f"claim:{criterion.claim}"] if stated else []
    readers = criterion.readers
    if len(readers) == 1:  # most criteria read one field
        if not readers[0](entry):
            return False, False, []
        return True, coverage.covers(criterion.paths[0]), [criterion.fields[0]]
    hits = [i for i, read in enumerate(readers) if read(entry)]
    if not hits:
        return False, False, []
    stated_fields = [criterion.fields[i] for i in hits]
    if criterion.match == "all" and len(hits) < len(readers):
        return False, False, stated_fields
    paths = criterion.paths
    return True, any(coverage.covers(paths[i]) for i in hits), stated_fields


def _strongest_outcome(verifications: list[Verification]) -> str | None:
    """ "contradicted" if any verification contradicts, else "verified", else "well-formed" (None for none)."""
    outcomes = {v.outcome for v in verifications}
    for outcome in (CONTRADICTED, VERIFIED, WELL_FORMED):
        if outcome in outcomes:
            return outcome
    return None


def judge_criterion(
    criterion: Criterion,
    entry: Entry,
    kind: str,
    rubric: Rubric,
    bundle: EvidenceBundle,
    coverage: Coverage,
    view: CatalogView,
) -> CriterionResult:
    """The evidence kind and points of one criterion."""
    verifications = bundle.by_criterion.get(criterion.id, _NONE)
    stated, backed, stated_fields = _claim(criterion, entry, kind, coverage, view)
    note = None
    outcome = _strongest_outcome(verifications) if verifications else None
    if outcome == CONTRADICTED:
        evidence_kind = CONTRADICTED
    elif outcome == VERIFIED:
        evidence_kind = VERIFIED
    elif outcome == WELL_FORMED:
        evidence_kind = WELL_FORMED if rubric.grades_form else VERIFIED
    elif criterion.verified_only:
        evidence_kind = MISSING
        note = "earned only by a check" + (": stated, not yet verified" if stated else "")
    elif stated:
        evidence_kind = WITH_EVIDENCE if backed else SELF_REPORTED
    else:
        evidence_kind = MISSING
        if stated_fields:
            note = "partly stated; needs all of: " + ", ".join(criterion.fields)
    return CriterionResult(
        criterion, evidence_kind, criterion.award[evidence_kind], rubric.scale, verifications, stated_fields, note
    )


_NONE: list[Verification] = []


def _tier_for_points(rubric: Rubric, units: int) -> str:
    for name, minimum in rubric.thresholds:
        if units >= minimum:
            return name
    return rubric.thresholds[-1][0]


def decide_tier(rubric: Rubric, units: int, gates: list[Check], caps: list[Check]) -> tuple[str, str, str | None]:
    """(tier, tier by points alone, the gate or cap that limited it or None); ``units`` are the entry's points."""
    points_tier = _tier_for_points(rubric, units)
    ceiling = min((TIER_RANK[c.tier] for c in caps if c.holds), default=len(TIER_RANK) - 1)
    tier_rank = TIER_RANK[points_tier]
    for rank in range(TIER_RANK[points_tier], -1, -1):
        if rank <= ceiling and all(g.holds for g in gates if TIER_RANK[g.tier] <= rank):
            tier_rank = rank
            break
    tier = next(name for name, r in TIER_RANK.items() if r == tier_rank)
    limited_by = None
    if tier_rank < TIER_RANK[points_tier]:
        blocking_caps = [c for c in caps if c.holds and TIER_RANK[c.tier] == tier_rank]
        blocking_gates = [g for g in gates if not g.holds and TIER_RANK[g.tier] == tier_rank + 1]
        limited_by = (blocking_caps or blocking_gates)[0].id
    return tier, points_tier, limited_by


def verification_level(rubric: Rubric, state: ConditionState) -> str:
    level = "V0"
    for spec in rubric.levels:
        if evaluate(spec.when, state):
            level = spec.level
    return level


def _kind_of(entry: Entry) -> str:
    from registry.schema import Model

    return "model" if isinstance(entry, Model) else "dataset"


class Scorer:
    """Scores entries of one catalog with shared rubrics, providers and reverse links."""

    def __init__(
        self,
        catalog: Catalog | None,
        providers: Sequence[EvidenceProvider] | None = None,
        home: Path | None = None,
        rubrics: dict[str, Rubric] | None = None,
        plan: bool = True,
    ) -> None:
        from .providers import default_providers

        self.catalog = catalog
        self.view = CatalogView.build(catalog)
        self.providers = list(providers) if providers is not None else default_providers(catalog, home)
        self.rubrics = dict(rubrics or {})
        self.plan = plan
        self._contexts: dict[str, EvidenceContext] = {}

    def rubric(self, kind: str) -> Rubric:
        if kind not in self.rubrics:
            self.rubrics[kind] = load_rubric(kind)
        return self.rubrics[kind]

    def context(self, kind: str, rubric: Rubric) -> EvidenceContext:
        ctx = self._contexts.get(kind)
        if ctx is None or ctx.rubric is not rubric:
            ctx = self._contexts[kind] = EvidenceContext(self.catalog, rubric, self.view)
        return ctx

    def score(self, entry: Entry, rubric: Rubric | None = None, bundle: EvidenceBundle | None = None) -> Score:
        kind = _kind_of(entry)
        rubric = rubric or self.rubric(kind)
        if rubric.kind != kind:
            from .rubric import RubricError

            raise RubricError(
                f"the {rubric.id} rubric cannot score the {kind} {entry.id!r}", hint=f"use a {kind} rubric"
            )
        if bundle is None:
            bundle = resolve_evidence(entry, kind, rubric, self.providers, self.context(kind, rubric))
        coverage = Coverage.of(entry)
        results = [judge_criterion(c, entry, kind, rubric, bundle, coverage, self.view) for c in rubric.criteria]
        kinds = {r.id: r.evidence_kind for r in results}
        units = sum(r.units for r in results)
        state = ConditionState(entry=entry, evidence=bundle, kinds=kinds, grades_form=rubric.grades_form)
        state.level = verification_level(rubric, state)
        gates = [Check(g.id, "gate", g.tier, g.title, evaluate(g.when, state), g.how_to_pass) for g in rubric.gates]
        caps = [Check(c.id, "cap", c.max_tier, c.title, evaluate(c.when, state), c.how_to_lift) for c in rubric.caps]
        tier, points_tier, limited_by = decide_tier(rubric, units, gates, caps)
        score = Score(
            entry_id=entry.id,
            kind=kind,
            rubric=rubric,
            criteria=results,
            units=units,
            points_tier=points_tier,
            tier=tier,
            verification_level=state.level,
            limited_by=limited_by,
            gates=gates,
            caps=caps,
            evidence=bundle,
            notes=list(bundle.notes),
        )
        if self.plan:
            from .planner import plan_next_tier

            score.next_tier = plan_next_tier(score, entry, state)
        return score


def score_entry(
    entry: Entry,
    catalog: Catalog | None = None,
    rubric: Rubric | None = None,
    evidence: Sequence[EvidenceProvider] | EvidenceBundle | None = None,
    home: Path | None = None,
) -> Score:
    """Score one entry. ``evidence`` is a list of providers (default: the built-in ones) or a resolved bundle."""
    if isinstance(evidence, EvidenceBundle):
        return Scorer(catalog, providers=[], home=home).score(entry, rubric, bundle=evidence)
    return Scorer(catalog, providers=evidence, home=home).score(entry, rubric)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector during a bounded burst of allocations (scoring a whole catalog creates
    hundreds of thousands of small containers and no reference cycles; the collector would rescan them all)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def score_catalog(
    catalog: Catalog,
    home: Path | None = None,
    ids: Sequence[str] | None = None,
    providers: Sequence[EvidenceProvider] | None = None,
) -> dict[str, Score]:
    """Scores of every entry of ``catalog`` (or only ``ids``), keyed by entry id, datasets first."""
    with gc_paused():
        scorer = Scorer(catalog, providers=providers, home=home)
        wanted = set(ids) if ids is not None else None
        scores: dict[str, Score] = {}
        for items in (catalog.datasets, catalog.models):
            for entry_id, entry in items.items():
                if wanted is None or entry_id in wanted:
                    scores[entry_id] = scorer.score(entry)
        return scores
