"""Registry verification from benchmark results: reproduced reported metrics (V3) and forward-pass checks.

- ``reproductions(index, catalog)``: for every metric a model entry reports on a registry dataset, the latest
  benchmark value of the same metric (same split when the entry names one), and whether it is within tolerance.
  Only claims the runner has attempted are listed.
- ``forward_checks(index, catalog)``: per model, whether its weights loaded and its output matched the declared one.
- ``write_records(home, index, catalog)``: both, as ``$USREG_HOME/bench/reproductions.json`` in the schema the
  model scorer reads (``usreg-bench-verifications/1``).

Runs of a ``--weights`` file that is not the released one (``weights_status: unverified``, see
``registry.bench.weights``) are left out of both: a user's own fine-tuned or converted weights neither reproduce nor
fail a model's published claims. Runs on data that no checksum verified (``results.data_verified``: --from-file
without a match, --skip-verify) reproduce no claim either: unverified bytes never raise a published score.

Tolerance: ``params.reproduction_tolerance`` of ``scorers/rubrics/model-v1.yaml`` ({absolute, relative}; a value
is within tolerance when |reproduced - reported| <= max(absolute, relative * |reported|)); when the rubric has
none, ``DEFAULT_TOLERANCE``. Reported values with unit "%" (or a bounded metric above 1) are divided by 100.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from ..home import reproductions_file
from .metrics.base import bounded
from .results import counts_as_evidence, data_verified, ensure_columns, runs

DEFAULT_TOLERANCE = {"absolute": 0.01, "relative": 0.02}
RECORDS_SCHEMA = "usreg-bench-verifications/1"

# Reported metric names (lower case, only letters and digits) -> the runner's metric names.
METRIC_ALIASES: dict[str, tuple[str, ...]] = {
    "dice": ("dice", "dsc", "meandice", "dicecoefficient", "dicescore", "mdice", "meandsc", "dicesimilarity"),
    "iou": ("iou", "jaccard", "miou", "meaniou", "jaccardindex"),
    "hd95": ("hd95", "95hd", "hausdorff95", "hausdorffdistance95", "95thhausdorff"),
    "hd": ("hd", "hausdorff", "hausdorffdistance"),
    "assd": ("assd", "asd", "averagesymmetricsurfacedistance"),
    "map": ("map", "map5095", "mapcoco", "cocomap", "ap5095", "map05095", "boxmap"),
    "map50": ("map50", "ap50", "map05"),
    "accuracy": ("accuracy", "acc"),
    "f1_macro": ("f1", "macrof1", "f1macro", "f1score"),
    "auc": ("auc", "auroc", "rocauc"),
    "mcc": ("mcc", "matthews"),
    "mre": ("mre", "meanradialerror"),
    "box_iou": ("boxiou", "meanboxiou"),
    "fp_rate": ("fprate", "falsepositiverate"),
}
_LOOKUP = {alias: name for name, aliases in METRIC_ALIASES.items() for alias in aliases}


def canonical_metric(name: str) -> str:
    """The runner's name for a reported metric ("Mean Dice" -> "dice", "mAP50-95" -> "map")."""
    if "[" in name:
        base, rest = name.split("[", 1)
        return f"{canonical_metric(base)}[{rest}"
    key = re.sub(r"[^a-z0-9]", "", name.lower())
    return _LOOKUP.get(key, name.strip().lower())


def tolerance(rubric_file: Path | None = None) -> dict[str, float]:
    """The reproduction tolerance of a rubric file (its ``params.reproduction_tolerance``), else ``DEFAULT_TOLERANCE``.

    The caller names the rubric file (the CLI asks the scorers for it), so the runner never imports the scorers.
    """
    import yaml

    if rubric_file is not None and Path(rubric_file).is_file():
        data = yaml.safe_load(Path(rubric_file).read_text(encoding="utf-8")) or {}
        tol = (data.get("params") or {}).get("reproduction_tolerance", data.get("reproduction_tolerance"))
        if isinstance(tol, int | float):
            return {"absolute": float(tol), "relative": 0.0}
        if isinstance(tol, dict):
            return {"absolute": float(tol.get("absolute", 0.0)), "relative": float(tol.get("relative", 0.0))}
    return dict(DEFAULT_TOLERANCE)


# Distances the runner reports, in pixels of the converted images.
PIXEL_METRICS = {"hd95", "hd", "assd", "mre"}
PIXEL_UNITS = {"", "px", "pixel", "pixels"}


def comparable_units(metric_name: str, unit: str | None) -> bool:
    """Whether a reported value can be compared with the runner's: distances only when reported in pixels (a value
    in mm against one in pixels is never compared), bounded metrics as fractions or percentages."""
    u = (unit or "").strip().lower()
    base = metric_name.split("[", 1)[0]
    if base in PIXEL_METRICS:
        return u in PIXEL_UNITS
    return u in ("", "%", "percent", "fraction", "ratio")


def reported_value(metric) -> float:
    value = float(metric.value)
    unit = (metric.unit or "").strip().lower()
    if unit in ("%", "percent") or (bounded(canonical_metric(metric.metric)) and unit == "" and 1 < value <= 100):
        return value / 100
    return value


def within(reported: float, reproduced: float, tol: dict[str, float]) -> bool:
    allowed = max(tol["absolute"], tol["relative"] * abs(reported))
    return abs(reproduced - reported) <= allowed + 1e-12


def reproductions(index, catalog, tol: dict[str, float] | None = None) -> list[dict[str, Any]]:
    ensure_columns(index)
    tol = tol or dict(DEFAULT_TOLERANCE)
    out = []
    for model in catalog.models.values():
        claims = [m for m in model.metrics if m.dataset]
        if not claims:
            continue
        found = runs(index.bench_results(model_id=model.id))
        evidence = (r for r in found if counts_as_evidence(r) and data_verified(r))
        model_runs = sorted(evidence, key=lambda r: r["created"])
        for claim in claims:
            name = canonical_metric(claim.metric)
            matching = [
                r
                for r in model_runs
                if r["dataset_id"] == claim.dataset
                and name in r["metrics"]
                and (not claim.split or r["split"] == claim.split)
            ]
            if not matching:
                continue
            run = matching[-1]
            if not comparable_units(name, claim.unit):
                continue  # e.g. HD95 reported in mm: the runner measures pixels, so there is nothing to compare
            reported = reported_value(claim)
            reproduced = float(run["metrics"][name]["value"])
            out.append(
                {
                    "model_id": model.id,
                    "dataset_id": claim.dataset,
                    "metric": name,
                    "reported": reported,
                    "reproduced": reproduced,
                    "within_tolerance": within(reported, reproduced, tol),
                    "split": run["split"],
                    "run_id": run["run_id"],
                    "convention": run["convention"],
                }
            )
    return out


def forward_checks(index, catalog) -> list[dict[str, Any]]:
    """Per model, the latest run's weights-load and output-shape checks."""
    ensure_columns(index)
    out = []
    for model in catalog.models.values():
        model_runs = [r for r in runs(index.bench_results(model_id=model.id)) if r["checks"] and counts_as_evidence(r)]
        if not model_runs:
            continue
        run = max(model_runs, key=lambda r: r["created"])
        load = run["checks"].get("check.weights_load")
        shape = run["checks"].get("check.output_shape")
        loaded = bool(load and load["value"] >= 1.0)
        matches = bool(shape and shape["value"] >= 1.0) if loaded else False
        out.append(
            {
                "model_id": model.id,
                "dataset_id": run["dataset_id"],
                "weights_load": loaded,
                "output_matches": matches,
                "ok": loaded and matches,
                "detail": (shape or load or {}).get("detail") or "",
                "run_id": run["run_id"],
            }
        )
    return out


def records(index, catalog, tol: dict[str, float] | None = None) -> list[dict[str, Any]]:
    """Both kinds, as records of the scorer's ``usreg-bench-verifications/1`` schema."""
    recs: list[dict[str, Any]] = []
    for r in reproductions(index, catalog, tol):
        recs.append(
            {
                "model_id": r["model_id"],
                "check": "reproduction",
                "dataset_id": r["dataset_id"],
                "split": r["split"],
                "metric": r["metric"],
                "reported": r["reported"],
                "reproduced": r["reproduced"],
                "within_tolerance": r["within_tolerance"],
                "detail": f"run {r['run_id']} ({r['convention']})",
            }
        )
    for c in forward_checks(index, catalog):
        what = (
            "weights load; output matches the declared output"
            if c["ok"]
            else ("weights do not load" if not c["weights_load"] else "output does not match the declared output")
        )
        recs.append(
            {
                "model_id": c["model_id"],
                "check": "forward-pass",
                "dataset_id": c["dataset_id"],
                "ok": c["ok"],
                "detail": f"{what} (run {c['run_id']}): {c['detail']}"[:1000],
            }
        )
    return recs


def write_records(home: Path, index, catalog, tol: dict[str, float] | None = None) -> Path:
    """Write ``$USREG_HOME/bench/reproductions.json`` atomically."""
    path = reproductions_file(Path(home))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".json.{os.getpid()}.part")
    tmp.write_text(
        json.dumps({"schema": RECORDS_SCHEMA, "records": records(index, catalog, tol)}, indent=2), encoding="utf-8"
    )
    tmp.replace(path)
    return path
