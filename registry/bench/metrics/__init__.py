"""Benchmark metrics. Each module documents its convention; ``conventions.py`` says which source uses which."""

from __future__ import annotations

from .base import MetricValue, bounded, lower_is_better
from .conventions import CONVENTIONS, SegConvention, convention_for, get_convention

__all__ = [
    "CONVENTIONS",
    "MetricValue",
    "SegConvention",
    "bounded",
    "convention_for",
    "get_convention",
    "lower_is_better",
]
