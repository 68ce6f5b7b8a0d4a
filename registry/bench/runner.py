"""Evaluate one adapter on one split: predict, map classes, score each image, aggregate under a convention.

Per-image segmentation scoring (the expensive part: surface distances) runs in a process pool when ``workers > 1``;
everything else runs in the calling process. The samples may be any sized iterable (the common-format reader is
lazy), and predictions are made ``batch_size`` images at a time, so memory stays bounded.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import islice

import numpy as np

from ..errors import UsregError
from ..formats.sample import Sample
from .adapters.base import Adapter, OutputClass, Prediction
from .data import DatasetView
from .metrics import classification as cls_metrics
from .metrics import detection as det_metrics
from .metrics import regression as reg_metrics
from .metrics import segmentation as seg_metrics
from .metrics.base import MetricValue
from .metrics.bootstrap import DEFAULT_N_BOOT
from .metrics.conventions import USREG, SegConvention
from .metrics.detection import ImageInstances, Instance

TASK_OF_OUTPUT = {"mask": "segmentation", "label": "classification", "boxes": "detection", "points": "regression"}


@dataclass
class EvalOutcome:
    task: str
    metrics: list[MetricValue]
    images: int
    skipped: int = 0
    seconds: float = 0.0
    predict_seconds: float = 0.0
    target: str | None = None
    convention: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def images_per_second(self) -> float:
        return self.images / self.seconds if self.seconds > 0 else float("nan")


def _batches(items: Iterable[Sample], size: int) -> Iterator[list[Sample]]:
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch


def class_lut(model_classes: Sequence[OutputClass], names: Sequence[str], notes: list[str]) -> np.ndarray | None:
    """A 256-entry table mapping the model's class ids to the dataset's, by case-insensitive name.

    None when the model declares no classes (its ids are taken to be the dataset's). A model class the dataset does
    not have maps to background, and a note says so.
    """
    if not model_classes:
        return None
    by_name = {n.lower(): i for i, n in enumerate(names)}
    lut = np.zeros(256, np.uint8)
    identity = True
    for c in model_classes:
        target = 0 if c.id == 0 else by_name.get(c.name.lower())
        if target is None:
            notes.append(f"model class {c.id} '{c.name}' is not a dataset class; scored as background")
            target = 0
        lut[c.id] = target
        identity &= target == c.id
    return None if identity else lut


def _target(view: DatasetView, target: str | None, first: Sample | None) -> str:
    if target:
        return target
    if len(view.targets) == 1:
        return next(iter(view.targets))
    if view.targets:
        raise UsregError(
            f"dataset {view.dataset_id} has several mask targets: {', '.join(sorted(view.targets))}",
            hint="choose one with --target",
        )
    if first is not None and len(first.masks) == 1:
        return next(iter(first.masks))
    raise UsregError(f"dataset {view.dataset_id}: cannot tell which mask target to score", hint="pass --target")


class _Scorer:
    """Scores segmentation pairs in order, inline or in a process pool.

    The pool gets the pairs cut to their foreground's bounding box (exact: see ``crop_to_foreground``), in chunks,
    so little crosses the process boundary; workers start with ``forkserver``, so they inherit no ONNX Runtime or
    torch threads.
    """

    CHUNK = 8

    def __init__(self, workers: int, n_classes: int, full_hd: bool) -> None:
        self.n_classes = n_classes
        self.full_hd = full_hd
        self.pool: ProcessPoolExecutor | None = None
        if workers > 1:
            import multiprocessing as mp

            self.pool = ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("forkserver"))
        self.pending: list[Future] = []
        self.chunk: list[tuple[np.ndarray, np.ndarray, tuple[int, ...]]] = []
        self.limit = 4 * max(1, workers)
        self.done: list[seg_metrics.SegImageScore] = []

    def submit(self, gt: np.ndarray, pred: np.ndarray) -> None:
        if self.pool is None:
            self.done.append(seg_metrics.score_image(gt, pred, self.n_classes, True, self.full_hd))
            return
        self.chunk.append(seg_metrics.crop_to_foreground(gt, pred))
        if len(self.chunk) >= self.CHUNK:
            self._flush()
        while len(self.pending) > self.limit:
            self.done.extend(self.pending.pop(0).result())

    def _flush(self) -> None:
        if self.chunk and self.pool is not None:  # without a pool, submit() scores each pair at once
            self.pending.append(
                self.pool.submit(seg_metrics.score_many, self.chunk, self.n_classes, True, self.full_hd)
            )
            self.chunk = []

    def finish(self) -> list[seg_metrics.SegImageScore]:
        try:
            if self.pool is not None:
                self._flush()
            for f in self.pending:
                self.done.extend(f.result())
            self.pending = []
        finally:
            if self.pool is not None:
                self.pool.shutdown()
        return self.done


def evaluate(
    adapter: Adapter,
    view: DatasetView,
    convention: SegConvention = USREG,
    target: str | None = None,
    n_boot: int = DEFAULT_N_BOOT,
    seed: int = 0,
    workers: int = 1,
    batch_size: int = 8,
    progress: Callable[[int], None] | None = None,
) -> EvalOutcome:
    """Run ``adapter`` over ``view`` and compute the metrics of its output kind."""
    task = TASK_OF_OUTPUT.get(adapter.output_kind)
    if task is None:
        raise UsregError(f"output kind {adapter.output_kind!r} has no benchmark metric")
    started = time.perf_counter()
    handler = {
        "segmentation": _Segmentation,
        "classification": _Classification,
        "detection": _Detection,
        "regression": _Regression,
    }[task](adapter, view, convention, target, workers)
    predict_seconds = 0.0
    try:
        for batch in _batches(view.samples, max(1, batch_size)):
            usable = [s for s in batch if handler.usable(s)]
            handler.skipped += len(batch) - len(usable)
            if not usable:
                continue
            t0 = time.perf_counter()
            preds = adapter.predict([s.image for s in usable])
            predict_seconds += time.perf_counter() - t0
            if len(preds) != len(usable):
                raise UsregError(f"{adapter.info.model_id}: {len(preds)} predictions for {len(usable)} images")
            for sample, pred in zip(usable, preds, strict=True):
                handler.add(sample, pred)
            if progress:
                progress(len(batch))
        metrics = handler.aggregate(n_boot, seed)
    finally:
        handler.close()
    return EvalOutcome(
        task=task,
        metrics=metrics,
        images=handler.count,
        skipped=handler.skipped,
        seconds=time.perf_counter() - started,
        predict_seconds=predict_seconds,
        target=handler.target,
        convention=convention.name if task == "segmentation" else handler.convention,
        notes=handler.notes,
    )


class _Task:
    convention = "usreg"

    def __init__(
        self, adapter: Adapter, view: DatasetView, convention: SegConvention, target: str | None, workers: int
    ) -> None:
        self.adapter = adapter
        self.view = view
        self.count = 0
        self.skipped = 0
        self.target: str | None = None
        self.notes: list[str] = []

    def usable(self, sample: Sample) -> bool:
        return True

    def add(self, sample: Sample, pred: Prediction) -> None:
        """Score one prediction against its sample."""
        raise NotImplementedError

    def aggregate(self, n_boot: int, seed: int) -> list[MetricValue]:
        """The metrics over every added sample."""
        raise NotImplementedError

    def close(self) -> None:
        pass


class _Segmentation(_Task):
    def __init__(
        self, adapter: Adapter, view: DatasetView, convention: SegConvention, target: str | None, workers: int
    ) -> None:
        super().__init__(adapter, view, convention, target, workers)
        self.conv = convention
        self.requested_target = target
        self.workers = workers
        self.scorer: _Scorer | None = None
        self.names: list[str] = []
        self.lut: np.ndarray | None = None

    def _start(self, first: Sample) -> tuple[_Scorer, str]:
        target = self.target = _target(self.view, self.requested_target, first)
        names = self.view.class_names(self.target)
        if not names:
            names = [c.name for c in sorted(self.adapter.classes, key=lambda c: c.id)] or ["background", "foreground"]
        self.names = list(names)
        self.lut = class_lut(self.adapter.classes, self.names, self.notes)
        scorer = self.scorer = _Scorer(self.workers, len(self.names), self.conv.full_hausdorff)
        return scorer, target

    def _started(self, sample: Sample) -> tuple[_Scorer, str]:
        """The scorer and the mask target, set up from the first sample."""
        if self.scorer is None or self.target is None:
            return self._start(sample)
        return self.scorer, self.target

    def usable(self, sample: Sample) -> bool:
        _, target = self._started(sample)
        return target in sample.masks

    def add(self, sample: Sample, pred: Prediction) -> None:
        scorer, target = self._started(sample)
        gt = np.asarray(sample.masks[target])
        mask = pred.mask
        if mask is None:
            raise UsregError(f"{self.adapter.info.model_id}: no mask predicted for {sample.sample_id}")
        if self.lut is not None:
            mask = self.lut[mask]
        if mask.shape != gt.shape:
            raise UsregError(
                f"{self.adapter.info.model_id}: predicted mask {mask.shape} for {sample.sample_id}, "
                f"ground truth is {gt.shape}"
            )
        if int(gt.max(initial=0)) >= len(self.names):
            raise UsregError(
                f"{self.view.dataset_id}: sample {sample.sample_id} has label {int(gt.max())} outside the class map "
                f"{self.names}",
                hint="the dataset's metadata.json class map is incomplete; convert it again",
            )
        scorer.submit(gt, mask)
        self.count += 1

    def aggregate(self, n_boot: int, seed: int) -> list[MetricValue]:
        if self.scorer is None:
            return []
        scores = self.scorer.finish()
        return seg_metrics.aggregate(scores, self.names, self.conv, n_boot=n_boot, seed=seed)

    def close(self) -> None:
        if self.scorer is not None and self.scorer.pool is not None:
            self.scorer.pool.shutdown(cancel_futures=True)


class _Classification(_Task):
    convention = "fm-uia"

    def __init__(
        self, adapter: Adapter, view: DatasetView, convention: SegConvention, target: str | None, workers: int
    ) -> None:
        super().__init__(adapter, view, convention, target, workers)
        self.names = list(view.labels or [c.name for c in sorted(adapter.classes, key=lambda c: c.id)])
        self.y: list[int] = []
        self.pred: list[int] = []
        self.probs: list[np.ndarray] = []
        # model class id -> dataset class index
        self.order: dict[int, int] | None = None
        if adapter.classes and self.names:
            by_name = {n.lower(): i for i, n in enumerate(self.names)}
            self.order = {c.id: by_name[c.name.lower()] for c in adapter.classes if c.name.lower() in by_name}
            missing = [c.name for c in adapter.classes if c.name.lower() not in by_name]
            if missing:
                self.notes.append(f"model classes {missing} are not dataset labels")

    def usable(self, sample: Sample) -> bool:
        return sample.label is not None

    def _label(self, label) -> int:
        if isinstance(label, int | np.integer):
            return int(label)
        names = {n.lower(): i for i, n in enumerate(self.names)}
        if str(label).lower() not in names:
            if str(label).isdigit():
                return int(label)
            raise UsregError(f"{self.view.dataset_id}: label {label!r} is not one of {self.names}")
        return names[str(label).lower()]

    def add(self, sample: Sample, pred: Prediction) -> None:
        n = max(len(self.names), len(pred.probs) if pred.probs is not None else 0)
        probs = np.zeros(n)
        raw = np.asarray(pred.probs if pred.probs is not None else np.eye(n)[pred.label], dtype=np.float64)
        for model_id, p in enumerate(raw):
            idx = self.order.get(model_id) if self.order is not None else model_id
            if idx is not None and idx < n:
                probs[idx] += p
        self.y.append(self._label(sample.label))
        self.pred.append(int(probs.argmax()))
        self.probs.append(probs)
        self.count += 1

    def aggregate(self, n_boot: int, seed: int) -> list[MetricValue]:
        if not self.y:
            return []
        width = max(len(p) for p in self.probs)
        probs = np.stack([np.pad(p, (0, width - len(p))) for p in self.probs])
        n_classes = max(width, max(self.y) + 1)
        return cls_metrics.aggregate(np.array(self.y), np.array(self.pred), probs, n_classes, n_boot, seed)


class _Detection(_Task):
    convention = "coco"

    def __init__(
        self, adapter: Adapter, view: DatasetView, convention: SegConvention, target: str | None, workers: int
    ) -> None:
        super().__init__(adapter, view, convention, target, workers)
        self.images: list[ImageInstances] = []
        cats = view.box_categories or []
        self.cat_ids = {n.lower(): i + 1 for i, n in enumerate(cats)}
        self.agnostic = len(cats) <= 1
        self.model_cats = {c.id: self.cat_ids.get(c.name.lower()) for c in adapter.classes}
        self.iou_type = "bbox"

    def _gt_category(self, box) -> int:
        if self.agnostic:
            return 1
        if box.category and box.category.lower() in self.cat_ids:
            return self.cat_ids[box.category.lower()]
        return int(box.category_id or 1)

    def add(self, sample: Sample, pred: Prediction) -> None:
        gt = [Instance((b.x_min, b.y_min, b.x_max, b.y_max), self._gt_category(b)) for b in sample.boxes]
        preds = []
        for inst in pred.instances or []:
            cat = 1 if self.agnostic else (self.model_cats.get(inst.category_id) or inst.category_id)
            preds.append(Instance(inst.box, cat, inst.score, inst.mask))
        self.images.append(ImageInstances(sample.height, sample.width, gt, preds))
        self.count += 1

    def aggregate(self, n_boot: int, seed: int) -> list[MetricValue]:
        return det_metrics.aggregate(
            self.images, self.iou_type, n_boot=min(n_boot, det_metrics.DETECTION_N_BOOT), seed=seed
        )


class _Regression(_Task):
    convention = "fm-uia"

    def __init__(
        self, adapter: Adapter, view: DatasetView, convention: SegConvention, target: str | None, workers: int
    ) -> None:
        super().__init__(adapter, view, convention, target, workers)
        self.gts: list[np.ndarray] = []
        self.preds: list[np.ndarray] = []

    def usable(self, sample: Sample) -> bool:
        return bool(sample.points)

    def add(self, sample: Sample, pred: Prediction) -> None:
        self.gts.append(np.asarray(sample.points, dtype=np.float64))
        self.preds.append(np.asarray(pred.points, dtype=np.float64))
        self.count += 1

    def aggregate(self, n_boot: int, seed: int) -> list[MetricValue]:
        return reg_metrics.aggregate(self.gts, self.preds, n_boot=n_boot, seed=seed)
