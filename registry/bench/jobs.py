"""One benchmark job = one (dataset, model) pair: build the adapter, check it, train if asked, evaluate, and turn
the outcome into index rows with provenance. ``run_job`` never raises for a failing model: the failure becomes the
outcome's ``error`` (and a failed ``check.weights_load`` row), so a batch of jobs carries on.

Jobs are plain picklable dataclasses, so the executors (``executors.py``) can ship them to a process pool or Ray.
"""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..clock import now_iso
from ..errors import UsregError
from ..home import trained_dir
from .adapters import TRAINABLE, OutputClass, WeightsLoadError, build_builtin, build_for_model, builtin_id
from .data import DatasetView, open_split
from .metrics.bootstrap import DEFAULT_N_BOOT
from .metrics.conventions import convention_for, get_convention
from .provenance import code_version, device_name, membership_sha256, new_run_id, packages_json
from .runner import evaluate

if TYPE_CHECKING:
    from ..schema import Model

log = logging.getLogger(__name__)


@dataclass
class ModelRef:
    """A catalog model (``entry`` set) or a built-in recipe (``builtin`` set)."""

    entry: Model | None = None
    builtin: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    train: bool = False

    @property
    def model_id(self) -> str:
        return self.entry.id if self.entry is not None else builtin_id(self.builtin or "?")


@dataclass
class BenchJob:
    dataset_id: str
    model: ModelRef
    split: str = "test"
    train_split: str = "train"
    version: str | None = None
    home: str | None = None
    seed: int = 0
    device: str = "cpu"
    n_boot: int = DEFAULT_N_BOOT
    convention: str | None = None
    pooled_batch_size: int | None = None
    target: str | None = None
    weights: str | None = None
    workers: int = 1
    batch_size: int = 8
    view: DatasetView | None = None  # in-memory data instead of a fetched dataset
    train_view: DatasetView | None = None
    protocol: str | None = None  # prompts-point / prompts-box for promptable models
    prompt_options: dict[str, Any] = field(default_factory=dict)


class RunStatus(StrEnum):
    """The ``status`` of one run in ``usreg bench --format json``."""

    OK = "ok"  # the job evaluated the model
    FAILED = "failed"  # the job stopped; ``BenchOutcome.error`` says why


@dataclass
class BenchOutcome:
    dataset_id: str
    model_id: str
    split: str
    run_id: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    hint: str | None = None
    task: str | None = None
    images: int = 0
    seconds: float = 0.0
    images_per_second: float | None = None
    notes: list[str] = field(default_factory=list)
    weights_note: str | None = None  # which weights file ran, and verified or not (registry.bench.weights)

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def status(self) -> RunStatus:
        return RunStatus.OK if self.ok else RunStatus.FAILED

    def metric(self, name: str) -> float | None:
        for r in self.rows:
            if r["metric"] == name:
                return r["value"]
        return None


def _home(job: BenchJob) -> Path:
    from ..paths import usreg_home

    return Path(job.home) if job.home else usreg_home()


def _classes_for_builtin(view: DatasetView, target: str | None) -> list[OutputClass]:
    names = view.class_names(target) or (next(iter(view.targets.values())) if len(view.targets) == 1 else None)
    return [OutputClass(i, n) for i, n in enumerate(names or ["background", "foreground"])]


def _events(progress: Callable[[Any], None] | None) -> Callable[[dict], None] | None:
    return (lambda event: progress(event)) if progress else None


def run_job(job: BenchJob, progress: Callable[[Any], None] | None = None) -> BenchOutcome:
    """Run one job. ``progress`` (in-process runs only) is called with the number of images evaluated per batch,
    and with event dicts while a recipe trains (``train-estimate``, then ``epoch``)."""
    run_id = new_run_id()
    outcome = BenchOutcome(job.dataset_id, job.model.model_id, job.split, run_id)
    base: dict[str, Any] = {}
    adapter = None
    try:
        view = job.view or open_split(job.dataset_id, job.split, job.version, _home(job))
        base = {
            "dataset_id": job.dataset_id,
            "model_id": job.model.model_id,
            "split": job.split,
            "dataset_version": view.version,
            "converter": view.converter,
            "converter_version": view.converter_version,
            "seed": job.seed,
            "device": device_name(job.device),
            "packages": packages_json(),
            "run_id": run_id,
        }
        training: dict[str, Any] = {}
        adapter, checks = _adapter(job, view)
        outcome.weights_note = adapter.info.weights_note
        base["weights_status"] = adapter.info.weights_status
        outcome.rows.extend(dict(base, **c, created=now_iso()) for c in checks)
        _stop_on_failed_check(job.model.model_id, checks)
        if job.model.train:
            if not adapter.trainable:
                raise UsregError(f"{job.model.model_id} is not trainable", hint=f"trainable recipes: {TRAINABLE}")
            train_view = job.train_view or open_split(job.dataset_id, job.train_split, job.version, _home(job))
            adapter.fit(train_view.samples, seed=job.seed, target=job.target, progress=_events(progress))
            training = {
                "train_split": job.train_split,
                "train_samples": len(train_view),
                "train_split_sha256": membership_sha256(
                    getattr(train_view.samples, "sample_ids", None) or [s.sample_id for s in train_view.samples]
                ),
                "train_seconds": round(float(getattr(adapter, "train_seconds", 0.0) or 0.0), 3),
            }
        elif adapter.trainable and not getattr(adapter, "nets", None):
            raise UsregError(
                f"{job.model.model_id} must be trained before it is evaluated",
                hint=f"run `usreg bench {job.dataset_id} --train {job.model.builtin}`"
                if job.model.builtin
                else f"run `usreg bench {job.dataset_id} --model {job.model.model_id}`",
            )
        conv = (
            get_convention(job.convention, job.pooled_batch_size)
            if job.convention
            else convention_for(job.dataset_id, view.loader)
        )
        prompt_settings = None
        if job.protocol:
            result, prompt_settings = _evaluate_prompted(job, adapter, view, progress)
        else:
            result = evaluate(
                adapter,
                view,
                conv,
                target=job.target,
                n_boot=job.n_boot,
                seed=job.seed,
                workers=job.workers,
                batch_size=job.batch_size,
                progress=progress,
            )
        outcome.task = result.task
        outcome.images = result.images
        outcome.seconds = result.seconds
        outcome.images_per_second = result.images_per_second
        outcome.notes = result.notes
        if result.images == 0:
            raise UsregError(
                f"no sample of {job.dataset_id} [{job.split}] has the labels a {result.task} model is scored on",
                hint="check --split and --target",
            )
        detail = json.dumps(
            {
                "adapter": adapter.info.name,
                "options": adapter.info.options,
                "task": result.task,
                "target": result.target,
                "images": result.images,
                "skipped": result.skipped,
                "seconds": round(result.seconds, 3),
                "predict_seconds": round(result.predict_seconds, 3),
                "train": job.model.train,
                "model_version": getattr(job.model.entry, "version", None),
                "code_version": code_version(),
                "data_trust": view.trust,
                "data_state": view.state,
                **training,
                "protocol": job.protocol,
                "prompts": prompt_settings.as_dict() if prompt_settings else None,
                "notes": result.notes,
            },
            default=str,
        )
        created = now_iso()
        sha = adapter.info.weights_sha256
        for m in result.metrics:
            outcome.rows.append(
                dict(
                    base,
                    **m.as_dict(),
                    weights_sha256=sha,
                    convention=result.convention,
                    detail=detail,
                    created=created,
                )
            )
        for row in outcome.rows:
            row.setdefault("weights_sha256", sha)
    except WeightsLoadError as exc:
        outcome.error, outcome.hint = exc.message, exc.hint
        if base:
            outcome.rows.append(
                dict(
                    base,
                    metric="check.weights_load",
                    value=0.0,
                    weights_sha256=exc.sha256,
                    weights_status=exc.status,
                    detail=json.dumps({"error": exc.message}),
                    created=now_iso(),
                )
            )
    except UsregError as exc:
        outcome.error, outcome.hint = exc.message, exc.hint
    except Exception as exc:  # a model crashing must not take the batch down; the traceback goes to the log
        log.debug("bench job failed:\n%s", traceback.format_exc())
        outcome.error = f"{type(exc).__name__}: {exc}"
    finally:
        if adapter is not None:
            adapter.close()
    return outcome


def _stop_on_failed_check(model_id: str, checks: list[dict[str, Any]]) -> None:
    """A model whose forward pass fails or does not give the declared output is not evaluated: its checks are
    stored (the registry's evidence), but no metric, so it never reaches the leaderboard."""
    for check in checks:
        if check["value"] >= 1.0 or check["metric"] != "check.output_shape":
            continue
        detail = json.loads(check.get("detail") or "{}")
        blank = f"model {model_id}: a forward pass on a blank {detail.get('input')} input"
        if "outputs" not in detail:
            what = f"{blank} fails ({detail.get('error')})"
        else:
            got = detail.get("error") or f"output shapes {detail.get('outputs')}, expected {detail.get('expected')}"
            what = f"{blank} does not give the output the entry declares ({got})"
        raise UsregError(
            f"{what}; it is not evaluated",
            hint="the weights may be of another architecture or damaged, or the entry's output (kind, classes) and "
            "adapter options (output_index, layout) may be wrong; the check is stored as check.output_shape",
        )


def _evaluate_prompted(job: BenchJob, adapter, view: DatasetView, progress):
    from .adapters.base import PromptableAdapter
    from .prompted import evaluate_prompted
    from .prompts import PromptSettings

    if not isinstance(adapter, PromptableAdapter):
        raise UsregError(
            f"{job.model.model_id} does not take prompts, so --protocol {job.protocol} cannot run it",
            hint="prompt protocols are for promptable models (adapter: sam)",
        )
    try:
        settings = PromptSettings.for_protocol(job.protocol or "", seed=job.seed, **job.prompt_options)
    except (TypeError, ValueError) as exc:
        raise UsregError(f"prompt settings: {exc}", hint="see `usreg bench --help` for --prompt-* options") from None
    result = evaluate_prompted(adapter, view, settings, target=job.target, n_boot=job.n_boot, progress=progress)
    return result, settings


def _adapter(job: BenchJob, view: DatasetView):
    """The adapter and its verification rows (weights load; output shape as declared)."""
    ref = job.model
    workdir = trained_dir(_home(job), job.dataset_id, view.version)
    if ref.entry is None:
        adapter = build_builtin(
            ref.builtin or "", _classes_for_builtin(view, job.target), ref.options, job.device, workdir=workdir
        )
        return adapter, []
    if ref.train:
        workdir = workdir / ref.entry.id
    adapter = build_for_model(
        ref.entry,
        _home(job),
        job.device,
        Path(job.weights) if job.weights else None,
        workdir=workdir,
        overrides=ref.options,
    )
    if adapter.info.weights_path is None:  # a recipe trained from the data: no published weights to check
        return adapter, []
    load = {
        "metric": "check.weights_load",
        "value": 1.0,
        "detail": json.dumps(
            {
                "adapter": adapter.info.name,
                "weights": adapter.info.weights_path,
                "weights_status": adapter.info.weights_status,
            }
        ),
    }
    return adapter, [load, *adapter.check()]
