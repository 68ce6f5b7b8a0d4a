"""Benchmark evidence: reproduced results (verification level V3) and forward-pass checks of model weights.

The interface is a list of :class:`BenchRecord`. Records come from two places:

- ``$USREG_HOME/bench/reproductions.json``: ``{"schema": "usreg-bench-verifications/1", "records": [...]}``, each
  record ``{"model_id", "check": "reproduction"|"forward-pass", "dataset_id", "split", "metric", "reported",
  "reproduced", "within_tolerance", "ok", "detail"}`` (fields as they apply), written by the benchmark runner;
- the benchmark results in the index, matched against the metrics that model entries report. A result stored under
  a model entry's id (a registry model, or one of usreg's own recipes that a model entry claims) also shows that the
  runner loaded and ran that model: a forward pass.

Whether a reproduction is within tolerance is decided here with the rubric's ``params.reproduction_tolerance``
(|reproduced - reported| <= max(absolute, relative * |reported|)); a record's own ``within_tolerance`` is used only
when it has no numbers.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from ..evidence import EvidenceContext, EvidenceError, Verification

if TYPE_CHECKING:
    from registry.catalog import Catalog
    from registry.schema import Entry

RECORDS_SCHEMA = "usreg-bench-verifications/1"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BenchRecord:
    model_id: str
    check: Literal["reproduction", "forward-pass"] = "reproduction"
    dataset_id: str | None = None
    split: str | None = None
    metric: str | None = None
    reported: float | None = None
    reproduced: float | None = None
    within_tolerance: bool | None = None
    ok: bool | None = None
    detail: str = ""


def within(record: BenchRecord, absolute: float, relative: float) -> bool | None:
    if record.reported is not None and record.reproduced is not None:
        allowed = max(absolute, relative * abs(record.reported))
        return abs(record.reproduced - record.reported) <= allowed + 1e-12
    return record.within_tolerance


def read_records(path: Path) -> list[BenchRecord]:
    """Records from a reproductions file; raises EvidenceError naming the file and the bad record."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EvidenceError(f"cannot read {path}: {exc}") from None
    if not isinstance(data, dict) or data.get("schema") != RECORDS_SCHEMA or not isinstance(data.get("records"), list):
        raise EvidenceError(f"{path}: expected {{'schema': '{RECORDS_SCHEMA}', 'records': [...]}}")
    fields = set(BenchRecord.__dataclass_fields__)
    records = []
    for i, item in enumerate(data["records"]):
        if not isinstance(item, dict) or not isinstance(item.get("model_id"), str):
            raise EvidenceError(f"{path}: records[{i}] needs 'model_id'")
        unknown = set(item) - fields
        if unknown:
            raise EvidenceError(f"{path}: records[{i}] has unknown keys {sorted(unknown)}")
        if item.get("check", "reproduction") not in ("reproduction", "forward-pass"):
            raise EvidenceError(f"{path}: records[{i}] 'check' must be 'reproduction' or 'forward-pass'")
        try:
            records.append(BenchRecord(**{k: v for k, v in item.items()}))
        except TypeError as exc:
            raise EvidenceError(f"{path}: records[{i}]: {exc}") from None
    return records


def _metric_key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def records_from_results(catalog: Catalog | None, results: Iterable[dict[str, Any]]) -> list[BenchRecord]:
    """Reproduction records from benchmark results, for every metric a model entry reports on a registry dataset."""
    records = []
    models = catalog.models if catalog is not None else {}
    for row in results:
        model = models.get(str(row.get("model_id")))
        if model is None:
            continue
        for metric in model.metrics:
            if metric.dataset != row.get("dataset_id") or _metric_key(metric.metric) != _metric_key(row["metric"]):
                continue
            if metric.split and row.get("split") and metric.split != row["split"]:
                continue
            reported = metric.value / 100 if (metric.unit or "").strip() in ("%", "percent") else metric.value
            records.append(
                BenchRecord(
                    model_id=model.id,
                    dataset_id=metric.dataset,
                    split=row.get("split"),
                    metric=metric.metric,
                    reported=reported,
                    reproduced=float(row["value"]),
                    detail=f"run {row.get('run_id', '?')}",
                )
            )
    return records


class BenchProvider:
    """Verifications from benchmark records (see the module docstring for where records come from)."""

    name = "bench"
    keys: ClassVar[dict[str, str]] = {
        "bench:reproduced": "the benchmark runner reproduced a reported result within the rubric's tolerance",
        "bench:forward-pass": "the weights load and a forward pass matches the declared output",
        "bench:dataset-baseline": "the benchmark runner has results on the dataset",
    }

    def __init__(self, records: Iterable[BenchRecord] = (), datasets_with_results: Iterable[str] = ()) -> None:
        self.by_model: dict[str, list[BenchRecord]] = {}
        self.by_dataset: dict[str, list[BenchRecord]] = {}
        for record in records:
            self.by_model.setdefault(record.model_id, []).append(record)
            if record.dataset_id:
                self.by_dataset.setdefault(record.dataset_id, []).append(record)
        self.datasets_with_results = set(datasets_with_results)
        self.models_with_results: dict[str, list[str]] = {}

    @classmethod
    def from_sources(
        cls, catalog: Catalog | None, home: Path | None, results: Iterable[dict[str, Any]] | None = None
    ) -> BenchProvider:
        records: list[BenchRecord] = []
        path = Path(home) / "bench" / "reproductions.json" if home else None
        if path is not None and path.is_file():
            try:
                records.extend(read_records(path))
            except EvidenceError as exc:
                log.warning("benchmark evidence ignored: %s", exc)
        rows = list(results or [])
        records.extend(records_from_results(catalog, rows))
        provider = cls(records, {r["dataset_id"] for r in rows if r.get("dataset_id")})
        for row in rows:  # results stored under a model entry's id: the runner ran that model's weights
            if row.get("model_id") and row.get("dataset_id"):
                found = provider.models_with_results.setdefault(row["model_id"], [])
                if row["dataset_id"] not in found:
                    found.append(row["dataset_id"])
        return provider

    def verify(self, entry: Entry, kind: str, context: EvidenceContext) -> Iterable[Verification]:
        tol = context.rubric.params.reproduction_tolerance
        out = []
        records = self.by_model.get(entry.id, []) if kind == "model" else self.by_dataset.get(entry.id, [])
        repro = [r for r in records if r.check == "reproduction"]
        good = [r for r in repro if within(r, tol.absolute, tol.relative)]
        if good:
            r = good[0]
            out.append(Verification("bench:reproduced", "verified", _describe(r, "reproduced"), self.name))
        elif any(within(r, tol.absolute, tol.relative) is False for r in repro):
            r = next(r for r in repro if within(r, tol.absolute, tol.relative) is False)
            out.append(Verification("bench:reproduced", "contradicted", _describe(r, "not reproduced"), self.name))
        if kind == "model":
            passes = [r for r in records if r.check == "forward-pass"]
            if any(r.ok is False for r in passes):
                detail = next(r.detail for r in passes if r.ok is False) or "the forward pass failed"
                out.append(Verification("bench:forward-pass", "contradicted", detail, self.name))
            elif any(r.ok for r in passes):
                detail = next(r.detail for r in passes if r.ok) or "weights loaded; output matches the declared spec"
                out.append(Verification("bench:forward-pass", "verified", detail, self.name))
            elif entry.id in self.models_with_results:
                ran = ", ".join(self.models_with_results[entry.id][:3])
                detail = f"the benchmark runner ran the model and stored its results on {ran}"
                out.append(Verification("bench:forward-pass", "verified", detail, self.name))
        elif entry.id in self.datasets_with_results or entry.id in self.by_dataset:
            out.append(
                Verification(
                    "bench:dataset-baseline", "verified", "the benchmark runner has results on this dataset", self.name
                )
            )
        return out


def _describe(r: BenchRecord, verdict: str) -> str:
    numbers = (
        f"reported {r.reported:.4g}, reproduced {r.reproduced:.4g}"
        if (r.reported is not None and r.reproduced is not None)
        else "as recorded"
    )
    where = f" on {r.dataset_id}" + (f" [{r.split}]" if r.split else "") if r.dataset_id else ""
    extra = f" ({r.detail})" if r.detail else ""
    return f"{r.metric or 'metric'} of {r.model_id}{where} {verdict}: {numbers}{extra}"
