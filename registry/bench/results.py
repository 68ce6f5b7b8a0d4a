"""Storing benchmark outcomes in the index, and reading them back as leaderboards (for the CLI and the site)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from .jobs import BenchOutcome
from .metrics.base import lower_is_better

# The headline metric of a leaderboard, by task; the first one a run has is used.
PRIMARY_METRICS = ("dice", "map", "auc", "accuracy", "mre")
# Secondary columns shown beside the headline metric, when a run has them.
SECONDARY_METRICS = ("iou", "hd95", "assd", "fp_rate", "fp_area", "map50", "box_iou", "accuracy", "f1_macro", "mcc")


def row_columns() -> list[str]:
    from ..index import BenchResultRow

    return [c for c in BenchResultRow.model_fields if c != "id"]


def ensure_columns(index) -> None:
    """Add result columns that an index created by an older usreg lacks (SQLite ALTER TABLE ADD COLUMN)."""
    index.ensure_bench_columns(row_columns())


def store(index, outcomes: Iterable[BenchOutcome]) -> int:
    """Add every outcome's rows to the index in one transaction; returns the number of rows.

    Every row gets every column (None where it has no value): a bulk insert takes its columns from the first row.
    """
    ensure_columns(index)
    columns = row_columns()
    rows = [{c: r.get(c) for c in columns} for o in outcomes for r in o.rows]
    return index.add_bench_results(rows) if rows else 0


def runs(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Group result rows by run: one dict per run with its metrics {name: row} and checks {name: row}."""
    grouped: dict[str, dict[str, Any]] = {}
    for r in rows:
        run = grouped.setdefault(
            r["run_id"],
            {
                "run_id": r["run_id"],
                "dataset_id": r["dataset_id"],
                "model_id": r["model_id"],
                "split": r["split"],
                "created": r["created"],
                "convention": None,
                "weights_sha256": r.get("weights_sha256"),
                "weights_status": r.get("weights_status"),
                "dataset_version": r.get("dataset_version"),
                "seed": r.get("seed"),
                "device": r.get("device"),
                "metrics": {},
                "checks": {},
            },
        )
        if "data_trust" not in run and not r["metric"].startswith("check."):  # a metric row's detail names the data
            facts = detail(r)
            run["data_trust"] = facts.get("data_trust") if isinstance(facts, dict) else None
            run["data_state"] = facts.get("data_state") if isinstance(facts, dict) else None
        if r["metric"].startswith("check."):
            run["checks"][r["metric"]] = r
        else:
            run["metrics"][r["metric"]] = r
            run["convention"] = run["convention"] or r.get("convention")
        run["created"] = max(run["created"], r["created"])
    return list(grouped.values())


def counts_as_evidence(run: dict[str, Any]) -> bool:
    """Whether a run says something about the entry's released weights: not a --weights file that is not the
    release (``weights_status`` unverified, ``registry.bench.weights``). Registry verification uses only these."""
    return run.get("weights_status") != "unverified"


def data_verified(run: dict[str, Any]) -> bool:
    """Whether a run measured verified data: every file it was converted from matched a checksum the host or the entry
    gives. A run on data taken with --from-file and not verified, or fetched with --skip-verify, is shown, marked, but
    neither reproduces nor contradicts a claim. A partial conversion of verified data (a data check failed, or the
    entry's counts differ) still counts, and is marked 'partial' where results are shown."""
    return run.get("data_trust") in ("host-verified", "entry-verified")


def data_label(run: dict[str, Any]) -> str:
    """The data a run measured, in a word or two: verified, unverified, partial, or unverified and partial."""
    trust = run.get("data_trust")
    parts = ["verified" if trust in ("host-verified", "entry-verified") else "unverified"]
    if run.get("data_state") == "partial":
        parts = ["partial"] if parts == ["verified"] else [*parts, "partial"]
    return ", ".join(parts)


def primary_metric(run_list: Sequence[dict[str, Any]], requested: str | None = None) -> str | None:
    if requested:
        return requested
    names = {m for run in run_list for m in run["metrics"]}
    return next((m for m in PRIMARY_METRICS if m in names), None)


def leaderboard(
    index,
    dataset_id: str,
    split: str | None = None,
    metric: str | None = None,
    all_runs: bool = False,
) -> tuple[str | None, list[dict[str, Any]]]:
    """(headline metric, ranked rows): the latest run of each model (and split), best first."""
    ensure_columns(index)
    found = [r for r in runs(index.bench_results(dataset_id=dataset_id)) if r["metrics"]]
    if split:
        found = [r for r in found if r["split"] == split]
    if not all_runs:
        latest: dict[tuple[str, str], dict[str, Any]] = {}
        for r in sorted(found, key=lambda r: r["created"]):
            latest[(r["model_id"], r["split"])] = r
        found = list(latest.values())
    head = primary_metric(found, metric)
    lower = head is not None and lower_is_better(head)

    def key(run):
        row = run["metrics"].get(head) if head else None
        if row is None:
            return (1, 0.0)
        return (0, row["value"] if lower else -row["value"])

    ranked = sorted(found, key=lambda r: (key(r), r["model_id"]))
    out = []
    for rank, run in enumerate(ranked, start=1):
        row = run["metrics"].get(head) if head else None
        entry = {
            "rank": rank if row is not None else None,
            "model": run["model_id"],
            "split": run["split"],
            "metric": head,
            "value": row["value"] if row else None,
            "ci": ci_text(row),
            "n": row["n"] if row else None,
            "data": data_label(run),
        }
        for name in SECONDARY_METRICS:
            if name != head and name in run["metrics"]:
                entry[name] = run["metrics"][name]["value"]
        entry.update(
            {
                "convention": run["convention"],
                "dataset_version": run["dataset_version"],
                "weights_sha256": (run["weights_sha256"] or "")[:12] or None,
                "weights_status": run["weights_status"],
                "created": run["created"],
                "run_id": run["run_id"],
                "all_metrics": {k: _plain(v) for k, v in run["metrics"].items()},
            }
        )
        out.append(entry)
    return head, out


def ci_text(row: dict[str, Any] | None) -> str | None:
    if not row or row.get("ci_low") is None or row.get("ci_high") is None:
        return None
    return f"[{row['ci_low']:.4g}, {row['ci_high']:.4g}]"


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {"value": row["value"], "ci_low": row.get("ci_low"), "ci_high": row.get("ci_high"), "n": row.get("n")}


def detail(row: dict[str, Any]) -> dict[str, Any]:
    try:
        return json.loads(row.get("detail") or "{}")
    except ValueError:
        return {}


def columns(rows: Sequence[dict[str, Any]], head: str | None) -> list[str]:
    """Leaderboard columns to print: fixed ones, then the secondary metrics any row has."""
    present = [m for m in SECONDARY_METRICS if m != head and any(m in r for r in rows)]
    return ["rank", "model", "split", "metric", "value", "ci", "n", "data", *present, "convention", "created", "run_id"]
