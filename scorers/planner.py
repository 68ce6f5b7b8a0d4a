"""next_tier: what an entry is missing for the tier above its own, and the cheapest set of actions to get there.

Actions have costs from the rubric (``actions``): stating a field, adding an evidence URL, fixing a contradicted
claim, or getting a claim verified (offline, by a link check, by the data checks, by the benchmark runner). First
come the actions that the failing gates and the caps need; then, if points are still short, the cheapest set of
criterion upgrades that covers them (an exact minimum-cost search, at most one upgrade per criterion).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from registry.schema import Dataset

from .claims import CURATOR_CLAIMS
from .conditions import Condition, ConditionState, evaluate
from .evidence import key_matches
from .fields import Coverage, field_stated, values_at
from .keys import form_only_keys
from .rubric import ActionSpec, Criterion, Rubric
from .tiers import (
    CONTRADICTED,
    EVIDENCE_RANK,
    MISSING,
    SELF_REPORTED,
    TIERS,
    VERIFIED,
    WELL_FORMED,
    WITH_EVIDENCE,
)

if TYPE_CHECKING:
    from registry.schema import Entry

    from .engine import Score

UPGRADE_TARGETS = (SELF_REPORTED, WITH_EVIDENCE, WELL_FORMED, VERIFIED)
CURATOR, OWNER = "curator", "owner"
_RUN_NAMES = {"checks": "fetch", "links": "link check", "bench": "benchmark run"}
FETCHABLE_HOSTS = frozenset({"zenodo", "figshare", "mendeley", "huggingface"})  # hosts that publish checksums


@dataclass(frozen=True)
class Action:
    """One step. ``gain`` is in rubric units; ``how`` may hold ``{id}``, filled in for the entry on output."""

    criterion: str | None
    kind: str  # fill | add-evidence | verify | fix | run (a fetch, link check or benchmark run shared by several)
    target: str | None  # the evidence kind reached, for criterion actions
    gain: int
    cost: int
    how: str
    reason: str
    key: str | None = None  # the verification key a "verify" action relies on
    run: str | None = None  # the run behind that key (checks, links, bench) when one run verifies many criteria
    who: str = CURATOR  # "owner": only the data (or model) owner can take this step (a licence, a DOI, a release)

    def to_dict(self, rubric: Rubric, entry_id: str) -> dict[str, Any]:
        return {
            "criterion": self.criterion,
            "action": self.kind,
            "to": self.target,
            "points": rubric.to_points(self.gain),
            "cost": self.cost,
            "how": self.how.replace("{id}", entry_id),
            "for": self.reason,
            "who": self.who,
        }


def _prefix(key: str) -> str:
    return key.split(":", 1)[0]


_SHARED: dict[int, tuple[Action, Action]] = {}


def _shared(action: Action, run: ActionSpec) -> Action:
    """The action when the run that verifies it is paid for separately (memoised, like the actions themselves)."""
    held = _SHARED.get(id(action))
    if held is None or held[0] is not action:
        reduced = replace(action, cost=max(action.cost - run.cost, 0), how=action.how.removesuffix(" " + run.how))
        held = _SHARED[id(action)] = (action, reduced)
    return held[1]


@lru_cache(maxsize=4096)
def _upgrade(rubric: Rubric, criterion: Criterion, current: str, target: str, reason: str) -> Action | None:
    """The action taking ``criterion`` from ``current`` to ``target`` evidence, or None when no action can.

    A missing fact that only its owner can create (``owner: true`` in the rubric: a licence, a DOI, a release) is an
    owner step, priced by the rubric's ``actions.owner``. A key that checks only a claim's form reaches
    "well-formed", never "verified"."""
    if EVIDENCE_RANK[target] <= EVIDENCE_RANK[current]:
        return None
    acts = rubric.actions
    gain = criterion.award[target] - criterion.award[current]
    stateable = bool(criterion.paths or criterion.claim)
    creating = criterion.owner and current == MISSING  # a wrong stated fact is the curator's to correct
    who = OWNER if creating and acts.owner is not None else CURATOR
    owner_cost = acts.owner.cost if acts.owner is not None else acts.fill.cost
    if target in (VERIFIED, WELL_FORMED):
        if target == WELL_FORMED and not rubric.grades_form:
            return None
        form = form_only_keys() if rubric.grades_form else frozenset()
        keys = [k for k in criterion.verify if (k in form) == (target == WELL_FORMED)]
        if not keys:
            return None
        key = min(keys, key=lambda k: (acts.verify[_prefix(k)].cost, k))
        spec = acts.verify[_prefix(key)]
        cost = spec.cost
        if current == CONTRADICTED:
            cost += acts.fix.cost
        elif current == MISSING and stateable and _prefix(key) != "offline":
            cost += owner_cost if who == OWNER else acts.fill.cost  # stated before a check can confirm it
        elif who == OWNER:
            cost += owner_cost
        # (an offline check runs on the entry itself: making it pass is one edit, priced by the rubric)
        kind = "fix" if current == CONTRADICTED else "verify"
        run = _prefix(key) if _prefix(key) != "offline" else None
        return Action(criterion.id, kind, target, gain, cost, spec.how, reason, key, run, who)
    if not criterion.can_self_report:
        return None
    start = {MISSING: owner_cost if who == OWNER else acts.fill.cost, CONTRADICTED: acts.fix.cost}.get(current, 0)
    first = "fix" if current == CONTRADICTED else "fill"
    if target == SELF_REPORTED:
        return Action(criterion.id, first, target, gain, start, criterion.how_to_earn, reason, who=who)
    what = ", ".join(criterion.fields) if criterion.fields else f"the claim '{criterion.claim}'"
    evidence_how = acts.add_evidence.how.replace("{fields}", what)
    cost = start + acts.add_evidence.cost
    if current == SELF_REPORTED:
        return Action(criterion.id, "add-evidence", target, gain, cost, evidence_how, reason, who=who)
    return Action(criterion.id, first, target, gain, cost, f"{criterion.how_to_earn} {evidence_how}", reason, who=who)


@lru_cache(maxsize=4096)
def _options(rubric: Rubric, criterion: Criterion, current: str) -> tuple[Action, ...]:
    """Upgrades worth points, without those that cost as much as a stronger one."""
    upgrades = [_upgrade(rubric, criterion, current, t, "points") for t in UPGRADE_TARGETS]
    found = [a for a in upgrades if a is not None and a.gain > 0]
    return tuple(a for a in found if not any(b.cost <= a.cost and b.gain > a.gain for b in found))


def reading_sources(entry: Entry) -> list[str]:
    """The entry's own sources a curator can read for a missing fact, best first: its descriptor publication, the
    other publications, its evidence URLs, then its pages (paper, homepage, docs, code) and data sources."""
    found: list[str] = []
    pubs = sorted(entry.publications, key=lambda p: p.role != "descriptor")
    for pub in pubs:
        if pub.doi:
            found.append(f"https://doi.org/{pub.doi}")
        elif pub.url:
            found.append(str(pub.url))
        elif pub.arxiv:
            found.append(f"https://arxiv.org/abs/{pub.arxiv}")
    found.extend(str(item.url) for item in entry.evidence)
    links = entry.links
    found.extend(str(u) for u in (links.paper, links.homepage, links.docs, links.code) if u)
    code = getattr(entry, "code", None)
    if code is not None:
        found.append(str(code.url))
    for source in getattr(entry, "sources", ()):
        if source.url:
            found.append(str(source.url))
    return list(dict.fromkeys(found))


def _possible_runs(entry: Entry, kind: str, sources: list[str]) -> dict[str, bool]:
    """Which runs can verify anything for this entry: a fetch needs a loader and a source whose bytes can be checked
    (a host that publishes checksums, or checksums in the entry); a link check needs a URL; the benchmark needs
    something to run (a loader, or weights)."""
    if isinstance(entry, Dataset):
        checked = any(
            s.kind in FETCHABLE_HOSTS or (s.files and all(f.md5 or f.sha256 for f in s.files)) for s in entry.sources
        )
        fetch = bool(entry.loader) and checked
        bench = fetch
    else:
        fetch = bool(entry.trained_on or entry.evaluated_on)
        bench = bool(entry.weights)
    links = bool(sources) or bool(entry.dataset_doi if isinstance(entry, Dataset) else entry.archive_doi)
    return {"offline": True, "links": links, "checks": fetch, "bench": bench}


class Planner:
    def __init__(self, score: Score, entry: Entry, state: ConditionState) -> None:
        self.score = score
        self.rubric: Rubric = score.rubric
        self.entry = entry
        self.state = state
        self.kinds = {r.id: r.evidence_kind for r in score.criteria}
        self.by_id = {c.id: c for c in self.rubric.criteria}
        self.sources = reading_sources(entry)
        self.runs = _possible_runs(entry, score.kind, self.sources)
        self.coverage = Coverage.of(entry)

    def adjust(self, act: Action | None) -> Action | None:
        """The step for this entry: a fact filled where an evidence item already covers its field path earns the
        with-evidence credit at once (so the prediction matches what the engine will award)."""
        if act is None or act.kind != "fill" or act.criterion is None:
            return act
        criterion = self.by_id[act.criterion]
        if not criterion.paths or not any(self.coverage.covers(p) for p in criterion.paths):
            return act
        current = self.kinds[criterion.id]
        if act.target == SELF_REPORTED:
            gain = criterion.award[WITH_EVIDENCE] - criterion.award[current]
            return replace(act, target=WITH_EVIDENCE, gain=gain)
        if act.target == WITH_EVIDENCE:
            return replace(act, cost=max(act.cost - self.rubric.actions.add_evidence.cost, 1))
        return act

    def allowed(self, act: Action) -> bool:
        """Whether this entry can take the step: a curator states facts only from a source, states nothing whose
        prerequisite is missing (no subject-level split without subject ids), and runs only what can run."""
        prefix = _prefix(act.key) if act.key else act.run
        if prefix and not self.runs.get(prefix, False):
            return False
        if act.run and not self.runs.get(act.run, False):
            return False
        if act.criterion is None:
            return True
        criterion = self.by_id[act.criterion]
        states_it = self.kinds[criterion.id] in (MISSING, CONTRADICTED) and act.kind in ("fill", "fix", "verify")
        if states_it and any(self.kinds.get(r) in (MISSING, CONTRADICTED, None) for r in criterion.requires):
            return False
        if criterion.claim and criterion.claim not in CURATOR_CLAIMS and act.kind in ("fill", "fix", "add-evidence"):
            return False  # the claim follows from other entries (a model's datasets, a model's metrics)
        needs_reading = act.kind in ("fill", "add-evidence", "fix") or (
            states_it and bool(criterion.fields or criterion.claim)
        )
        return not (act.who == CURATOR and needs_reading and not self.sources)

    def cheapest_to(self, criterion_id: str, minimum: str, reason: str) -> Action | None:
        criterion = self.by_id[criterion_id]
        current = self.kinds[criterion_id]
        found = [
            a
            for t in UPGRADE_TARGETS
            if EVIDENCE_RANK[t] >= EVIDENCE_RANK[minimum]
            for a in [self.adjust(_upgrade(self.rubric, criterion, current, t, reason))]
            if a is not None and self.allowed(a)
        ]
        return min(found, key=lambda a: (a.cost, -a.gain)) if found else None

    # -- rendering -------------------------------------------------------------------------------------------
    def missing_fields(self, criterion: Criterion) -> list[str]:
        return [f for f, read in zip(criterion.fields, criterion.readers, strict=True) if not read(self.entry)]

    def render(self, act: Action) -> dict[str, Any]:
        """The step as shown: what to state and which source to read, what to run, or what to ask the owner."""
        out = act.to_dict(self.rubric, self.entry.id)
        criterion = self.by_id.get(act.criterion) if act.criterion else None
        entry_id = self.entry.id
        if act.key:
            out["key"] = act.key
        if act.who == OWNER:
            out["how"] = "Needs the data owner: " + (criterion.how_to_earn if criterion else act.how).replace(
                "{id}", entry_id
            )
            return out
        if criterion is None:
            return out
        source = self.sources[0] if self.sources else None
        evidence = act.target in (WITH_EVIDENCE,) or act.kind == "add-evidence"
        if act.kind == "add-evidence":
            fields = [f for f in criterion.fields if f not in self.missing_fields(criterion)] or [
                f"claim:{criterion.claim}"
            ]
            out.update(fields=fields, source=source)
            out["how"] = f"Add an evidence item (url {source}, fields {', '.join(fields)}) for the stated fact."
        elif act.kind == "fix":
            result = next(r for r in self.score.criteria if r.id == criterion.id)
            fields = result.stated or list(criterion.fields)
            out.update(fields=fields, source=source)
            found = (result.flag or "a check contradicted it").removeprefix("contradicted by a check: ")
            out["how"] = f"Correct {', '.join(fields)} ({found}). Read {source}."
        elif act.kind == "fill" or (
            act.kind == "verify"
            and self.kinds[criterion.id] == MISSING
            and criterion.can_self_report
            and (not criterion.claim or criterion.claim in CURATOR_CLAIMS)
        ):
            if criterion.claim:
                fields = [f"claim:{criterion.claim}"]
                what = criterion.how_to_earn
            else:
                missing = self.missing_fields(criterion)
                fields = missing if criterion.match == "all" else missing[:1] if len(missing) == 1 else missing
                what = "State " + (" and " if criterion.match == "all" else " or ").join(fields) + "."
            out.update(fields=fields, source=source)
            cite = " Cite it in an evidence item." if evidence else ""
            check = f" Then: {act.how.replace('{id}', entry_id)}" if act.kind == "verify" else ""
            out["how"] = f"{what} Read {source}.{cite}{check}"
        elif act.kind == "verify" and act.run and act.cost == 0:
            out["how"] = f"The same {_RUN_NAMES.get(act.run, act.run)} checks {criterion.title.lower()}."
        elif act.kind == "verify":
            out["how"] = act.how.replace("{id}", entry_id) + f" (checks {criterion.title.lower()})"
        return out

    # -- what a condition needs ------------------------------------------------------------------------------
    def require(self, cond: Condition, reason: str) -> list[Action] | None:
        """Actions that make ``cond`` hold ([] when it already does; None when no known action can)."""
        if evaluate(cond, self.state):
            return []
        if cond.contradicted_any is not None or cond.missing_all is not None:
            return None  # these describe problems (caps); lifting a cap is planned by lift()
        parts: list[list[Action] | None] = []
        if cond.all_of is not None:
            parts.extend(self.require(c, reason) for c in cond.all_of)
        if cond.any_of is not None:
            choices = [r for r in (self.require(c, reason) for c in cond.any_of) if r is not None]
            parts.append(min(choices, key=lambda acts: sum(a.cost for a in acts)) if choices else None)
        if (
            cond.criterion is not None
            and cond.min_evidence is not None  # set together with criterion (the model's validator)
            and EVIDENCE_RANK[self.kinds[cond.criterion]] < EVIDENCE_RANK[cond.min_evidence]
        ):
            act = self.cheapest_to(cond.criterion, cond.min_evidence, reason)
            parts.append([act] if act else None)
        if cond.verified_any is not None:
            parts.append(self._verify_any(cond.verified_any, reason))
        if cond.contradicted_none is not None:
            parts.append(self._fix_contradictions(cond.contradicted_none, reason))
        if cond.present_any is not None and not any(
            field_stated(self.entry, self.state.path(p)) for p in cond.present_any
        ):
            parts.append(self._fill_any(cond.present_any, reason))
        if cond.value_in is not None and not all(
            any(str(v) in allowed for v in values_at(self.entry, self.state.path(p)))
            for p, allowed in cond.value_in.items()
        ):
            wanted = "; ".join(f"{p} one of {', '.join(v)}" for p, v in cond.value_in.items())
            owner = self.rubric.actions.owner or self.rubric.actions.fix
            parts.append([Action(None, "owner", None, 0, owner.cost, f"Needs {wanted}.", reason, who=OWNER)])
        if cond.min_level is not None:
            spec = next((s for s in self.rubric.levels if s.level == cond.min_level), None)
            parts.append(self.require(spec.when, reason) if spec else None)
        if cond.no_contradictions:
            fixes = [self.cheapest_to(cid, SELF_REPORTED, reason) for cid, k in self.kinds.items() if k == CONTRADICTED]
            parts.append([a for a in fixes if a] if all(fixes) else None)
        needed: list[Action] = []
        for part in parts:
            if part is None:
                return None
            needed.extend(part)
        return needed

    def _verify_any(self, patterns: list[str], reason: str) -> list[Action] | None:
        candidates = [
            act
            for c in self.rubric.criteria
            if any(key_matches(p, k) for p in patterns for k in c.verify)
            for act in [_upgrade(self.rubric, c, self.kinds[c.id], VERIFIED, reason)]
            if act is not None and self.allowed(act)
        ]
        if candidates:
            return [min(candidates, key=lambda a: (a.cost, -a.gain))]
        verify = self.rubric.actions.verify
        prefixes = sorted(
            {_prefix(p) for p in patterns if _prefix(p) in verify and self.runs.get(_prefix(p), False)},
            key=lambda p: verify[p].cost,
        )
        if not prefixes:
            return None
        spec = verify[prefixes[0]]
        return [Action(None, "verify", None, 0, spec.cost, spec.how, reason)]

    def _fix_contradictions(self, patterns: list[str], reason: str) -> list[Action]:
        actions: list[Action] = []
        fix = self.rubric.actions.fix
        for v in self.state.evidence.matching(patterns):
            if v.outcome != "contradicted":
                continue
            users = [c for c in self.rubric.criteria if v.key in c.verify]
            for c in users:
                act = self.cheapest_to(c.id, SELF_REPORTED, reason)
                if act and act not in actions:
                    actions.append(act)
            if not users:
                actions.append(
                    Action(None, "fix", None, 0, fix.cost, f"Fix what {v.key} found ({v.detail}). {fix.how}", reason)
                )
        return actions

    def _fill_any(self, paths: list[str], reason: str) -> list[Action] | None:
        options = [
            act
            for text in paths
            for c in self.rubric.criteria
            if text in c.fields and c.can_self_report
            for act in [self.adjust(_upgrade(self.rubric, c, self.kinds[c.id], SELF_REPORTED, reason))]
            if act is not None and self.allowed(act)
        ]
        if options:
            return [min(options, key=lambda a: (a.cost, -a.gain))]
        if not self.sources:
            return None
        fill = self.rubric.actions.fill
        how = f"State {' or '.join(paths)}. Read {self.sources[0]}."
        return [Action(None, "fill", None, 0, fill.cost, how, reason)]

    def lift(self, cap_id: str) -> list[Action]:
        cap = next(c for c in self.rubric.caps if c.id == cap_id)
        reason = f"cap:{cap.id}"
        if cap.lifted_by:
            found = self._fill_any(list(cap.lifted_by), reason)
            if found is not None:
                return found
        patterns = cap.when.key_patterns()
        fixes = self._fix_contradictions(patterns, reason) if patterns else []
        return fixes or [Action(None, "fix", None, 0, self.rubric.actions.fix.cost, cap.how_to_lift, reason)]

    # -- the plan --------------------------------------------------------------------------------------------
    def plan(self) -> dict[str, Any] | None:
        current = TIERS.index(self.score.tier)
        if current == len(TIERS) - 1:
            return None
        target = TIERS[current + 1]
        threshold = self.rubric.threshold(target)
        gates = [g for g in self.score.gates if g.tier == target and not g.holds]
        caps = [c for c in self.score.caps if c.holds and TIERS.index(c.tier) <= current]
        mandatory: list[Action] = []
        reachable = True
        for gate in gates:
            spec = next(g for g in self.rubric.gates if g.id == gate.id)
            acts = self.require(spec.when, f"gate:{gate.id}")
            if acts is None:
                # nothing the curator can state from a source or run passes it: only the owner can change that
                reachable = False
                owner = self.rubric.actions.owner or self.rubric.actions.fix
                acts = [Action(None, "owner", None, 0, owner.cost, spec.how_to_pass, f"gate:{gate.id}", who=OWNER)]
            mandatory.extend(acts)
        for cap in caps:
            mandatory.extend(self.lift(cap.id))
        mandatory = self._merge(mandatory)
        kinds = dict(self.kinds)
        for act in mandatory:
            if act.criterion and act.target:
                kinds[act.criterion] = act.target
        short = threshold - (self.score.units + sum(a.gain for a in mandatory))
        extra: list[Action] = []
        verify = self.rubric.actions.verify
        seen_runs: set[str] = set()
        for i, act in enumerate(mandatory):  # one fetch (link check, benchmark) serves every gate that needs it
            if act.run and act.run in seen_runs:
                mandatory[i] = _shared(act, verify[act.run])
            elif act.run:
                seen_runs.add(act.run)
        planned = {a.criterion for a in mandatory if a.criterion}
        paid = {a.run for a in mandatory if a.run}  # runs the gates need anyway: what they verify costs nothing more
        groups = [
            tuple(_shared(a, verify[a.run]) if a.run in paid else a for a in g)
            for c in self.rubric.criteria
            if c.id not in planned
            for g in [self._entry_options(c, kinds[c.id])]
            if g
        ]
        if short > 0:
            chosen = self._cheapest_with_shared_runs(groups, short, paid)
            if chosen is None:
                reachable = False
                chosen = [max(g, key=lambda a: (a.gain, -a.cost)) for g in groups]
            extra = chosen
        extra = extra + self._run_companions(mandatory + extra, groups)
        actions = [a for a in mandatory + extra if a.who == CURATOR] + [a for a in mandatory + extra if a.who == OWNER]
        after = self.score.units + sum(a.gain for a in actions)
        by_curator = self.score.units + sum(a.gain for a in actions if a.who == CURATOR)
        owner_gates = any(a.who == OWNER and a.reason.startswith(("gate:", "cap:")) for a in actions)
        to_points = self.rubric.to_points
        rendered = [self.render(a) for a in actions]
        return {
            "tier": target,
            "min_points": to_points(threshold),
            "points_needed": to_points(max(threshold - self.score.units, 0)),
            "gates_failing": [g.id for g in gates],
            "caps_blocking": [c.id for c in caps],
            "actions": rendered,
            "curator": [r for r in rendered if r["who"] == CURATOR],
            "owner": [r for r in rendered if r["who"] == OWNER],
            "cost": sum(a.cost for a in actions),
            "points_after": to_points(after),
            "points_after_curator": to_points(by_curator),
            "reachable": reachable and after >= threshold,
            "reachable_by_curator": reachable and by_curator >= threshold and not owner_gates,
        }

    def _entry_options(self, criterion: Criterion, current: str) -> tuple[Action, ...]:
        adjusted = [self.adjust(a) for a in _options(self.rubric, criterion, current) if self.allowed(a)]
        found = [a for a in adjusted if a is not None]
        return tuple(a for a in found if not any(b.cost <= a.cost and b.gain > a.gain for b in found))

    def _run_companions(self, actions: list[Action], groups: list[tuple[Action, ...]]) -> list[Action]:
        """A chosen fetch, link check or benchmark run also verifies every other criterion it covers at no extra
        cost: those are listed too, so that the plan predicts what running it really changes."""
        runs = {a.run for a in actions if a.run}
        if not runs:
            return []
        have: set[str | None] = {a.criterion for a in actions if a.criterion}
        verify = self.rubric.actions.verify
        extra = []
        for group in groups:
            free = [
                _shared(a, verify[a.run])
                for a in group
                if a.run in runs and a.criterion not in have and a.kind == "verify" and a.cost <= verify[a.run].cost
            ]
            if free:
                best = max(free, key=lambda a: (a.gain, -a.cost))
                extra.append(best)
                have.add(best.criterion)
        return extra

    def _cheapest_with_shared_runs(
        self, groups: list[tuple[Action, ...]], need: int, paid: set[str] | frozenset[str] = frozenset()
    ) -> list[Action] | None:
        """cheapest_cover where one run (a fetch, a link check, a benchmark) that verifies several criteria is paid
        once: it appears as its own action, and the criteria it verifies cost only the edits they still need."""
        verify = self.rubric.actions.verify
        counts: dict[str, int] = {}
        for group in groups:
            for run in {a.run for a in group if a.run}:
                counts[run] = counts.get(run, 0) + 1
        run_costs = {run: verify[run].cost for run, n in counts.items() if n >= 2 and run not in paid}
        chosen = cheapest_cover(groups, need, run_costs)
        if chosen is None or not run_costs:
            return chosen
        runs = sorted({a.run for a in chosen if a.run in run_costs})
        setup = [Action(None, "run", None, 0, verify[r].cost, verify[r].how, "points", run=r) for r in runs]
        return setup + [_shared(a, verify[a.run]) if a.run in run_costs else a for a in chosen]

    def _merge(self, actions: list[Action]) -> list[Action]:
        """One action per criterion (the strongest target wins); other actions once each, in order."""
        best: dict[str, Action] = {}
        others: list[Action] = []
        for act in actions:
            if act.criterion is None or act.target is None:  # criterion upgrades always name their target
                same = next((i for i, o in enumerate(others) if (o.how, o.kind) == (act.how, act.kind)), None)
                if same is None:
                    others.append(act)
                else:
                    reasons = ", ".join(dict.fromkeys([*others[same].reason.split(", "), act.reason]))
                    others[same] = replace(others[same], reason=reasons)
                continue
            held = best.get(act.criterion)
            if held is None:
                best[act.criterion] = act
                continue
            reasons = ", ".join(dict.fromkeys([*held.reason.split(", "), *act.reason.split(", ")]))
            stronger = act if held.target is None or EVIDENCE_RANK[act.target] > EVIDENCE_RANK[held.target] else held
            best[act.criterion] = replace(stronger, reason=reasons)
        order: dict[str | None, int] = {c.id: i for i, c in enumerate(self.rubric.criteria)}
        return sorted(best.values(), key=lambda a: order[a.criterion]) + others


def cheapest_cover(
    groups: list[tuple[Action, ...]], need: int, run_costs: dict[str, int] | None = None
) -> list[Action] | None:
    """The minimum-cost choice of at most one action per group whose gains reach ``need`` (see ``_cover``).

    Memoised: entries missing the same evidence pose the same problem, and actions are immutable and shared."""
    found = _cover(tuple(groups), need, tuple(sorted((run_costs or {}).items())))
    return None if found is None else list(found)


@lru_cache(maxsize=8192)
def _cover(
    groups: tuple[tuple[Action, ...], ...], need: int, run_costs_items: tuple[tuple[str, int], ...]
) -> tuple[Action, ...] | None:
    """The minimum-cost choice of at most one action per group whose gains reach ``need`` (None if impossible).

    ``run_costs`` names runs (e.g. "checks": one fetch) whose cost is included in the cost of every action that
    relies on them but is paid only once however many chosen actions share it.

    Exact: a dynamic programme over (runs paid, total cost), costs being whole numbers, bounded by the cost of a
    greedy solution and tightened as soon as a plan reaches ``need``; a state is dropped when a cheaper one with the
    same runs paid gains at least as much. Ties go to the larger gain, then to the earlier criteria, so the result
    is deterministic.
    """
    if need <= 0:
        return ()
    if sum(max(a.gain for a in g) for g in groups) < need:
        return None
    run_costs: dict[str | None, int] = dict(run_costs_items)
    bits: dict[str | None, int] = {run: 1 << i for i, run in enumerate(sorted(run for run, _ in run_costs_items))}
    bound = _greedy_bound(groups, need)
    # live states only: runs-paid mask -> {total cost: (gain, picks as a linked list)}
    states: dict[int, dict[int, tuple[int, Any]]] = {0: {0: (0, None)}}
    for group in groups:
        options = [(a.cost, a.gain, bits.get(a.run, 0), run_costs.get(a.run, 0), a) for a in group if a.cost <= bound]
        if not options:
            continue
        new_states = {mask: dict(row) for mask, row in states.items()}
        for mask, row in states.items():
            for cost, (gain, chain) in row.items():
                if gain >= need:
                    continue
                for full, more, bit, paid_once, act in options:
                    total = cost + (full - paid_once if mask & bit else full)
                    if total > bound:
                        continue
                    target = new_states.setdefault(mask | bit, {})
                    held = target.get(total)
                    if held is None or gain + more > held[0]:
                        target[total] = (gain + more, (act, chain))
        states = {}
        for mask, row in new_states.items():
            kept: dict[int, tuple[int, Any]] = {}
            best = -1
            for cost in sorted(row):
                if cost > bound:
                    break
                gain = row[cost][0]
                if gain > best:
                    kept[cost] = row[cost]
                    best = gain
                    if gain >= need:
                        bound = cost  # nothing dearer can be the answer
                        break
            if kept:
                states[mask] = kept
    finals = sorted(
        (cost, mask)
        for mask, row in states.items()
        for cost, (gain, _) in row.items()
        if gain >= need and cost <= bound
    )
    if not finals:
        return None
    cost, mask = finals[0]
    found = states[mask][cost][1]
    chosen = []
    while found is not None:
        chosen.append(found[0])
        found = found[1]
    return tuple(chosen[::-1])


def _greedy_bound(groups: Sequence[tuple[Action, ...]], need: int) -> int:
    """The cost of a feasible solution: best gain-per-cost upgrades first, one per group; else every largest one."""
    ranked = sorted(
        ((a.gain / max(a.cost, 0.5), i, a) for i, g in enumerate(groups) for a in g), key=lambda t: (-t[0], t[1])
    )
    picked: dict[int, Action] = {}
    total = 0
    for _, i, act in ranked:
        if total >= need:
            break
        if i not in picked:
            picked[i] = act
            total += act.gain
    if total >= need:
        return sum(a.cost for a in picked.values())
    return sum(max(g, key=lambda a: a.gain).cost for g in groups)


def plan_next_tier(score: Score, entry: Entry, state: ConditionState) -> dict[str, Any] | None:
    return Planner(score, entry, state).plan()
