"""Landmark regression: mean radial error (FM_UIA): per image the mean Euclidean pixel distance over keypoints,
then the mean over images. A keypoint missing from the ground truth (NaN) is left out of its image's mean."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .base import MetricValue
from .bootstrap import DEFAULT_N_BOOT, nanmean_ci


def radial_errors(gt: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """Per-keypoint Euclidean distances of two (K, 2) arrays of (x, y) pixels."""
    gt = np.asarray(gt, dtype=np.float64).reshape(-1, 2)
    pred = np.asarray(pred, dtype=np.float64).reshape(-1, 2)
    if gt.shape != pred.shape:
        raise ValueError(f"predicted {pred.shape[0]} keypoints, the ground truth has {gt.shape[0]}")
    return np.sqrt(((gt - pred) ** 2).sum(axis=1))


def image_mre(gt: np.ndarray, pred: np.ndarray) -> float:
    errors = radial_errors(gt, pred)
    errors = errors[np.isfinite(errors)]
    return float(errors.mean()) if errors.size else float("nan")


def aggregate(
    gts: Sequence[np.ndarray], preds: Sequence[np.ndarray], n_boot: int = DEFAULT_N_BOOT, seed: int = 0
) -> list[MetricValue]:
    per_image = np.array([image_mre(g, p) for g, p in zip(gts, preds, strict=True)], dtype=np.float64)
    valid = per_image[np.isfinite(per_image)]
    if valid.size == 0:
        return []
    low, high = nanmean_ci(per_image, n_boot=n_boot, seed=seed)
    return [MetricValue("mre", float(valid.mean()), low, high, int(valid.size))]
