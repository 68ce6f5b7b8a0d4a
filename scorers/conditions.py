"""Conditions: the small, closed language that rubric gates, caps and verification levels are written in.

A condition is a mapping; every key it has must hold (AND). ``any_of`` / ``all_of`` nest conditions.

- ``criterion`` + ``min_evidence``: the criterion's evidence kind is at least this strong.
- ``verified_any`` / ``contradicted_any`` / ``contradicted_none``: verification keys (patterns allowed, e.g.
  ``checks:*``) with at least one verified / at least one contradicted / none contradicted.
- ``present_any`` / ``missing_all``: entry field paths, at least one stated / none stated.
- ``value_in``: field path -> allowed values; every named field holds one of its values (e.g. access: [open]).
- ``min_level``: the verification level is at least this (gates only; levels are computed before gates).
- ``no_contradictions: true``: no criterion is contradicted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .evidence import EvidenceBundle
from .fields import FieldPath, field_stated, parse_path, values_at
from .tiers import EVIDENCE_RANK, LEVEL_RANK

if TYPE_CHECKING:
    from registry.schema import Entry

EvidenceKindName = Literal[
    "contradicted", "missing", "self-reported", "self-reported-with-evidence", "well-formed", "verified"
]
LevelName = Literal["V0", "V1", "V2", "V3"]


class Condition(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    all_of: list[Condition] | None = None
    any_of: list[Condition] | None = None
    criterion: str | None = None
    min_evidence: EvidenceKindName | None = None
    verified_any: list[str] | None = None
    contradicted_any: list[str] | None = None
    contradicted_none: list[str] | None = None
    present_any: list[str] | None = None
    missing_all: list[str] | None = None
    value_in: dict[str, list[str]] | None = None
    min_level: LevelName | None = None
    no_contradictions: bool | None = Field(None, description="true: no criterion is contradicted")

    @model_validator(mode="after")
    def _shape(self) -> Condition:
        if not self.model_fields_set:
            raise ValueError("an empty condition; give at least one of: " + ", ".join(type(self).model_fields))
        if (self.criterion is None) != (self.min_evidence is None):
            raise ValueError("'criterion' and 'min_evidence' go together")
        for name in (
            "all_of",
            "any_of",
            "verified_any",
            "contradicted_any",
            "contradicted_none",
            "present_any",
            "missing_all",
            "value_in",
        ):
            value = getattr(self, name)
            if value is not None and not value:
                raise ValueError(f"'{name}' must not be empty")
        if self.no_contradictions is False:
            raise ValueError("'no_contradictions' can only be true")
        return self

    def walk(self):
        """This condition and every nested one."""
        yield self
        for child in (self.all_of or []) + (self.any_of or []):
            yield from child.walk()

    def field_paths(self) -> list[str]:
        return [p for c in self.walk() for p in (c.present_any or []) + (c.missing_all or []) + list(c.value_in or {})]

    def key_patterns(self) -> list[str]:
        return [
            k
            for c in self.walk()
            for k in (c.verified_any or []) + (c.contradicted_any or []) + (c.contradicted_none or [])
        ]

    def criteria(self) -> list[str]:
        return [c.criterion for c in self.walk() if c.criterion]

    def uses_level(self) -> bool:
        return any(c.min_level for c in self.walk())


@dataclass
class ConditionState:
    """What conditions are evaluated against."""

    entry: Entry
    evidence: EvidenceBundle
    kinds: dict[str, str]
    level: str = "V0"
    grades_form: bool = True  # False: a well-formed outcome counts as verified (rubric v1)
    path_cache: dict[str, FieldPath] | None = None

    def path(self, text: str) -> FieldPath:
        if self.path_cache is None:
            self.path_cache = {}
        cached = self.path_cache.get(text)
        if cached is None:
            cached = self.path_cache[text] = parse_path(text)
        return cached


def evaluate(cond: Condition, state: ConditionState) -> bool:
    """Whether ``cond`` holds for ``state`` (every key of the mapping must hold)."""
    return compiled(cond)(state)


Check = Callable[[ConditionState], bool]
_COMPILED: dict[int, tuple[Condition, Check]] = {}


def compiled(cond: Condition) -> Check:
    """``cond`` as a function of the state, made once per condition: only the keys it sets are checked, and its
    field paths are parsed once (rubric conditions are evaluated for every entry scored)."""
    held = _COMPILED.get(id(cond))
    if held is None or held[0] is not cond:
        held = _COMPILED[id(cond)] = (cond, _compile(cond))
    return held[1]


def _compile(cond: Condition) -> Check:
    checks: list[Check] = []
    if cond.all_of is not None:
        checks.append(_all_of(tuple(compiled(x) for x in cond.all_of)))
    if cond.any_of is not None:
        checks.append(_any_of(tuple(compiled(x) for x in cond.any_of)))
    if cond.criterion is not None and cond.min_evidence is not None:  # set together (the model's validator)
        checks.append(_min_evidence(cond.criterion, EVIDENCE_RANK[cond.min_evidence]))
    if cond.verified_any is not None:
        checks.append(_verified_any(tuple(cond.verified_any)))
    if cond.contradicted_any is not None:
        checks.append(_contradicted(tuple(cond.contradicted_any), True))
    if cond.contradicted_none is not None:
        checks.append(_contradicted(tuple(cond.contradicted_none), False))
    if cond.present_any is not None:
        checks.append(_stated(tuple(parse_path(p) for p in cond.present_any), True))
    if cond.missing_all is not None:
        checks.append(_stated(tuple(parse_path(p) for p in cond.missing_all), False))
    if cond.value_in is not None:
        checks.append(_value_in(tuple((parse_path(p), allowed) for p, allowed in cond.value_in.items())))
    if cond.min_level is not None:
        checks.append(_min_level(LEVEL_RANK[cond.min_level]))
    if cond.no_contradictions:
        checks.append(_no_contradictions)
    return _all_of(tuple(checks)) if len(checks) != 1 else checks[0]


def _all_of(checks: tuple[Check, ...]) -> Check:
    def run(state: ConditionState) -> bool:
        return all(check(state) for check in checks)

    return run


def _any_of(checks: tuple[Check, ...]) -> Check:
    def run(state: ConditionState) -> bool:
        return any(check(state) for check in checks)

    return run


def _min_evidence(criterion: str, rank: int) -> Check:
    return lambda state: EVIDENCE_RANK[state.kinds[criterion]] >= rank


def _verified_any(patterns: tuple[str, ...]) -> Check:
    def run(state: ConditionState) -> bool:
        return any(
            v.outcome == "verified" or (v.outcome == "well-formed" and not state.grades_form)
            for v in state.evidence.matching(patterns)
        )

    return run


def _contradicted(patterns: tuple[str, ...], wanted: bool) -> Check:
    def run(state: ConditionState) -> bool:
        return any(v.outcome == "contradicted" for v in state.evidence.matching(patterns)) is wanted

    return run


def _stated(paths: tuple[FieldPath, ...], wanted: bool) -> Check:
    def run(state: ConditionState) -> bool:
        return any(field_stated(state.entry, p) for p in paths) is wanted

    return run


def _value_in(items: tuple[tuple[FieldPath, list[str]], ...]) -> Check:
    def run(state: ConditionState) -> bool:
        return all(any(str(v) in allowed for v in values_at(state.entry, path)) for path, allowed in items)

    return run


def _min_level(rank: int) -> Check:
    return lambda state: LEVEL_RANK[state.level] >= rank


def _no_contradictions(state: ConditionState) -> bool:
    return "contradicted" not in state.kinds.values()


def describe(cond: Condition) -> str:
    """A short human reading of a condition, for messages."""
    parts = []
    if cond.criterion:
        parts.append(f"{cond.criterion} at least {cond.min_evidence}")
    if cond.verified_any:
        parts.append("verified: " + " or ".join(cond.verified_any))
    if cond.contradicted_any:
        parts.append("contradicted: " + " or ".join(cond.contradicted_any))
    if cond.contradicted_none:
        parts.append("nothing contradicted among " + ", ".join(cond.contradicted_none))
    if cond.present_any:
        parts.append("stated: " + " or ".join(cond.present_any))
    if cond.missing_all:
        parts.append("none stated of " + ", ".join(cond.missing_all))
    if cond.value_in:
        parts.extend(f"{p} is one of {', '.join(v)}" for p, v in cond.value_in.items())
    if cond.min_level:
        parts.append(f"verification level at least {cond.min_level}")
    if cond.no_contradictions:
        parts.append("no contradicted criterion")
    if cond.all_of:
        parts.append("all of (" + "; ".join(describe(c) for c in cond.all_of) + ")")
    if cond.any_of:
        parts.append("any of (" + "; ".join(describe(c) for c in cond.any_of) + ")")
    return " and ".join(parts)
