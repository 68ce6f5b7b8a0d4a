"""Built-in trivial references that need no weights: all-background and an intensity threshold.

They give every segmentation leaderboard a floor: a model that does not beat ``all-background`` on Dice, or
``intensity-threshold`` on the negative images, has learnt little.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ...errors import UsregError
from ..preprocess import to_channels
from .base import Adapter, AdapterInfo, OutputClass, Prediction


class AllBackground(Adapter):
    """Predicts class 0 everywhere."""

    output_kind = "mask"

    def __init__(self, info: AdapterInfo, classes: Sequence[OutputClass]) -> None:
        super().__init__(info)
        if info.options:
            raise UsregError(f"all-background takes no options, got {sorted(info.options)}")
        self.classes = list(classes)

    def predict(self, images: Sequence[np.ndarray]) -> list[Prediction]:
        return [Prediction(mask=np.zeros(im.shape[:2], np.uint8)) for im in images]


def otsu_threshold(gray: np.ndarray) -> float:
    """Otsu's threshold of a uint8 image (the level maximising the between-class variance)."""
    hist = np.bincount(gray.ravel(), minlength=256).astype(np.float64)
    total = hist.sum()
    if total == 0:
        return 127.0
    levels = np.arange(256, dtype=np.float64)
    w0 = np.cumsum(hist)
    w1 = total - w0
    m0 = np.cumsum(hist * levels)
    mean_all = m0[-1]
    with np.errstate(invalid="ignore", divide="ignore"):
        between = (mean_all * w0 - m0 * total) ** 2 / (w0 * w1)
    between[~np.isfinite(between)] = -1
    return float(np.argmax(between))


class IntensityThreshold(Adapter):
    """Foreground (class ``class_id``, default 1) where the grey level is above a threshold.

    Options: ``threshold`` ("otsu", the default, per image; or a grey level 0..255), ``invert`` (foreground below
    the threshold), ``class_id``.
    """

    output_kind = "mask"
    OPTIONS = ("threshold", "invert", "class_id")

    def __init__(self, info: AdapterInfo, classes: Sequence[OutputClass]) -> None:
        super().__init__(info)
        unknown = sorted(set(info.options) - set(self.OPTIONS))
        if unknown:
            raise UsregError(f"intensity-threshold: unknown option(s) {unknown}", hint=f"use {list(self.OPTIONS)}")
        threshold = info.options.get("threshold", "otsu")
        if threshold != "otsu" and not (isinstance(threshold, int | float) and 0 <= threshold <= 255):
            raise UsregError(f"intensity-threshold: threshold must be 'otsu' or 0..255, got {threshold!r}")
        self.threshold = threshold
        self.invert = bool(info.options.get("invert", False))
        self.class_id = int(info.options.get("class_id", 1))
        self.classes = list(classes)

    def predict(self, images: Sequence[np.ndarray]) -> list[Prediction]:
        out = []
        for im in images:
            gray = to_channels(im, 1)[:, :, 0]
            t = otsu_threshold(gray) if self.threshold == "otsu" else float(self.threshold)
            fg = gray < t if self.invert else gray > t
            out.append(Prediction(mask=(fg * self.class_id).astype(np.uint8)))
        return out
