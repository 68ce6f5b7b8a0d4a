"""Which (dataset, model) pairs a ``usreg bench`` invocation runs, and why the others are skipped."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import NoSuchEntry, UsageError
from . import compat
from .adapters import BASELINES, TRAINABLE, builtin_id
from .jobs import ModelRef

if TYPE_CHECKING:
    from ..catalog import Catalog
    from ..schema import Model


@dataclass
class Plan:
    pairs: list[tuple[str, ModelRef]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)

    def skip(self, dataset_id: str, model_id: str, reasons: list[str]) -> None:
        self.skipped.append({"dataset": dataset_id, "model": model_id, "reason": "; ".join(reasons)})


def _unknown(kind: str, name: str, known: list[str]) -> NoSuchEntry:
    close = difflib.get_close_matches(name, known, n=3)
    hint = f"did you mean: {', '.join(close)}?" if close else f"run `usreg list --kind {kind}` to see the ids"
    return NoSuchEntry(f"no {kind} entry with id {name!r}", hint=hint)


def fetched(home: Path, dataset_id: str) -> bool:
    from ..formats.layout import complete_versions

    return bool(complete_versions(home, dataset_id))


def make_plan(
    catalog,
    home: Path,
    dataset_ids: list[str],
    model_ids: tuple[str, ...] = (),
    baselines: tuple[str, ...] = (),
    train: tuple[str, ...] = (),
    options: dict[str, Any] | None = None,
    run_all: bool = False,
) -> Plan:
    plan = Plan()
    options = options or {}
    if run_all:
        dataset_ids = sorted(catalog.datasets)
    for dataset_id in dataset_ids:
        if dataset_id not in catalog.datasets:
            raise _unknown("dataset", dataset_id, sorted(catalog.datasets))
    for model_id in model_ids:
        if model_id not in catalog.models:
            raise _unknown("model", model_id, sorted(catalog.models))
    explicit = bool(model_ids or baselines or train)
    for dataset_id in dataset_ids:
        dataset = catalog.datasets[dataset_id]
        if run_all and not fetched(home, dataset_id):
            plan.skip(dataset_id, "*", [f"not fetched (run `usreg fetch {dataset_id}`)"])
            continue
        models = (
            [catalog.models[m] for m in model_ids] if explicit else sorted(catalog.models.values(), key=lambda m: m.id)
        )
        for model in models:
            verdict = compat.check(model, dataset)
            recipe_options = dict(options.get(recipe_of(model) or "", {}))
            if verdict and compat.needs_training(model):
                if model_ids:
                    plan.pairs.append((dataset_id, ModelRef(entry=model, train=True, options=recipe_options)))
                else:
                    plan.skip(
                        dataset_id,
                        model.id,
                        [
                            f"it has no weights and is trained from the data; name it to train it "
                            f"(usreg bench {dataset_id} --model {model.id})"
                        ],
                    )
            elif verdict:
                plan.pairs.append((dataset_id, ModelRef(entry=model, options=recipe_options)))
            elif explicit or dataset_id in model.evaluated_on:
                plan.skip(dataset_id, model.id, verdict.reasons)
        wanted_baselines = baselines if explicit else BASELINES
        for name in wanted_baselines:
            verdict = compat.baseline_check(dataset)
            if verdict:
                plan.pairs.append((dataset_id, ModelRef(builtin=name, options=dict(options.get(name, {})))))
            elif explicit:
                plan.skip(dataset_id, builtin_id(name), verdict.reasons)
        for name in train:
            if name not in TRAINABLE:
                raise UsageError(f"{name!r} is not a trainable recipe", hint=f"choose one of: {', '.join(TRAINABLE)}")
            verdict = compat.baseline_check(dataset)
            if not verdict:
                plan.skip(dataset_id, builtin_id(name), verdict.reasons)
                continue
            owner = recipe_entry(catalog, name, dataset_id)
            plan.pairs.append(
                (
                    dataset_id,
                    ModelRef(
                        entry=owner, builtin=None if owner else name, options=dict(options.get(name, {})), train=True
                    ),
                )
            )
    return plan


def recipe_of(model: Model) -> str | None:
    """The built-in recipe a model entry runs (``adapter: {name: builtin, options: {recipe: ...}}``), if any."""
    adapter = getattr(model, "adapter", None)
    if adapter is None or adapter.name != "builtin":
        return None
    recipe = (adapter.options or {}).get("recipe")
    return str(recipe) if recipe else None


def recipe_entry(catalog: Catalog, recipe: str, dataset_id: str) -> Model | None:
    """The one catalog model entry that is this recipe trained on this dataset, so that `--train RECIPE` results
    are stored under (and count for) that entry; None when no entry, or more than one, claims it."""
    owners = [m for m in catalog.models.values() if recipe_of(m) == recipe and dataset_id in (m.trained_on or [])]
    return owners[0] if len(owners) == 1 else None
