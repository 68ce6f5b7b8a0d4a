"""Built-in trivial references that need no weights: all-background and an intensity threshold.

They give every segmentation leaderboard a floor: a model that does not beat ``all-background`` on Dice, or
``intensity-threshold`` on the negative images, has learnt little.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..adapter_options import IntensityThresholdOptions, check_recipe
from ..preprocess import to_channels
from .base import Adapter, AdapterInfo, OutputClass, Prediction


class AllBackground(Adapter):
    """Predicts class 0 everywhere."""

    output_kind = "mask"

    def __init__(self, info: AdapterInfo, classes: Sequence[OutputClass]) -> None:
        super().__init__(info)
        check_recipe("all-background", info.options, info.model_id)
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

    Options (``adapter_options.IntensityThresholdOptions``): ``threshold`` ("otsu", the default, per image; or a
    grey level 0..255), ``invert`` (foreground below the threshold), ``class_id``.
    """

    output_kind = "mask"

    def __init__(self, info: AdapterInfo, classes: Sequence[OutputClass]) -> None:
        super().__init__(info)
        check_recipe("intensity-threshold", info.options, info.model_id)
        options = IntensityThresholdOptions.model_validate(info.options)
        self.threshold = options.threshold
        self.invert = options.invert
        self.class_id = options.class_id
        self.classes = list(classes)

    def predict(self, images: Sequence[np.ndarray]) -> list[Prediction]:
        out = []
        for im in images:
            gray = to_channels(im, 1)[:, :, 0]
            t = otsu_threshold(gray) if self.threshold == "otsu" else float(self.threshold)
            fg = gray < t if self.invert else gray > t
            out.append(Prediction(mask=(fg * self.class_id).astype(np.uint8)))
        return out
