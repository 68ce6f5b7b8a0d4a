"""The value every metric function returns."""

from __future__ import annotations

from dataclasses import dataclass

# Metrics where lower is better; everything else is higher-is-better.
LOWER_IS_BETTER_PREFIXES = ("hd95", "hd", "assd", "mre", "fp_rate", "fp_area")


def lower_is_better(metric: str) -> bool:
    base = metric.split("[", 1)[0]
    return base in LOWER_IS_BETTER_PREFIXES


def bounded(metric: str) -> bool:
    """Whether a metric lives on [0, 1] (overlap, rates, AUC...) rather than in pixels."""
    base = metric.split("[", 1)[0]
    return base not in ("hd95", "hd", "assd", "mre", "fp_area") and not base.startswith("check.")


@dataclass(frozen=True)
class MetricValue:
    name: str
    value: float
    ci_low: float | None = None
    ci_high: float | None = None
    n: int | None = None

    def as_dict(self) -> dict:
        return {"metric": self.name, "value": self.value, "ci_low": self.ci_low, "ci_high": self.ci_high, "n": self.n}
