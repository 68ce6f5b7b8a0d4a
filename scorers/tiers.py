"""The fixed vocabularies of scoring: tier names, evidence kinds and verification levels, with their orderings."""

from __future__ import annotations

TIERS: tuple[str, ...] = ("steel", "bronze", "silver", "gold", "platinum", "diamond")
"""Lowest to highest: ``TIERS.index(name)`` is the tier's rank (steel=0 ... diamond=5)."""

TIER_RANK: dict[str, int] = {name: rank for rank, name in enumerate(TIERS)}

VERIFIED = "verified"
WITH_EVIDENCE = "self-reported-with-evidence"
WELL_FORMED = "well-formed"
SELF_REPORTED = "self-reported"
MISSING = "missing"
CONTRADICTED = "contradicted"

EVIDENCE_KINDS: tuple[str, ...] = (CONTRADICTED, MISSING, SELF_REPORTED, WITH_EVIDENCE, WELL_FORMED, VERIFIED)
"""Weakest to strongest. A contradicted claim ranks below a missing one. "well-formed" is a claim that passed a check
which could not have failed on wrong facts (a DOI's syntax, a declared checksum): stronger than a bare statement,
weaker than a verification. A rubric without a credit for it (v1) counts it as verified, as v1 always did."""

OPTIONAL_KINDS: frozenset[str] = frozenset({WELL_FORMED})
"""Evidence kinds a rubric's credit table may leave out (rubric v1 predates them)."""

EVIDENCE_RANK: dict[str, int] = {kind: rank for rank, kind in enumerate(EVIDENCE_KINDS)}

LEVELS: tuple[str, ...] = ("V0", "V1", "V2", "V3")
LEVEL_RANK: dict[str, int] = {level: rank for rank, level in enumerate(LEVELS)}


def tier_rank(name: str) -> int:
    return TIER_RANK[name]
