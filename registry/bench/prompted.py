"""Evaluate a promptable model (``PromptableAdapter``) under a prompt protocol (``prompts-point``, ``prompts-box``).

For every sample of the split, each ground-truth instance of the target (class-agnostic, see ``prompts.py``) yields
one prompt; the model answers each prompt with a mask and a score. Metrics, as UltraSam's Table 1 reports them:

- ``map`` and ``map50``: COCO ``segm`` mAP@[.5:.95] and mAP@50 through pycocotools, every instance of category 1;
- ``instance_dice``: the mean Dice of each prompted mask with the instance it was prompted from.

Confidence intervals resample images (COCOeval per replicate, so at most ``DETECTION_N_BOOT`` replicates).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from ..errors import UsregError
from .adapters.base import PromptableAdapter
from .data import DatasetView
from .metrics import detection as det_metrics
from .metrics.base import MetricValue
from .metrics.bootstrap import nanmean_ci
from .metrics.detection import ImageInstances, Instance, instances_from_label_map
from .prompts import PromptSettings, make_prompt, sample_rng, tight_box
from .runner import EvalOutcome

TASK = "prompted-segmentation"


def _dice(a: np.ndarray, b: np.ndarray) -> float:
    total = int(a.sum()) + int(b.sum())
    return 1.0 if total == 0 else 2.0 * int(np.logical_and(a, b).sum()) / total


def _pick_target(view: DatasetView, target: str | None, masks: dict[str, np.ndarray]) -> str:
    if target:
        return target
    names = sorted(view.targets) or sorted(masks)
    if len(names) != 1:
        raise UsregError(
            f"{view.dataset_id} has {len(names)} mask targets ({', '.join(names) or 'none'})",
            hint="choose one with --target",
        )
    return names[0]


def evaluate_prompted(
    adapter: PromptableAdapter,
    view: DatasetView,
    settings: PromptSettings,
    target: str | None = None,
    n_boot: int = det_metrics.DETECTION_N_BOOT,
    progress: Callable[[int], None] | None = None,
) -> EvalOutcome:
    started = time.perf_counter()
    predict_seconds = 0.0
    images: list[ImageInstances] = []
    dices: list[float] = []
    skipped = 0
    chosen: str | None = target
    for sample in view.samples:
        if chosen is None:
            chosen = _pick_target(view, target, sample.masks)
        gt_map = sample.masks.get(chosen)
        if gt_map is None:
            skipped += 1
            continue
        gt = [Instance(i.box, 1, 1.0, i.mask) for i in instances_from_label_map(gt_map)]
        gt_masks = [np.asarray(i.mask, dtype=bool) for i in gt]
        rng = sample_rng(settings, sample.sample_id)
        prompts = [make_prompt(mask, settings, rng) for mask in gt_masks]
        t0 = time.perf_counter()
        answers = adapter.predict_prompted(sample.image, prompts) if prompts else []
        predict_seconds += time.perf_counter() - t0
        if len(answers) != len(prompts):
            raise UsregError(f"{adapter.info.model_id} answered {len(answers)} masks for {len(prompts)} prompts")
        preds = []
        for gt_mask, answer in zip(gt_masks, answers, strict=True):
            mask = answer.mask.astype(bool)
            if mask.shape != gt_map.shape:
                raise UsregError(
                    f"{adapter.info.model_id} returned a {mask.shape} mask for a {gt_map.shape} image",
                    hint="a promptable adapter must return masks at the original image size",
                )
            box = tight_box(mask) if mask.any() else (0.0, 0.0, 0.0, 0.0)
            preds.append(Instance(box, 1, float(answer.score), mask))
            dices.append(_dice(mask, gt_mask))
        images.append(ImageInstances(gt_map.shape[0], gt_map.shape[1], gt, preds))
        if progress is not None:
            progress(1)
    metrics: list[MetricValue] = [m for m in det_metrics.aggregate(images, "segm", min(n_boot, 100), settings.seed)]
    if dices:
        values = np.asarray(dices, dtype=np.float64)
        low, high = nanmean_ci(values, n_boot=n_boot, seed=settings.seed)
        metrics.append(MetricValue("instance_dice", float(values.mean()), low, high, int(values.size)))
    notes = [f"prompts: {settings.kind} ({settings.as_dict()}); {len(dices)} instances on {len(images)} images"]
    return EvalOutcome(
        task=TASK,
        metrics=metrics,
        images=len(images),
        skipped=skipped,
        seconds=time.perf_counter() - started,
        predict_seconds=predict_seconds,
        target=chosen,
        convention="ultrasam-prompts",
        notes=notes,
    )
