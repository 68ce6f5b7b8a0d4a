"""What every model adapter provides: predictions at the original image size, in the model's class ids."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..metrics.detection import Instance


@dataclass
class Prediction:
    """One image's prediction. Exactly the field of the adapter's ``output_kind`` is set.

    - mask: HxW uint8 label map at the original size (model class ids);
    - label/probs: the predicted class id and the class probabilities (model class order);
    - instances: boxes (x_min, y_min, x_max, y_max) in original pixels, scores, category ids, optional masks;
    - points: (K, 2) array of (x, y) original pixels.
    """

    mask: np.ndarray | None = None
    label: int | None = None
    probs: np.ndarray | None = None
    instances: list[Instance] | None = None
    points: np.ndarray | None = None


@dataclass
class OutputClass:
    id: int
    name: str


@dataclass
class AdapterInfo:
    """What the runner records about an adapter (provenance and display)."""

    name: str
    model_id: str
    weights_sha256: str | None = None
    weights_path: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    # verified | unchecked | unverified (registry.bench.weights); None: no published weights (a recipe from the data)
    weights_status: str | None = None
    weights_note: str | None = None  # which file ran and why it has that status, for the CLI


class Adapter(ABC):
    """A model that predicts on a list of images. Subclasses set ``output_kind`` and ``classes``."""

    output_kind: str = "mask"
    classes: list[OutputClass]
    trainable: bool = False

    def __init__(self, info: AdapterInfo) -> None:
        self.info = info
        self.classes = []

    @abstractmethod
    def predict(self, images: Sequence[np.ndarray]) -> list[Prediction]:
        """Predictions for a batch of HxW or HxWx3 uint8 images, one per image, at each image's own size."""

    def fit(self, samples, seed: int = 0, progress=None) -> None:  # pragma: no cover - only trainable adapters
        raise NotImplementedError(f"{self.info.name} is not trainable")

    def check(self) -> list[dict[str, Any]]:
        """Registry-verification checks (weights load, output shape as declared); empty when not applicable."""
        return []

    def close(self) -> None:  # noqa: B027 - optional hook, most adapters hold nothing to release
        """Release sessions or devices."""


@dataclass
class PromptedMask:
    """A promptable model's answer to one prompt: a binary mask at the original image size and its score."""

    mask: np.ndarray
    score: float


class PromptableAdapter(Adapter):
    """A model that segments what a prompt (points or a box) points at (SAM and its fine-tunes)."""

    output_kind = "prompted-mask"

    @abstractmethod
    def predict_prompted(self, image: np.ndarray, prompts: Sequence[Any]) -> list[PromptedMask]:
        """One mask per prompt (``registry.bench.prompts.Prompt``), in prompt order, at the image's size."""

    def predict(self, images: Sequence[np.ndarray]) -> list[Prediction]:
        from ...errors import UsageError

        raise UsageError(
            f"{self.info.model_id} segments from prompts and has no prompt-free prediction",
            hint="run it with --protocol prompts-point or --protocol prompts-box",
        )
