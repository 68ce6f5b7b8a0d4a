"""Leaderboard pages: one per dataset and task, one table per metric and target, each ranked in its metric's
direction (HD95, ASSD, false-positive area: lower is better; Dice, IoU, AUC: higher is better), with the provenance
of every run."""

from __future__ import annotations

import json
import math
import re
from collections import defaultdict
from typing import Any

from .context import Page, SiteContext
from .html import esc

METRIC_NAMES = {
    "dice": "Dice",
    "iou": "IoU",
    "hd95": "HD95 (px)",
    "hd": "Hausdorff distance (px)",
    "assd": "ASSD (px)",
    "fp_rate": "False-positive rate (images without a lesion)",
    "fp_area": "False-positive area (fraction of the image)",
    "map": "mAP",
    "map50": "mAP@50",
    "box_iou": "Box IoU",
    "auc": "AUC",
    "accuracy": "Accuracy",
    "f1_macro": "F1 (macro)",
    "mcc": "MCC",
    "mre": "Mean radial error",
}


def split_metric(name: str) -> tuple[str, str | None]:
    """``dice[plaque]`` -> (``dice``, ``plaque``); ``dice`` -> (``dice``, None)."""
    match = re.fullmatch(r"([^\[\]]+)\[(.+)\]", name)
    return (match.group(1), match.group(2)) if match else (name, None)


def metric_label(base: str) -> str:
    return METRIC_NAMES.get(base, base)


def _metric_order() -> list[str]:
    # registry.bench is imported only when there are results to show: it loads scipy and the model runtimes
    from ..bench.results import PRIMARY_METRICS, SECONDARY_METRICS

    return list(dict.fromkeys([*PRIMARY_METRICS, *SECONDARY_METRICS, "hd"]))


def direction(base: str) -> tuple[bool, str]:
    from ..bench.metrics.base import lower_is_better

    lower = lower_is_better(base)
    return lower, ("↓ lower is better" if lower else "↑ higher is better")


def _detail(row: dict[str, Any]) -> dict[str, Any]:
    try:
        data = json.loads(row.get("detail") or "{}")
    except (TypeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def run_task(run: dict[str, Any]) -> str:
    for row in run["metrics"].values():
        task = _detail(row).get("task")
        if task:
            return str(task)
    names = {split_metric(m)[0] for m in run["metrics"]}
    if names & {"dice", "iou", "hd95", "assd"}:
        return "segmentation"
    if names & {"map", "map50", "box_iou"}:
        return "detection"
    if names & {"auc", "accuracy", "f1_macro", "mcc"}:
        return "classification"
    return "other"


def _tables_of_run(run: dict[str, Any]) -> dict[tuple[str, str | None], dict[str, Any]]:
    """(metric, target) -> result row, without an unlabelled mean that only repeats its single target's value."""
    by_key: dict[tuple[str, str | None], dict[str, Any]] = {}
    for name, row in run["metrics"].items():
        value = row.get("value")
        if value is None or not math.isfinite(value):
            continue
        by_key[split_metric(name)] = row
    targets: dict[str, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
    for (base, target), row in by_key.items():
        if target is not None and target != "background":
            targets[base].append((target, row))
    for base, items in targets.items():
        mean = by_key.get((base, None))
        if mean is not None and len(items) == 1 and abs(items[0][1]["value"] - mean["value"]) <= 1e-9:
            del by_key[(base, None)]
    return by_key


def _latest_runs(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not results:
        return []
    from ..bench.results import runs

    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for run in sorted(runs(results), key=lambda r: (r["created"], r["run_id"])):
        if run["metrics"]:
            latest[(run["model_id"], run["split"])] = run
    return list(latest.values())


def model_cell(ctx: SiteContext, model_id: str, prefix: str) -> str:
    """A link to the model's page when the catalog has it; built-in baselines are named as such, unlinked."""
    if model_id in ctx.catalog.models:
        return f'<a href="{prefix}models/{esc(model_id)}.html">{esc(model_id)}</a>'
    if model_id.startswith("builtin:"):
        return f'{esc(model_id.split(":", 1)[1])} <span class="usreg-muted">(built-in baseline)</span>'
    return esc(model_id)


def _fmt(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:.4f}" if abs(value) < 1000 else f"{value:.1f}"


def _ci(row: dict[str, Any]) -> str:
    if row.get("ci_low") is None or row.get("ci_high") is None:
        return ""
    return f"{_fmt(row['ci_low'])}–{_fmt(row['ci_high'])}"


def _table_order(key: tuple[str, str | None], order: list[str]) -> tuple[int, str, str]:
    base, target = key
    rank = order.index(base) if base in order else len(order)
    return (rank, base, target or "")


def ranked_tables(ctx: SiteContext, run_list: list[dict[str, Any]], prefix: str, column: str = "model") -> str:
    """One ranked table per metric and target. ``column`` is what each row names: the model or the dataset."""
    tables: dict[tuple[str, str | None], list[tuple[dict[str, Any], dict[str, Any]]]] = defaultdict(list)
    for run in run_list:
        for key, row in _tables_of_run(run).items():
            tables[key].append((run, row))
    parts = []
    order = _metric_order()
    for key in sorted(tables, key=lambda k: _table_order(k, order)):
        base, target = key
        lower, arrow = direction(base)
        rows = sorted(
            tables[key], key=lambda item: (item[1]["value"] if lower else -item[1]["value"], item[0]["model_id"])
        )
        title = metric_label(base) + (f" — {target}" if target else " — mean over classes")
        slug = re.sub(r"[^a-z0-9]+", "-", f"{base}-{target or 'mean'}".lower()).strip("-")
        body = []
        for rank, (run, row) in enumerate(rows, start=1):
            who = (
                model_cell(ctx, run["model_id"], prefix)
                if column == "model"
                else f'<a href="{prefix}datasets/{esc(run["dataset_id"])}.html">{esc(run["dataset_id"])}</a>'
            )
            body.append(
                f"<tr><td>{rank}</td><td>{who}</td><td>{esc(run['split'])}</td>"
                f'<td data-value="{row["value"]}">{_fmt(row["value"])}</td><td>{_ci(row)}</td>'
                f'<td>{esc(row.get("n"))}</td>{_data_cell(run)}<td><a href="#run-{esc(_slug(run["run_id"]))}">'
                f"<span class='usreg-w'>{esc((run.get('created') or '')[:10])}</span></a></td></tr>"
            )
        parts.append(
            f'<h3 id="{slug}">{esc(title)} <span class="usreg-direction" data-lower="{str(lower).lower()}">'
            f"{esc(arrow)}</span></h3>"
            f'<table class="usreg-leaderboard" data-metric="{esc(base)}" data-target="{esc(target or "")}" '
            f'data-lower-is-better="{str(lower).lower()}"><thead><tr><th scope="col">Rank</th>'
            f'<th scope="col">{"Model" if column == "model" else "Dataset"}</th><th scope="col">Split</th>'
            f'<th scope="col">{esc(metric_label(base))}</th><th scope="col">95% CI</th><th scope="col">n</th>'
            f'<th scope="col">Data</th><th scope="col">Run</th></tr></thead><tbody>{"".join(body)}</tbody></table>'
        )
    return "".join(parts)


def _data_cell(run: dict[str, Any]) -> str:
    """The data the run measured: 'verified', or marked (unverified, partial) so a reader sees it counts for nothing."""
    from ..bench.results import data_label

    label = data_label(run)
    mark = "" if label == "verified" else ' class="usreg-unverified"'
    return f"<td{mark}>{esc(label)}</td>"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text)


def provenance_table(ctx: SiteContext, run_list: list[dict[str, Any]], prefix: str) -> str:
    rows = []
    for run in sorted(run_list, key=lambda r: r["created"], reverse=True):
        first = next(iter(run["metrics"].values()))
        detail = _detail(first)
        facts = {
            "dataset version": first.get("dataset_version"),
            "converter": " ".join(str(x) for x in (first.get("converter"), first.get("converter_version")) if x),
            "adapter": detail.get("adapter"),
            "target": detail.get("target"),
            "images": detail.get("images"),
            "seed": first.get("seed"),
            "device": first.get("device"),
            "metric convention": first.get("convention"),
            "weights sha256": (first.get("weights_sha256") or "")[:16] or None,
            "weights": first.get("weights_status"),  # verified | unchecked | unverified (registry.bench.weights)
            "data": detail.get("data_trust"),  # host-verified | entry-verified | unverified (registry.fetch.lockfile)
            "conversion": detail.get("data_state"),  # complete | partial
            "packages": first.get("packages"),
        }
        shown = "; ".join(f"{k}: {esc(v)}" for k, v in facts.items() if v not in (None, ""))
        rows.append(
            f'<tr id="run-{esc(_slug(run["run_id"]))}"><td><code>{esc(run["run_id"])}</code></td>'
            f"<td>{model_cell(ctx, run['model_id'], prefix)}</td><td>{esc(run['split'])}</td>"
            f"<td>{esc(run['created'])}</td><td>{shown}</td></tr>"
        )
    return (
        '<table class="usreg-provenance"><thead><tr><th scope="col">Run</th><th scope="col">Model</th>'
        '<th scope="col">Split</th><th scope="col">Date</th><th scope="col">Provenance</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def boards(ctx: SiteContext) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """(dataset id, task) -> the latest run of each model and split on it."""
    if not ctx.bench:
        return {}
    grouped: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for run in _latest_runs(ctx.bench):
        grouped[(run["dataset_id"], run_task(run))].append(run)
    return dict(grouped)


def board_path(dataset_id: str, task: str) -> str:
    return f"leaderboards/{dataset_id}-{_slug(task)}.html"


def leaderboard_pages(ctx: SiteContext) -> dict[str, Page]:
    grouped = boards(ctx)
    if not grouped:
        return {}
    pages: dict[str, Page] = {}
    items = []
    for (dataset_id, task), run_list in sorted(grouped.items()):
        entry = ctx.catalog.datasets.get(dataset_id)
        name = entry.name if entry else dataset_id
        rel = board_path(dataset_id, task)
        dataset_link = f'<a href="../datasets/{esc(dataset_id)}.html">{esc(name)}</a>' if entry else esc(dataset_id)
        html = (
            f"<h1>Leaderboard: {esc(name)} — {esc(task)}</h1>"
            f"<p>Dataset: {dataset_link}. The latest run of each model and split; each table is ranked in its "
            "metric's direction (shown beside its title). Runs come from <code>usreg bench</code>; their provenance "
            "is listed below.</p>"
            + ranked_tables(ctx, run_list, "../")
            + '<h2 id="provenance">Provenance of each run</h2>'
            + provenance_table(ctx, run_list, "../")
        )
        pages[rel[:-5] + ".md"] = Page(title=f"Leaderboard: {name} ({task})", html=html)
        models = len({r["model_id"] for r in run_list})
        items.append(
            f'<tr><td><a href="{esc(rel.split("/", 1)[1])}">{esc(name)}</a></td><td>{esc(task)}</td>'
            f"<td>{models}</td></tr>"
        )
    pages["leaderboards/index.md"] = Page(
        title="Leaderboards",
        html=(
            "<h1>Leaderboards</h1><p>One leaderboard per dataset and task, from the benchmark runs recorded with "
            "<code>usreg bench</code>.</p>"
            '<table class="usreg-leaderboard"><thead><tr><th scope="col">Dataset</th><th scope="col">Task</th>'
            f'<th scope="col">Models</th></tr></thead><tbody>{"".join(items)}</tbody></table>'
        ),
    )
    return pages


def dataset_board_links(ctx: SiteContext, dataset_id: str, prefix: str) -> list[tuple[str, str]]:
    """(task, link) of every leaderboard page of a dataset."""
    grouped = ctx.memo.get("boards")
    if grouped is None:
        grouped = ctx.memo["boards"] = boards(ctx)
    return [(task, prefix + board_path(d, task)) for (d, task) in sorted(grouped) if d == dataset_id]
