"""The evidence interface: providers report verifications of an entry's claims; the engine maps them to criteria.

A provider checks something about one entry (offline metadata checks, the data checks of a fetched dataset, a
link check, a benchmark reproduction) and reports :class:`Verification` items, each under a *key* such as
``offline:spdx`` or ``checks:subject_leakage``. The rubric names, for each criterion, the keys that can verify or
contradict it, so providers know nothing about points and the rubric knows nothing about how checks run.
:func:`resolve_evidence` gathers every provider's verifications for an entry and groups them by criterion id.

A new provider needs only a ``name``, a ``keys`` mapping (key -> what a verification under it means) and a
``verify(entry, kind, context)`` method; :func:`register_keys` makes its keys usable in rubric files.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:
    from registry.catalog import Catalog
    from registry.schema import Entry

    from .catalog_view import CatalogView
    from .rubric import Rubric

Outcome = Literal["verified", "well-formed", "contradicted"]
"""``verified``: a check that could have failed passed (a licence id that resolves, bytes that matched their checksums,
a dated link check, a reproduced metric). ``well-formed``: only the form was checked (a DOI's syntax, a declared
checksum nobody compared with bytes). ``contradicted``: a check found the claim false."""


@dataclass(frozen=True)
class Verification:
    """One checked claim: ``key`` names the check, ``outcome`` says whether the claim held."""

    key: str
    outcome: Outcome
    detail: str
    source: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"key": self.key, "outcome": self.outcome, "detail": self.detail, "source": self.source}


class EvidenceContext:
    """What a provider may look at besides the entry: the whole catalog (and its reverse links) and the rubric."""

    def __init__(self, catalog: Catalog | None, rubric: Rubric, view: CatalogView | None = None) -> None:
        self.catalog = catalog
        self.rubric = rubric
        if view is None:
            from .catalog_view import CatalogView

            view = CatalogView.build(catalog)
        self.view: CatalogView = view


@runtime_checkable
class EvidenceProvider(Protocol):
    # read-only members: providers declare them as class constants
    @property
    def name(self) -> str: ...
    @property
    def keys(self) -> Mapping[str, str]: ...

    def verify(self, entry: Entry, kind: str, context: EvidenceContext) -> Iterable[Verification]:
        """Verifications of ``entry`` (a Dataset or Model; ``kind`` is "dataset" or "model")."""
        ...


@dataclass
class EvidenceBundle:
    """Every verification of one entry, by key and by criterion id, plus notes about unreadable evidence."""

    items: list[Verification] = field(default_factory=list)
    by_key: dict[str, list[Verification]] = field(default_factory=dict)
    by_criterion: dict[str, list[Verification]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def matching(self, patterns: Sequence[str]) -> list[Verification]:
        if not self.items:
            return []
        key = tuple(patterns)
        cache = self.__dict__.setdefault("_matching", {})
        found = cache.get(key)
        if found is None:
            found = cache[key] = [v for v in self.items if any(key_matches(p, v.key) for p in patterns)]
        return found


def key_matches(pattern: str, key: str) -> bool:
    """Keys are matched exactly, or with a shell-style pattern such as ``checks:*``."""
    if "*" not in pattern and "?" not in pattern and "[" not in pattern:
        return pattern == key
    head = pattern[:-1]
    if pattern.endswith("*") and not any(ch in head for ch in "*?["):
        return key.startswith(head)
    return fnmatch.fnmatchcase(key, pattern)


def pattern_is_known(pattern: str, keys: Iterable[str]) -> bool:
    return any(key_matches(pattern, k) for k in keys)


def resolve_evidence(
    entry: Entry, kind: str, rubric: Rubric, providers: Sequence[EvidenceProvider], context: EvidenceContext
) -> EvidenceBundle:
    """Ask every provider about ``entry`` and group the answers by key and by the criteria that name each key."""
    bundle = EvidenceBundle()
    for provider in providers:
        try:
            found = list(provider.verify(entry, kind, context))
        except EvidenceError as exc:
            bundle.notes.append(f"{provider.name}: {exc}")
            continue
        bundle.items.extend(found)
    users = rubric.key_users
    for item in bundle.items:
        bundle.by_key.setdefault(item.key, []).append(item)
        for criterion_id in users.get(item.key, ()):
            bundle.by_criterion.setdefault(criterion_id, []).append(item)
    return bundle


class EvidenceError(Exception):
    """A provider could not read its evidence for one entry (the score notes it and goes on)."""


class StaticEvidence:
    """A provider that reports fixed verifications per entry id (for plug-ins that compute evidence elsewhere,
    and for tests)."""

    name = "static"

    def __init__(self, verifications: Mapping[str, Iterable[Verification]], keys: Mapping[str, str] | None = None):
        self.verifications = {k: list(v) for k, v in verifications.items()}
        self.keys = dict(keys or {})

    def verify(self, entry: Entry, kind: str, context: EvidenceContext) -> Iterable[Verification]:
        return list(self.verifications.get(entry.id, ()))
