"""`usreg bench` and `usreg leaderboard`: run models on a dataset split, and print the results."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

import click

from ..errors import NoSuchEntry, UsageError, UsregError
from .context import MAX_WORKERS, AppContext, pass_app
from .output import console, emit_json, emit_rows, format_option, print_text


def _pairs(values: tuple[str, ...], what: str) -> dict[str, str]:
    out = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key or not rest:
            raise UsageError(f"{what} {value!r} is not KEY=VALUE")
        out[key.strip()] = rest.strip()
    return out


def _recipe_options(values: tuple[str, ...]) -> dict[str, dict]:
    """``--option unet-ensemble.epochs=20`` (or ``epochs=20`` for the trainable recipes) -> {recipe: {key: value}}.
    Values are read as YAML 1.1 scalars (20 -> int, 0.001 -> float, true -> bool; ``1e-3`` is text to YAML 1.1, and
    the recipe's options model reads that one form as the number it spells: ``registry.bench.adapter_options``)."""
    import yaml

    from ..bench.adapters import BUILTINS, TRAINABLE

    out: dict[str, dict] = {name: {} for name in BUILTINS}
    for key, raw in _pairs(values, "--option").items():
        value = yaml.safe_load(raw)
        recipe, dot, name = key.rpartition(".")
        targets = [recipe] if dot else list(TRAINABLE)
        for t in targets:
            if t not in out:
                raise UsageError(f"--option {key}: unknown recipe {t!r}", hint=f"recipes: {', '.join(BUILTINS)}")
            out[t][name] = value
    return out


def _require_bench_dependencies() -> None:
    import importlib.util

    missing = [m for m in ("scipy", "onnxruntime", "pycocotools") if importlib.util.find_spec(m) is None]
    if missing:
        raise UsageError(f"the benchmark runner needs {', '.join(missing)}", hint="pip install 'usreg[bench]'")


#: what a weights file is called: the formats the adapters read, and the usual names of checkpoints
WEIGHTS_SUFFIXES = (".onnx", ".pt", ".pth", ".ts", ".ckpt", ".tar", ".bin", ".safetensors", ".h5", ".keras", ".pb")


def _check_weights_file(model_id: str, path: Path) -> None:
    """Refuse a --weights PATH that is not a readable file, saying what it is and what to give instead; a FIFO is never
    opened (it would wait for a writer) and a device such as /dev/zero never read (it never ends)."""
    from ..paths import not_a_file
    from ..wrapping import visible

    problem = not_a_file(path)
    if problem is None:
        return
    if problem.startswith("is a folder"):
        inside = _weights_files_in(path)
        hint = (
            f"give the weights file itself, e.g. --weights {model_id}={visible(inside[0])}"
            + (f" (this folder also holds {', '.join(visible(p.name) for p in inside[1:])})" if inside[1:] else "")
            if inside
            else f"give the weights file itself (no {', '.join(WEIGHTS_SUFFIXES[:3])} ... file is directly in it)"
        )
    elif problem.startswith("is a"):  # a FIFO, a socket, a device
        hint = "save the weights to a regular file and give its path"
    else:
        hint = "give the path of a weights file you can read (a relative path starts at the current folder)"
    raise UsageError(f"--weights {model_id}={visible(path)}: {problem}", hint=hint)


def _weights_files_in(folder: Path, limit: int = 3) -> list[Path]:
    """Up to ``limit`` files directly in ``folder`` named like weights (by suffix), in name order."""
    try:
        with os.scandir(folder) as entries:
            found = sorted(
                Path(e.path)
                for e in entries
                if e.name.lower().endswith(WEIGHTS_SUFFIXES) and e.is_file(follow_symlinks=True)
            )
    except OSError:
        return []
    return found[:limit]


def _default_workers() -> int:
    return max(1, min(8, os.cpu_count() or 1))


@click.command("bench")
@click.argument("dataset", required=False)
@click.option(
    "--model",
    "models",
    multiple=True,
    help="Model entry id (repeatable). Default: every compatible model plus the trivial baselines.",
)
@click.option(
    "--baseline",
    "baselines",
    multiple=True,
    type=click.Choice(["all-background", "intensity-threshold"]),
    help="A built-in reference (repeatable).",
)
@click.option(
    "--train",
    "train",
    multiple=True,
    type=click.Choice(["unet-ensemble"]),
    help="Train a built-in recipe on --train-split, then evaluate it on --split.",
)
@click.option("--all", "run_all", is_flag=True, help="Every compatible model on every fetched dataset.")
@click.option("--split", default="test", show_default=True, help="The split to evaluate on.")
@click.option("--train-split", default="train", show_default=True, help="The split --train learns from.")
@click.option("--version", help="Dataset version (default: the newest converted one).")
@click.option("--target", help="Mask target to score, when the dataset has several.")
@click.option(
    "--device",
    type=click.Choice(["cpu", "cuda"]),
    default="cpu",
    show_default=True,
    help="Where torch models run and recipes train: cpu, or cuda (the first GPU); the result records the device.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for training, splits of work and bootstrap.")
@click.option(
    "--executor",
    type=click.Choice(["local", "ray"]),
    default="local",
    show_default=True,
    help="local: a process pool on this machine; ray: tasks on a Ray cluster (extra usreg[ray]).",
)
@click.option("--ray-address", help="Ray cluster address (default: start a local Ray instance).")
@click.option(
    "--workers",
    type=click.IntRange(1, MAX_WORKERS),
    default=_default_workers,
    show_default="CPU count, at most 8",
    help="Parallel jobs; for a single job, this process predicts and WORKERS-1 processes score images "
    "(when WORKERS > 2). CPUs of a local Ray instance.",
)
@click.option(
    "--bootstrap",
    "n_boot",
    type=click.IntRange(0),
    default=1000,
    show_default=True,
    help="Bootstrap resamples for confidence intervals (0: none).",
)
@click.option(
    "--convention",
    type=click.Choice(["usreg", "fm-uia", "porcine-ioueval", "carotid-proposal"]),
    help="Segmentation metric convention (default: the dataset source's, else usreg).",
)
@click.option("--ioueval-batch", type=click.IntRange(1), help="Images per batch for porcine-ioueval (default 1).")
@click.option(
    "--weights",
    "weights",
    multiple=True,
    metavar="MODEL=PATH",
    help="Run a local weights file (e.g. fine-tuned or converted). It is not checked against the entry's sha256: "
    "unless it is the released file, its results are marked unverified and left out of registry verification.",
)
@click.option(
    "--option",
    "options",
    multiple=True,
    metavar="[RECIPE.]KEY=VALUE",
    help="Option for a built-in recipe, e.g. epochs=20 (trainable recipes) or intensity-threshold.threshold=100.",
)
@click.option(
    "--protocol",
    type=click.Choice(["prompts-point", "prompts-box"]),
    help="Promptable segmentation (SAM-family models): one point or box prompt per ground-truth instance, as in "
    "UltraSam's evaluation; reports COCO segm mAP, mAP@50 and instance Dice.",
)
@click.option(
    "--point-mode",
    type=click.Choice(["center", "centroid", "random"]),
    default="center",
    show_default=True,
    help="Point prompts: the centroid moved onto the object if needed, the raw centroid (UltraSam), or seeded "
    "random interior points.",
)
@click.option(
    "--points-per-instance",
    type=click.IntRange(1, 16),
    default=1,
    show_default=True,
    help="Point prompts: positive points per instance, the first as --point-mode places it and the others seeded "
    "random interior points.",
)
@click.option(
    "--prompt-jitter",
    type=click.FloatRange(0.0, 0.5),
    default=0.0,
    show_default=True,
    help="Box prompts: seeded corner noise, as a fraction of the box size (UltraSam trains with 0.05).",
)
@click.option("--dry-run", is_flag=True, help="Only list the pairs that would run and the ones skipped.")
@format_option()
@pass_app
def bench(
    app: AppContext,
    dataset: str | None,
    models,
    baselines,
    train,
    run_all: bool,
    split: str,
    train_split: str,
    version: str | None,
    target: str | None,
    device: str,
    seed: int,
    executor: str,
    ray_address: str | None,
    workers: int,
    n_boot: int,
    convention: str | None,
    ioueval_batch: int | None,
    weights,
    options,
    protocol: str | None,
    point_mode: str,
    points_per_instance: int,
    prompt_jitter: float,
    dry_run: bool,
    fmt: str,
) -> None:
    """Evaluate models on DATASET (a fetched dataset in the common format) and store the results in the index.

    \b
    Examples:
      usreg bench carotid-plaque             (every compatible model + baselines)
      usreg bench carotid-plaque --train unet-ensemble
      usreg bench bus-bra --model some-onnx-model --split test
      usreg bench bus-bra --model ultrasam --protocol prompts-point
      usreg bench --all --executor ray
    """
    from ..bench import results, verification
    from ..bench.executors import run_jobs
    from ..bench.jobs import BenchJob
    from ..bench.plan import fetched, make_plan
    from ..paths import usreg_home
    from .context import scored_index

    if bool(dataset) == run_all:
        raise UsageError("name one DATASET, or pass --all (not both)", hint="usreg bench carotid-plaque")
    _require_bench_dependencies()
    catalog = app.valid_catalog()
    home = usreg_home()
    weights_map = _pairs(weights, "--weights")
    for model_id, path in weights_map.items():
        _check_weights_file(model_id, Path(path))
    plan = make_plan(
        catalog,
        home,
        [dataset] if dataset else [],
        tuple(models),
        tuple(baselines),
        tuple(train),
        _recipe_options(options),
        run_all,
    )
    if not dry_run and dataset and plan.pairs and not fetched(home, dataset):  # said first, not after skip reasons
        raise UsregError(
            f"dataset '{dataset}' is not fetched (nothing converted under {home / 'datasets'})",
            hint=f"run `usreg fetch {dataset}` first",
        )
    for line in summarise_skips(plan.skipped):  # wrapped between words: a reason runs to several lines
        print_text(line, stderr=True)
    if dry_run:
        rows = [{"dataset": d, "model": m.model_id, "train": m.train} for d, m in plan.pairs]
        emit_rows(rows, ["dataset", "model", "train"], fmt, title="benchmark plan")
        return
    if not plan.pairs:
        raise UsregError(
            "nothing to run: no compatible model for the dataset(s)",
            hint="see the skip reasons above, or name models with --model/--baseline/--train",
        )
    jobs = [
        BenchJob(
            dataset_id=d,
            model=m,
            split=split,
            train_split=train_split,
            version=version,
            home=str(home),
            seed=seed,
            device=device,
            n_boot=n_boot,
            convention=convention,
            pooled_batch_size=ioueval_batch,
            target=target,
            weights=weights_map.get(m.model_id),
            protocol=protocol,
            prompt_options={
                "point_mode": point_mode,
                "points_per_instance": points_per_instance,
                "jitter": prompt_jitter,
            },
        )
        for d, m in plan.pairs
    ]
    err = console(stderr=True)

    def done(outcome) -> None:
        from ..wrapping import visible

        state = outcome.status if outcome.ok else f"FAILED: {visible(outcome.error, keep_lines=True)}"
        err.print(f"{outcome.model_id} on {outcome.dataset_id} [{outcome.split}]: {state}", markup=False)
        if outcome.weights_note:  # which file ran: the verified release, or a --weights file (unverified)
            err.print(f"  weights: {visible(outcome.weights_note)}", markup=False)

    with _progress(err) as progress:
        outcomes = run_jobs(
            jobs, executor=executor, workers=workers, address=ray_address, on_done=done, progress=progress
        )
    index = scored_index(app.root, catalog)
    stored = results.store(index, outcomes)
    verification.write_records(home, index, catalog, verification.tolerance(_model_rubric_file()))
    summary = []
    for o in outcomes:
        head = next((m for m in results.PRIMARY_METRICS if o.metric(m) is not None), None)
        row = next((r for r in o.rows if r["metric"] == head), None) if head else None
        summary.append(
            {
                "dataset": o.dataset_id,
                "model": o.model_id,
                "split": o.split,
                "task": o.task,
                "images": o.images,
                "metric": head,
                "value": row["value"] if row else None,
                "ci": results.ci_text(row),
                "images_per_s": round(o.images_per_second, 2) if o.images_per_second else None,
                "weights": next((r.get("weights_status") for r in o.rows if r.get("weights_status")), None),
                "weights_note": o.weights_note,
                "run_id": o.run_id,
                "status": o.status,
                "error": o.error,
                "hint": o.hint,
            }
        )
    if fmt == "json":
        emit_json({"stored_rows": stored, "runs": summary, "skipped": plan.skipped})
    else:
        # what was measured first: a narrow terminal leaves out columns from the last one on
        cols = [
            *("model", "split", "metric", "value", "ci", "status", "dataset", "task", "images", "images_per_s"),
            "weights",
        ]
        emit_rows(summary, cols, fmt, title=f"benchmark ({stored} result rows stored)")
        for s in summary:
            if s["error"]:
                err.print(f"error: {s['model']} on {s['dataset']}: {s['error']}", markup=False)
                if s["hint"]:
                    err.print(f"  hint: {s['hint']}", markup=False)
    if any(not o.ok for o in outcomes):
        raise click.exceptions.Exit(1)


@contextlib.contextmanager
def _progress(err):
    """Progress of each job run in this process: a rich bar on a terminal (images evaluated; while a recipe trains,
    its epoch, loss and time left), JSON lines on stderr when piped (one per epoch, at most one per second for
    images). Training first says how long it should take."""
    if not err.is_terminal:
        yield _json_progress
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:

        def factory(job):
            name = f"{job.model.model_id} on {job.dataset_id}"
            total = len(job.view) if job.view is not None else None
            task = bar.add_task(f"{name} [{job.split}]", total=total)

            phase = {"training": False}

            def update(event):
                if isinstance(event, int):
                    if phase["training"]:  # training is over: the bar counts evaluated images again
                        phase["training"] = False
                        bar.reset(task, total=total, description=f"{name} [{job.split}]")
                    bar.advance(task, event)
                elif event.get("event") == "train-estimate":
                    phase["training"] = True
                    bar.console.print(_estimate_line(name, event), markup=False)
                    bar.update(task, description=f"{name}: training", total=event["networks"] * event["epochs"])
                elif event.get("event") == "epoch":
                    bar.update(
                        task,
                        description=f"{name}: net {event['network']} epoch {event['epoch']}/{event['epochs']} "
                        f"loss {event['loss']:.4f}, ~{_minutes(event['eta'])} left",
                    )
                    bar.advance(task, 1)

            return update

        yield factory


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min" if seconds >= 90 else f"{seconds:.0f} s"


def _estimate_line(name: str, event: dict) -> str:
    return (
        f"{name}: training {event['networks']} network(s) x {event['epochs']} epochs on {event['samples']} images "
        f"({event['device']}) should take about {_minutes(event['seconds'])}"
    )


def _json_progress(job):
    """Progress as JSON lines on stderr (for logs and pipes)."""
    import time

    base = {"model": job.model.model_id, "dataset": job.dataset_id, "split": job.split}
    state = {"done": 0, "last": 0.0}

    def emit(event):
        if isinstance(event, int):
            state["done"] += event
            now = time.monotonic()
            if now - state["last"] < 1.0:
                return
            state["last"] = now
            event = {"event": "images", "done": state["done"]}
        click.echo(json.dumps({**base, **event}), err=True)

    return emit


@click.command("leaderboard")
@click.argument("dataset")
@click.option("--split", help="Only this split.")
@click.option("--metric", help="Rank by this metric (default: dice, map, auc, accuracy or mre, the first present).")
@click.option("--all-runs", is_flag=True, help="Every run, not only each model's latest.")
@format_option()
@pass_app
def leaderboard(app: AppContext, dataset: str, split: str | None, metric: str | None, all_runs: bool, fmt: str) -> None:
    """Print the benchmark results on DATASET, best first, with confidence intervals and provenance."""
    from ..bench import results
    from ..index import RegistryIndex

    catalog = app.catalog()
    if dataset not in catalog.datasets:
        import difflib

        close = difflib.get_close_matches(dataset, sorted(catalog.datasets), n=3)
        raise NoSuchEntry(
            f"no dataset entry with id {dataset!r}",
            hint=f"did you mean: {', '.join(close)}?" if close else "run `usreg list --kind dataset`",
        )
    index = RegistryIndex(app.root)
    head, rows = results.leaderboard(index, dataset, split, metric, all_runs)
    if split or metric:
        _check_filters(results.runs(index.bench_results(dataset_id=dataset)), dataset, split, metric)
    if fmt == "json":
        emit_json({"dataset": dataset, "metric": head, "rows": rows})
        return
    if not rows:
        from ..bench.plan import fetched
        from ..paths import usreg_home

        steps = f"`usreg bench {dataset}`"
        if not fetched(usreg_home(), dataset):  # bench would only say that the dataset is not fetched
            steps = f"`usreg fetch {dataset}`, then {steps}"
        print_text(f"no benchmark results for {dataset} yet; run {steps}", stderr=True)
        return
    emit_rows(rows, results.columns(rows, head), fmt, title=f"leaderboard: {dataset} (by {head})")


def _check_filters(runs: list[dict], dataset: str, split: str | None, metric: str | None) -> None:
    """A --split or --metric that no stored result of ``dataset`` has is a usage error naming those it has (else the
    leaderboard said "no results yet" beside results on another split, or ranked nobody by a misspelt metric)."""
    found = [r for r in runs if r["metrics"]]
    if not found:
        return
    splits = sorted({r["split"] for r in found})
    if split and split not in splits:
        raise UsageError(
            f"no benchmark results for {dataset} on split {split!r}",
            hint=f"splits with results: {', '.join(splits)}",
        )
    metrics = sorted({m for r in found if not split or r["split"] == split for m in r["metrics"]})
    if metric and metric not in metrics:
        raise UsageError(
            f"no benchmark result for {dataset} has the metric {metric!r}", hint=f"metrics: {', '.join(metrics)}"
        )


COMMANDS = [bench, leaderboard]


def summarise_skips(skipped: list[dict[str, str]], detail_limit: int = 5) -> list[str]:
    """Skipped pairs for the terminal: datasets that are not fetched in one line, and other reasons one line each
    while they are few, else counted by reason."""
    not_fetched = sorted({s["dataset"] for s in skipped if s["reason"].startswith("not fetched")})
    others = [s for s in skipped if not s["reason"].startswith("not fetched")]
    lines = []
    if not_fetched:
        shown = ", ".join(not_fetched[:3]) + (f" and {len(not_fetched) - 3} more" if len(not_fetched) > 3 else "")
        lines.append(f"skipped {len(not_fetched)} dataset(s) that are not fetched: {shown} (run `usreg fetch ID`)")
    if len(others) <= detail_limit:
        lines.extend(f"skipped {s['model']} on {s['dataset']}: {s['reason']}" for s in others)
    else:
        counts: dict[str, int] = {}
        for s in others:
            counts[s["reason"]] = counts.get(s["reason"], 0) + 1
        for reason, count in sorted(counts.items(), key=lambda kv: -kv[1]):
            lines.append(f"skipped {count} model/dataset pair(s): {reason}")
    return lines


def _model_rubric_file() -> Path | None:
    """The default model rubric's file, whose ``reproduction_tolerance`` the reproduction records use."""
    from scorers.rubric import RUBRIC_DIR, available_versions

    versions = available_versions("model")
    return RUBRIC_DIR / f"model-{versions[-1]}.yaml" if versions else None
