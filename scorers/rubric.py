"""Rubric files: loading, validation and the compiled form the engine uses.

A rubric is data (``scorers/rubrics/<kind>-<version>.yaml``). A file with any error is refused as a whole, with
every problem listed: unknown criteria, field paths, verification keys or claims; thresholds out of order; points
that do not add up. Changing a rubric means a new version file; a score records the version (and the file's
sha256) it used.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from registry.errors import UsregError

from .conditions import Condition, EvidenceKindName, LevelName
from .fields import FieldPath, parse_path, schema_has_path, stated_reader
from .tiers import EVIDENCE_KINDS, EVIDENCE_RANK, LEVELS, OPTIONAL_KINDS, TIERS, VERIFIED, WELL_FORMED

RUBRIC_DIR = Path(__file__).parent / "rubrics"
VERSION_PATTERN = r"^v[1-9][0-9]*$"
KEY_PREFIXES = ("offline", "checks", "links", "bench")

TierName = Literal["steel", "bronze", "silver", "gold", "platinum", "diamond"]


class RubricError(UsregError):
    """A rubric file that cannot be used; the message lists every problem."""


RUBRIC_ID_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"  # criterion, gate and cap ids: kebab-case, like entry ids


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TierSpec(_Strict):
    name: TierName
    min_points: float = Field(ge=0)


class GroupSpec(_Strict):
    id: str = Field(min_length=1)
    title: str = Field(min_length=1)
    points: int = Field(gt=0)


class CriterionSpec(_Strict):
    id: str = Field(pattern=RUBRIC_ID_PATTERN)
    group: str
    title: str = Field(min_length=1)
    points: int = Field(gt=0)
    fields: list[str] = Field(default_factory=list, description="Entry fields that state the claim.")
    match: Literal["any", "all"] = "any"
    value: Literal["present", "true"] = Field("present", description="'true': a boolean field must be true.")
    claim: str | None = Field(None, description="A derived claim (see scorers/claims.py) instead of fields.")
    verify: list[str] = Field(default_factory=list, description="Verification keys that can verify or contradict it.")
    verified_only: bool = Field(False, description="Only a verification earns credit (a check-only criterion).")
    owner: bool = Field(
        False, description="Only the data (or model) owner can create the missing fact: a licence, a DOI, a release."
    )
    requires: list[str] = Field(
        default_factory=list, description="Criteria that must be stated before this one can be (plans only)."
    )
    why_it_matters: str = Field(min_length=1)
    how_to_earn: str = Field(min_length=1)


class GateSpec(_Strict):
    id: str = Field(pattern=RUBRIC_ID_PATTERN)
    tier: TierName
    title: str = Field(min_length=1)
    when: Condition
    how_to_pass: str = Field(min_length=1)


class CapSpec(_Strict):
    id: str = Field(pattern=RUBRIC_ID_PATTERN)
    max_tier: TierName
    title: str = Field(min_length=1)
    when: Condition
    how_to_lift: str = Field(min_length=1)
    lifted_by: list[str] = Field(default_factory=list, description="Field paths whose filling lifts the cap.")


class LevelSpec(_Strict):
    level: LevelName
    title: str = Field(min_length=1)
    when: Condition


class ActionSpec(_Strict):
    cost: int = Field(ge=1, description="Effort in arbitrary units; positive.")
    how: str = Field(min_length=1)


class ActionCosts(_Strict):
    fill: ActionSpec
    add_evidence: ActionSpec = Field(alias="add-evidence")
    fix: ActionSpec
    verify: dict[str, ActionSpec]
    owner: ActionSpec | None = Field(None, description="A step only the data owner can take (plans price it apart).")


class Tolerance(_Strict):
    absolute: float = Field(ge=0)
    relative: float = Field(ge=0)


class Params(_Strict):
    reproduction_tolerance: Tolerance = Tolerance(absolute=0.01, relative=0.02)


class RubricFile(_Strict):
    rubric: Literal["dataset", "model"]
    version: str = Field(pattern=VERSION_PATTERN)
    title: str = Field(min_length=1)
    description: str = ""
    total: int = Field(gt=0)
    credit: dict[EvidenceKindName, float]
    tiers: list[TierSpec]
    groups: list[GroupSpec]
    criteria: list[CriterionSpec]
    gates: list[GateSpec] = Field(default_factory=list)
    caps: list[CapSpec] = Field(default_factory=list)
    verification_levels: list[LevelSpec]
    actions: ActionCosts
    params: Params = Params()


@dataclass(frozen=True, eq=False)
class Criterion:
    """A compiled criterion: field paths parsed; points in integer units (1/scale of a point) for exact sums."""

    id: str
    group: str
    title: str
    points: int
    units: int
    award: dict[str, int]  # evidence kind -> units earned
    fields: tuple[str, ...]
    paths: tuple[FieldPath, ...]
    match: str
    require_true: bool
    readers: tuple[Callable[[Any], bool], ...]
    claim: str | None
    verify: tuple[str, ...]
    verified_only: bool
    why_it_matters: str
    how_to_earn: str
    owner: bool = False
    requires: tuple[str, ...] = ()

    @property
    def can_self_report(self) -> bool:
        return not self.verified_only and bool(self.paths or self.claim)


@dataclass(frozen=True, eq=False)
class Rubric:
    """A validated rubric, ready for the engine. Points are counted in integer units of 1/scale point."""

    kind: str
    version: str
    title: str
    total: int
    scale: int
    credit: dict[str, Fraction]
    thresholds: tuple[tuple[str, int], ...]  # highest tier first, in units
    groups: tuple[GroupSpec, ...]
    criteria: tuple[Criterion, ...]
    gates: tuple[GateSpec, ...]
    caps: tuple[CapSpec, ...]
    levels: tuple[LevelSpec, ...]
    actions: ActionCosts
    params: Params
    sha256: str
    path: str
    grades_form: bool = True  # False (v1): a "well-formed" check counts as a verification

    def outcome(self, outcome: str) -> str:
        """A verification outcome as this rubric reads it (v1 did not tell a syntax check from a verification)."""
        return VERIFIED if outcome == WELL_FORMED and not self.grades_form else outcome

    @property
    def id(self) -> str:
        return f"{self.kind}-{self.version}"

    def criterion(self, criterion_id: str) -> Criterion:
        for c in self.criteria:
            if c.id == criterion_id:
                return c
        raise KeyError(criterion_id)

    @property
    def key_users(self) -> dict[str, tuple[str, ...]]:
        """Verification key -> the ids of the criteria it verifies, in rubric order."""
        cached = self.__dict__.get("_key_users")
        if cached is None:
            found: dict[str, list[str]] = {}
            for c in self.criteria:
                for key in c.verify:
                    found.setdefault(key, []).append(c.id)
            cached = {k: tuple(v) for k, v in found.items()}
            object.__setattr__(self, "_key_users", cached)
        return cached

    def threshold(self, tier: str) -> int:
        """The tier's minimum, in units."""
        return dict(self.thresholds)[tier]

    def to_points(self, units: int) -> float:
        return round(units / self.scale, 4)


def _entry_model(kind: str):
    from registry.schema import Dataset, Model

    return Dataset if kind == "dataset" else Model


def _problems(spec: RubricFile, expected_stem: str | None) -> list[str]:
    """Every semantic problem of a structurally valid rubric file."""
    from .claims import CLAIMS
    from .evidence import pattern_is_known
    from .keys import known_keys

    problems: list[str] = []
    keys = known_keys()
    model_cls = _entry_model(spec.rubric)
    if expected_stem is not None and expected_stem != f"{spec.rubric}-{spec.version}":
        problems.append(
            f"the file name must be {spec.rubric}-{spec.version}.yaml (rubric + version), not {expected_stem}.yaml;"
            " a changed rubric is a new version file"
        )
    # credit table
    missing_kinds = [k for k in EVIDENCE_KINDS if k not in spec.credit and k not in OPTIONAL_KINDS]
    if missing_kinds:
        problems.append("credit: missing " + ", ".join(missing_kinds))
    else:
        values = [spec.credit[k] for k in EVIDENCE_KINDS if k in spec.credit]
        if any(not 0 <= v <= 1 for v in values):
            problems.append("credit: every value is a fraction between 0 and 1")
        if values != sorted(values):
            problems.append("credit: must not decrease from contradicted to verified " + str(dict(spec.credit)))
        if spec.credit["contradicted"] != 0:
            problems.append("credit: a contradicted claim earns 0")
        if spec.credit["verified"] != 1:
            problems.append("credit: a verified claim earns the full points (1)")
    # tiers: every name once, highest first, strictly decreasing, steel at 0
    names = [t.name for t in spec.tiers]
    if names != list(reversed(TIERS)):
        problems.append("tiers: list each tier once, highest first: " + ", ".join(reversed(TIERS)) + f" (got {names})")
    else:
        points = [t.min_points for t in spec.tiers]
        if any(a <= b for a, b in itertools.pairwise(points)):
            problems.append(
                f"tiers: thresholds out of order; they must strictly decrease from diamond to steel: {points}"
            )
        if points[-1] != 0:
            problems.append("tiers: steel is the floor and needs min_points 0")
        if points[0] > spec.total:
            problems.append(f"tiers: diamond needs {points[0]} points but the rubric total is {spec.total}")
    # groups and points
    group_ids = [g.id for g in spec.groups]
    for dup in sorted({g for g in group_ids if group_ids.count(g) > 1}):
        problems.append(f"groups: duplicate group id {dup!r}")
    if sum(g.points for g in spec.groups) != spec.total:
        problems.append(
            f"groups: the group points add up to {sum(g.points for g in spec.groups)}, "
            f"not the declared total {spec.total}"
        )
    crit_ids = [c.id for c in spec.criteria]
    for dup in sorted({c for c in crit_ids if crit_ids.count(c) > 1}):
        problems.append(f"criteria: duplicate criterion id {dup!r}")
    if sum(c.points for c in spec.criteria) != spec.total:
        problems.append(
            f"criteria: the criterion points add up to {sum(c.points for c in spec.criteria)}, "
            f"not the declared total {spec.total}"
        )
    for group in spec.groups:
        in_group = sum(c.points for c in spec.criteria if c.group == group.id)
        if in_group != group.points:
            problems.append(f"group {group.id}: its criteria add up to {in_group} points, not {group.points}")
    for i, c in enumerate(spec.criteria):
        where = f"criteria[{i}] ({c.id})"
        if c.group not in group_ids:
            problems.append(f"{where}: unknown group {c.group!r} (groups: {', '.join(group_ids)})")
        for text in c.fields:
            if not parse_path(text) or not schema_has_path(model_cls, parse_path(text)):
                problems.append(f"{where}: {text!r} is not a field of a {spec.rubric} entry")
        if c.claim is not None and c.claim not in CLAIMS.get(spec.rubric, {}):
            known = ", ".join(sorted(CLAIMS.get(spec.rubric, {}))) or "none"
            problems.append(f"{where}: unknown claim {c.claim!r} (known for {spec.rubric}: {known})")
        if c.claim and c.fields:
            problems.append(f"{where}: give either fields or a claim, not both")
        for key in c.verify:
            if key not in keys:
                problems.append(f"{where}: unknown verification key {key!r} (known: {', '.join(sorted(keys))})")
        if c.verified_only and not c.verify:
            problems.append(f"{where}: verified_only needs at least one verification key in 'verify'")
        if not c.verified_only and not c.fields and not c.claim:
            problems.append(f"{where}: no evidence rule: give fields, a claim, or verify + verified_only")
        if c.value == "true" and not c.fields:
            problems.append(f"{where}: value 'true' applies to fields")
        for required in c.requires:
            if required not in crit_ids or required == c.id:
                problems.append(f"{where}: requires {required!r}, which is not another criterion")
    # conditions in gates, caps and levels
    owners: list[tuple[str, Condition]] = [(f"gate {g.id}", g.when) for g in spec.gates]
    owners += [(f"cap {c.id}", c.when) for c in spec.caps]
    owners += [(f"verification level {v.level}", v.when) for v in spec.verification_levels]
    for where, cond in owners:
        for cid in cond.criteria():
            if cid not in crit_ids:
                problems.append(f"{where}: unknown criterion {cid!r}")
        for text in cond.field_paths():
            if not parse_path(text) or not schema_has_path(model_cls, parse_path(text)):
                problems.append(f"{where}: {text!r} is not a field of a {spec.rubric} entry")
        for pattern in cond.key_patterns():
            if not pattern_is_known(pattern, keys):
                problems.append(f"{where}: {pattern!r} matches no known verification key")
        if where.startswith("verification level") and (cond.uses_level() or cond.criteria()):
            problems.append(f"{where}: a level is decided by verifications and fields only (no min_level, criterion)")
    for cap in spec.caps:
        for text in cap.lifted_by:
            if not parse_path(text) or not schema_has_path(model_cls, parse_path(text)):
                problems.append(f"cap {cap.id}: lifted_by {text!r} is not a field of a {spec.rubric} entry")
    for kind_list, label in ((spec.gates, "gate"), (spec.caps, "cap")):
        ids = [x.id for x in kind_list]
        for dup in sorted({x for x in ids if ids.count(x) > 1}):
            problems.append(f"{label}s: duplicate id {dup!r}")
    gates_at_steel = [g.id for g in spec.gates if g.tier == "steel"]
    if gates_at_steel:
        problems.append(f"gates: steel is the floor and has no gates ({', '.join(gates_at_steel)})")
    caps_at_top = [c.id for c in spec.caps if c.max_tier == "diamond"]
    if caps_at_top:
        problems.append(f"caps: a cap at diamond limits nothing ({', '.join(caps_at_top)})")
    levels = [v.level for v in spec.verification_levels]
    if levels != sorted(levels, key=LEVELS.index) or len(set(levels)) != len(levels) or "V0" in levels:
        problems.append(f"verification_levels: list V1..V3 once each, in order (V0 is the default); got {levels}")
    for prefix in KEY_PREFIXES:
        if prefix not in spec.actions.verify:
            problems.append(f"actions.verify: missing the cost of verifying a '{prefix}:' key")
    return problems


def parse_rubric(data: Any, source: str, sha256: str = "", expected_stem: str | None = None) -> Rubric:
    """Validate rubric data (already read from YAML) and compile it; raises RubricError listing every problem."""
    try:
        spec = RubricFile.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors(include_url=False):
            loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = "unknown key"
            lines.append(f"  - {loc}: {msg}")
        raise RubricError(
            f"rubric {source} is invalid:\n" + "\n".join(lines),
            hint="fix the rubric file; see scorers/rubrics/*.yaml for the shape",
        ) from None
    problems = _problems(spec, expected_stem)
    if problems:
        raise RubricError(
            f"rubric {source} is invalid:\n" + "\n".join(f"  - {p}" for p in problems),
            hint="fix the rubric file; a changed rubric is saved as a new version",
        )
    return _compile(spec, sha256, source)


def _fraction(value: float) -> Fraction:
    return Fraction(str(value))


def _compile(spec: RubricFile, sha256: str, source: str) -> Rubric:
    model_cls = _entry_model(spec.rubric)
    credit: dict[str, Fraction] = {k: _fraction(v) for k, v in spec.credit.items()}
    grades_form = WELL_FORMED in credit
    if not grades_form:
        credit[WELL_FORMED] = credit[VERIFIED]  # never awarded: such a rubric reads well-formed as verified
    scale = math.lcm(
        *(f.denominator for f in credit.values()), *(_fraction(t.min_points).denominator for t in spec.tiers)
    )
    criteria = tuple(
        Criterion(
            id=c.id,
            group=c.group,
            title=c.title,
            points=c.points,
            units=c.points * scale,
            award={k: int(f * c.points * scale) for k, f in credit.items()},
            fields=tuple(c.fields),
            paths=tuple(parse_path(f) for f in c.fields),
            match=c.match,
            require_true=c.value == "true",
            readers=tuple(stated_reader(model_cls, parse_path(f), c.value == "true") for f in c.fields),
            claim=c.claim,
            verify=tuple(c.verify),
            verified_only=c.verified_only,
            why_it_matters=c.why_it_matters,
            how_to_earn=c.how_to_earn,
            owner=c.owner,
            requires=tuple(c.requires),
        )
        for c in spec.criteria
    )
    return Rubric(
        kind=spec.rubric,
        version=spec.version,
        title=spec.title,
        total=spec.total,
        scale=scale,
        credit=credit,
        thresholds=tuple((t.name, int(_fraction(t.min_points) * scale)) for t in spec.tiers),
        groups=tuple(spec.groups),
        criteria=criteria,
        gates=tuple(spec.gates),
        caps=tuple(spec.caps),
        levels=tuple(spec.verification_levels),
        actions=spec.actions,
        params=spec.params,
        sha256=sha256,
        path=source,
        grades_form=grades_form,
    )


def load_rubric_file(path: Path) -> Rubric:
    from registry.yamlsafe import YamlError, load_text

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RubricError(f"cannot read the rubric {path}: {exc.strerror}", hint="check the path") from None
    try:
        doc = load_text(raw.decode("utf-8"))
    except (YamlError, UnicodeDecodeError) as exc:
        line = getattr(exc, "line", None)  # a YamlError's line; a decoding error has none
        where = f":{line}" if line else ""
        raise RubricError(
            f"rubric {path}{where} is not valid YAML: {getattr(exc, 'message', exc)}", hint="fix the YAML syntax"
        ) from None
    return parse_rubric(doc.data, str(path), hashlib.sha256(raw).hexdigest(), expected_stem=path.stem)


def available_versions(kind: str, directory: Path = RUBRIC_DIR) -> list[str]:
    """The versions of a kind's rubric files, oldest first."""
    found = []
    for path in directory.glob(f"{kind}-v*.yaml"):
        version = path.stem[len(kind) + 1 :]
        if re.match(VERSION_PATTERN, version):
            found.append(version)
    return sorted(found, key=lambda v: int(v[1:]))


@lru_cache(maxsize=16)
def _load_cached(kind: str, version: str, directory: str) -> Rubric:
    return load_rubric_file(Path(directory) / f"{kind}-{version}.yaml")


def load_rubric(kind: str = "dataset", version: str | None = None, path: Path | None = None) -> Rubric:
    """The rubric for ``kind`` ("dataset" or "model"): the given version, or the newest; or the file at ``path``."""
    if path is not None:
        return load_rubric_file(Path(path))
    if kind not in ("dataset", "model"):
        raise RubricError(f"no rubric kind {kind!r}", hint="use 'dataset' or 'model'")
    versions = available_versions(kind)
    if not versions:
        raise RubricError(f"no {kind} rubric in {RUBRIC_DIR}", hint=f"add {kind}-v1.yaml")
    chosen = version or versions[-1]
    if chosen not in versions:
        raise RubricError(f"no {kind} rubric version {chosen!r}", hint="available: " + ", ".join(versions))
    return _load_cached(kind, chosen, str(RUBRIC_DIR))


def rubric_summary(rubric: Rubric) -> dict[str, Any]:
    """The rubric as plain data (for `usreg score --explain` and the site's rubric page)."""
    return {
        "id": rubric.id,
        "kind": rubric.kind,
        "version": rubric.version,
        "title": rubric.title,
        "total": rubric.total,
        "sha256": rubric.sha256,
        "credit": {
            k: float(v)
            for k, v in sorted(rubric.credit.items(), key=lambda kv: EVIDENCE_RANK[kv[0]])
            if rubric.grades_form or k != WELL_FORMED
        },
        "tiers": [{"name": n, "min_points": rubric.to_points(p)} for n, p in rubric.thresholds],
        "groups": [g.model_dump() for g in rubric.groups],
        "criteria": [
            {
                "id": c.id,
                "group": c.group,
                "title": c.title,
                "points": c.points,
                "fields": list(c.fields),
                "claim": c.claim,
                "verify": list(c.verify),
                "verified_only": c.verified_only,
                "why_it_matters": c.why_it_matters,
                "how_to_earn": c.how_to_earn,
            }
            for c in rubric.criteria
        ],
        "gates": [g.model_dump(mode="json", exclude_none=True) for g in rubric.gates],
        "caps": [c.model_dump(mode="json", exclude_none=True) for c in rubric.caps],
    }
