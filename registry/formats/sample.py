"""One sample of a dataset in the common format, as the reader yields it and the writer accepts it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class Box:
    """An axis-aligned box in pixel coordinates, Pascal-VOC style (x_min, y_min, x_max, y_max)."""

    x_min: float
    y_min: float
    x_max: float
    y_max: float
    category: str
    category_id: int | None = None

    def as_list(self) -> list[float]:
        return [self.x_min, self.y_min, self.x_max, self.y_max]


@dataclass
class Sample:
    """A single image with its targets.

    ``image`` is HxW (grayscale) or HxWx3 (colour) uint8. ``masks`` maps a target name (e.g. "plaque",
    "anatomy") to an HxW uint8 label map with 0 = background; the class map lives in metadata.json.
    ``label`` is a class name or id for classification, ``points`` a list of (x, y) landmarks for regression.
    """

    sample_id: str
    image: np.ndarray
    split: str = "train"
    masks: dict[str, np.ndarray] = field(default_factory=dict)
    label: str | int | None = None
    boxes: list[Box] = field(default_factory=list)
    points: list[tuple[float, float]] = field(default_factory=list)
    subject_id: str | None = None
    frame: int | None = None
    source_file: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def height(self) -> int:
        return int(self.image.shape[0])

    @property
    def width(self) -> int:
        return int(self.image.shape[1])
