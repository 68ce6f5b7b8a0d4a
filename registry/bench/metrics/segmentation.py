"""Segmentation metrics: per-image raw counts and distances, then aggregation under a convention.

``score_image`` does the per-image work (the expensive part, run in worker processes); it keeps raw counts, so the
convention is applied afterwards by ``aggregate``. Label maps hold class ids 0..C-1 with 0 = background.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .base import MetricValue
from .bootstrap import DEFAULT_N_BOOT, nanmean_ci
from .conventions import USREG, SegConvention
from .surface import bounding_box, diagonal, hausdorff, hd95_assd


@dataclass
class SegImageScore:
    """Raw per-image results for classes 0..C-1 (distances are NaN unless GT and prediction both have the class)."""

    tp: np.ndarray
    fp: np.ndarray
    fn: np.ndarray
    hd95: np.ndarray
    assd: np.ndarray
    hd: np.ndarray
    diagonal: float
    n_pixels: int

    @property
    def gt_area(self) -> np.ndarray:
        return self.tp + self.fn

    @property
    def pred_area(self) -> np.ndarray:
        return self.tp + self.fp


def confusion(gt: np.ndarray, pred: np.ndarray, n_classes: int) -> np.ndarray:
    """C x C confusion matrix, rows = GT class, columns = predicted class."""
    gt = np.asarray(gt)
    pred = np.asarray(pred)
    if gt.shape != pred.shape:
        raise ValueError(f"prediction shape {pred.shape} differs from ground truth shape {gt.shape}")
    for name, arr in (("ground truth", gt), ("prediction", pred)):
        if arr.size and (int(arr.max()) >= n_classes or int(arr.min()) < 0):
            raise ValueError(f"{name} has label {int(arr.max())} outside the {n_classes} classes 0..{n_classes - 1}")
    flat = gt.astype(np.int64).ravel() * n_classes + pred.astype(np.int64).ravel()
    return np.bincount(flat, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def _binary_counts(gt: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """Fast 2x2 confusion for binary label maps."""
    g = gt.astype(bool, copy=False)
    p = pred.astype(bool, copy=False)
    tp = int(np.count_nonzero(g & p))
    n_g, n_p = int(np.count_nonzero(g)), int(np.count_nonzero(p))
    fn, fp = n_g - tp, n_p - tp
    tn = g.size - tp - fn - fp
    return np.array([[tn, fp], [fn, tp]], dtype=np.int64)


def crop_to_foreground(gt: np.ndarray, pred: np.ndarray) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
    """The two label maps cut to the bounding box of their foreground, and the original shape.

    Everything outside the box is background in both, so ``score_image(..., shape=original)`` gives the same result
    from the crops; the process pool ships crops instead of whole images.
    """
    gt = np.asarray(gt)
    pred = np.asarray(pred)
    if gt.shape != pred.shape:
        raise ValueError(f"prediction shape {pred.shape} differs from ground truth shape {gt.shape}")
    box = bounding_box((gt > 0) | (pred > 0))
    if box is None:
        return gt[:0, :0], pred[:0, :0], gt.shape
    return gt[box], pred[box], gt.shape


def score_image(
    gt: np.ndarray,
    pred: np.ndarray,
    n_classes: int,
    distances: bool = True,
    full_hausdorff: bool = False,
    shape: tuple[int, ...] | None = None,
) -> SegImageScore:
    """Counts per class and, for foreground classes present in both masks, HD95/ASSD (and full-set HD).

    With ``shape``, ``gt`` and ``pred`` are crops (see ``crop_to_foreground``) of label maps of that shape whose
    pixels outside the crop are background in both.
    """
    gt = np.asarray(gt)
    pred = np.asarray(pred)
    if n_classes == 2 and gt.shape == pred.shape and gt.max(initial=0) <= 1 and pred.max(initial=0) <= 1:
        cm = _binary_counts(gt, pred)
    else:
        cm = confusion(gt, pred, n_classes)
    full_shape = tuple(shape) if shape is not None else gt.shape
    n_pixels = int(np.prod(full_shape))
    cm[0, 0] += n_pixels - gt.size
    tp = np.diag(cm).astype(np.int64)
    fp = cm.sum(axis=0) - tp
    fn = cm.sum(axis=1) - tp
    hd95 = np.full(n_classes, np.nan)
    assd = np.full(n_classes, np.nan)
    hd = np.full(n_classes, np.nan)
    if distances:
        for c in range(1, n_classes):
            if tp[c] + fn[c] == 0 or tp[c] + fp[c] == 0:
                continue
            a, b = gt == c, pred == c
            hd95[c], assd[c] = hd95_assd(a, b)
            if full_hausdorff:
                hd[c] = hausdorff(a, b)
    return SegImageScore(tp, fp, fn, hd95, assd, hd, diagonal(full_shape), n_pixels)


def score_many(
    items: Sequence[tuple[np.ndarray, np.ndarray, tuple[int, ...]]],
    n_classes: int,
    distances: bool = True,
    full_hausdorff: bool = False,
) -> list[SegImageScore]:
    """``score_image`` over (gt crop, pred crop, shape) triples: one task of the process pool."""
    return [score_image(g, p, n_classes, distances, full_hausdorff, shape) for g, p, shape in items]


# -- aggregation ---------------------------------------------------------------------------------------------------


def _overlap(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray, eps: float, both_empty: float | None):
    with np.errstate(invalid="ignore", divide="ignore"):
        dice = 2 * tp / (2 * tp + fp + fn + eps)
        iou = tp / (tp + fp + fn + eps)
    empty = (tp + fp + fn) == 0
    if eps == 0:
        fill = np.nan if both_empty is None else both_empty
        dice = np.where(empty, fill, dice)
        iou = np.where(empty, fill, iou)
    return dice, iou


def _distances(scores: Sequence[SegImageScore], attr: str, conv: SegConvention, gt_present, pred_present):
    """Per-image distance matrix with the convention's empty rules."""
    values = np.stack([getattr(s, attr) for s in scores]).astype(np.float64)
    diag = np.array([s.diagonal for s in scores])[:, None]
    one_empty = gt_present ^ pred_present
    values = np.where(one_empty, diag, values)
    both_empty = ~gt_present & ~pred_present
    if conv.distance_images == "all":
        values = np.where(both_empty, 0.0, values)
    else:
        values = np.where(gt_present, values, np.nan)
    return values


def _mean(values: np.ndarray) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        per_class = np.nanmean(values, axis=0) if values.ndim == 2 else values
        return float(np.nanmean(per_class))


def _count(values: np.ndarray) -> int:
    return int(np.isfinite(values).any(axis=1).sum()) if values.ndim == 2 else int(np.isfinite(values).sum())


def _metric(name: str, values: np.ndarray, n_boot: int, seed: int) -> MetricValue | None:
    n = _count(values)
    if n == 0:
        return None
    low, high = nanmean_ci(values, n_boot=n_boot, seed=seed)
    return MetricValue(name, _mean(values), low, high, n)


def aggregate(
    scores: Sequence[SegImageScore],
    class_names: Sequence[str],
    convention: SegConvention = USREG,
    n_boot: int = DEFAULT_N_BOOT,
    seed: int = 0,
) -> list[MetricValue]:
    """Metrics for a split: the means over classes, then each class, then the negative-image metrics."""
    if not scores:
        return []
    n_classes = len(class_names)
    tp = np.stack([s.tp for s in scores])
    fp = np.stack([s.fp for s in scores])
    fn = np.stack([s.fn for s in scores])
    gt_present = (tp + fn) > 0
    pred_present = (tp + fp) > 0
    classes = list(range(n_classes)) if convention.mean_over == "all" else list(range(1, n_classes))

    if convention.pooled_batches:
        size = max(1, convention.batch_size)
        starts = range(0, len(scores), size)
        tp_b = np.stack([tp[i : i + size].sum(axis=0) for i in starts])
        fp_b = np.stack([fp[i : i + size].sum(axis=0) for i in starts])
        fn_b = np.stack([fn[i : i + size].sum(axis=0) for i in starts])
        dice, iou = _overlap(tp_b, fp_b, fn_b, convention.epsilon, convention.both_empty_overlap)
    else:
        dice, iou = _overlap(tp, fp, fn, convention.epsilon, convention.both_empty_overlap)
        if convention.images == "gt-present":
            dice = np.where(gt_present, dice, np.nan)
            iou = np.where(gt_present, iou, np.nan)

    per_metric: dict[str, np.ndarray] = {"dice": dice, "iou": iou}
    per_metric["hd95"] = _distances(scores, "hd95", convention, gt_present, pred_present)
    per_metric["assd"] = _distances(scores, "assd", convention, gt_present, pred_present)
    if convention.full_hausdorff:
        per_metric["hd"] = _distances(scores, "hd", convention, gt_present, pred_present)

    out: list[MetricValue] = []
    for name, values in per_metric.items():
        dist = name in ("hd95", "assd", "hd")
        cls = [c for c in classes if c > 0] if dist else classes
        if not cls:
            continue
        metric = _metric(name, values[:, cls], n_boot, seed)
        if metric:
            out.append(metric)
    for name, values in per_metric.items():
        dist = name in ("hd95", "assd", "hd")
        for c in range(n_classes):
            if (dist or convention.mean_over == "foreground") and c == 0:
                continue
            metric = _metric(f"{name}[{class_names[c]}]", values[:, c], n_boot, seed)
            if metric:
                out.append(metric)
    out.extend(negatives(scores, n_boot=n_boot, seed=seed))
    return out


def negatives(scores: Sequence[SegImageScore], n_boot: int = DEFAULT_N_BOOT, seed: int = 0) -> list[MetricValue]:
    """Image-level false-positive rate and false-positive area on images whose GT has no foreground."""
    neg = [s for s in scores if s.gt_area[1:].sum() == 0]
    if not neg:
        return []
    area = np.array([float(s.pred_area[1:].sum()) for s in neg])
    frac = area / np.array([float(s.n_pixels) for s in neg])
    hit = (area > 0).astype(np.float64)
    out = []
    for name, values in (("fp_rate", hit), ("fp_area", area), ("fp_area_frac", frac)):
        low, high = nanmean_ci(values, n_boot=n_boot, seed=seed)
        out.append(MetricValue(name, float(values.mean()), low, high, len(neg)))
    return out
