"""usreg scorers: transparent, versioned quality tiers for datasets and models.

The rubric is data (``scorers/rubrics/*.yaml``); the engine applies it to an entry with the evidence that
providers report (offline checks, data checks of fetched data, link checks, benchmark reproductions) and explains
the result: points per criterion, evidence kinds, tier, verification level, the gate or cap that limited it, and
the cheapest actions to reach the next tier.
"""

from .engine import CriterionResult, Score, Scorer, score_catalog, score_entry
from .evidence import (
    EvidenceBundle,
    EvidenceContext,
    EvidenceProvider,
    StaticEvidence,
    Verification,
)
from .keys import register_keys
from .rubric import Rubric, RubricError, load_rubric
from .tiers import EVIDENCE_KINDS, LEVELS, TIER_RANK, TIERS

__all__ = [
    "EVIDENCE_KINDS",
    "LEVELS",
    "TIERS",
    "TIER_RANK",
    "CriterionResult",
    "EvidenceBundle",
    "EvidenceContext",
    "EvidenceProvider",
    "Rubric",
    "RubricError",
    "Score",
    "Scorer",
    "StaticEvidence",
    "Verification",
    "load_rubric",
    "register_keys",
    "score_catalog",
    "score_entry",
]
