"""Classification metrics in plain numpy (checked against scikit-learn in the tests).

Conventions (FM_UIA ``evaluate.py``, which uses scikit-learn's defaults):
- ``f1_macro``: unweighted mean of per-class F1 over the classes that occur in the labels or the predictions;
  a class with no true positive scores 0.
- ``auc``: binary, ROC AUC of the probability of class 1; multi-class, the macro mean of one-vs-rest AUCs over the
  classes present in the labels (ties get half credit, i.e. the Mann-Whitney U statistic).
- ``mcc``: Matthews correlation coefficient, Gorodkin's multi-class R_K; 0 when undefined.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

from .base import MetricValue
from .bootstrap import DEFAULT_N_BOOT, nanmean_ci, statistic_ci


def confusion_matrix(y: np.ndarray, pred: np.ndarray, n_classes: int) -> np.ndarray:
    y = np.asarray(y, dtype=np.int64)
    pred = np.asarray(pred, dtype=np.int64)
    return np.bincount(y * n_classes + pred, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def accuracy(y: np.ndarray, pred: np.ndarray) -> float:
    return float(np.mean(np.asarray(y) == np.asarray(pred)))


def f1_macro(y: np.ndarray, pred: np.ndarray, n_classes: int) -> float:
    cm = confusion_matrix(y, pred, n_classes)
    tp = np.diag(cm).astype(np.float64)
    fp = cm.sum(axis=0) - tp
    fn = cm.sum(axis=1) - tp
    seen = (cm.sum(axis=0) + cm.sum(axis=1)) > 0
    denom = 2 * tp + fp + fn
    f1 = np.divide(2 * tp, denom, out=np.zeros_like(tp), where=denom > 0)
    return float(f1[seen].mean())


def mcc(y: np.ndarray, pred: np.ndarray, n_classes: int) -> float:
    cm = confusion_matrix(y, pred, n_classes).astype(np.float64)
    t = cm.sum(axis=1)
    p = cm.sum(axis=0)
    c = np.trace(cm)
    s = cm.sum()
    denom = np.sqrt((s * s - p @ p) * (s * s - t @ t))
    return float((c * s - t @ p) / denom) if denom > 0 else 0.0


def binary_auc(positive: np.ndarray, score: np.ndarray) -> float:
    """ROC AUC as the Mann-Whitney U statistic; raises ValueError when only one class is present."""
    positive = np.asarray(positive, dtype=bool)
    n_pos = int(positive.sum())
    n_neg = positive.size - n_pos
    if n_pos == 0 or n_neg == 0:
        raise ValueError("AUC is undefined when the labels hold a single class")
    ranks = rankdata(np.asarray(score, dtype=np.float64))
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def auc(y: np.ndarray, probs: np.ndarray) -> float:
    y = np.asarray(y, dtype=np.int64)
    probs = np.asarray(probs, dtype=np.float64)
    if probs.ndim == 1:
        return binary_auc(y == 1, probs)
    if probs.shape[1] == 2:
        return binary_auc(y == 1, probs[:, 1])
    present = np.unique(y)
    if present.size < 2:
        raise ValueError("AUC is undefined when the labels hold a single class")
    return float(np.mean([binary_auc(y == c, probs[:, c]) for c in present]))


def aggregate(
    y: np.ndarray,
    pred: np.ndarray,
    probs: np.ndarray | None,
    n_classes: int,
    n_boot: int = DEFAULT_N_BOOT,
    seed: int = 0,
) -> list[MetricValue]:
    y = np.asarray(y, dtype=np.int64)
    pred = np.asarray(pred, dtype=np.int64)
    n = int(y.size)
    if n == 0:
        return []
    out = []
    low, high = nanmean_ci((y == pred).astype(np.float64), n_boot=n_boot, seed=seed)
    out.append(MetricValue("accuracy", accuracy(y, pred), low, high, n))
    low, high = statistic_ci(lambda i: f1_macro(y[i], pred[i], n_classes), n, n_boot, seed)
    out.append(MetricValue("f1_macro", f1_macro(y, pred, n_classes), low, high, n))
    if probs is not None:
        try:
            value = auc(y, probs)
        except ValueError:
            value = None
        if value is not None:
            low, high = statistic_ci(lambda i: auc(y[i], probs[i]), n, n_boot, seed)
            out.append(MetricValue("auc", value, low, high, n))
    low, high = statistic_ci(lambda i: mcc(y[i], pred[i], n_classes), n, n_boot, seed)
    out.append(MetricValue("mcc", mcc(y, pred, n_classes), low, high, n))
    return out
