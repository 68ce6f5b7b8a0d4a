"""Preprocessing driven by a model entry's input spec, and mapping predictions back to the original image size.

- **channels**: a colour image given to a 1-channel model becomes luminance (ITU-R 601, as PIL's "L"); a grey image
  given to a 3-channel model is repeated three times. Other channel counts are not supported.
- **size** [height, width]: bilinear resize (stretch, no letterbox). Without a size the image keeps its own.
- **normalization** (on 0..255 pixel values): ``none`` keeps 0..255; ``zero-one`` divides by 255;
  ``minus-one-one`` maps to [-1, 1]; ``imagenet`` is zero-one then the ImageNet mean/std (for one channel, their
  averages); ``mean-std`` uses the entry's mean/std, on the 0..1 scale when every mean is <= 1, else on 0..255;
  ``per-image`` subtracts the image's mean and divides by its standard deviation.
- Predictions: score maps are resized bilinearly to the original size, then arg-maxed or thresholded, so class
  boundaries stay smooth; label maps are resized with nearest neighbour. Boxes and points are scaled back.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from ..schema.model import InputSpec

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class Spec:
    """The input spec in the form the adapters use (built from ``registry.schema.model.InputSpec``)."""

    channels: int = 1
    size: tuple[int, int] | None = None
    normalization: str = "zero-one"
    mean: tuple[float, ...] | None = None
    std: tuple[float, ...] | None = None

    @classmethod
    def from_entry(cls, spec: InputSpec | None, default_channels: int = 1) -> Spec:
        if spec is None:
            return cls(channels=default_channels)
        size = (spec.size[-2], spec.size[-1]) if spec.size else None
        return cls(
            channels=spec.channels or default_channels,
            size=size,
            normalization=spec.normalization or "zero-one",
            mean=tuple(spec.mean) if spec.mean else None,
            std=tuple(spec.std) if spec.std else None,
        )


def to_channels(image: np.ndarray, channels: int) -> np.ndarray:
    """HxW or HxWxC uint8 -> HxWxchannels uint8."""
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[2] == 4:
        image = image[:, :, :3]
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if channels == 1:
        if image.ndim == 3:
            image = np.asarray(Image.fromarray(image.astype(np.uint8), "RGB").convert("L"))
        return image[:, :, None]
    if channels == 3:
        if image.ndim == 2:
            image = np.repeat(image[:, :, None], 3, axis=2)
        return image
    raise ValueError(f"models with {channels} input channels are not supported (only 1 or 3)")


def resize_image(image: np.ndarray, size: tuple[int, int] | None) -> np.ndarray:
    """Bilinear resize of HxWxC uint8 to [height, width]."""
    if size is None or tuple(image.shape[:2]) == tuple(size):
        return image
    h, w = size
    if image.shape[2] == 1:
        out = Image.fromarray(image[:, :, 0]).resize((w, h), Image.Resampling.BILINEAR)
        return np.asarray(out)[:, :, None]
    return np.asarray(Image.fromarray(image.astype(np.uint8)).resize((w, h), Image.Resampling.BILINEAR))


def normalize(image: np.ndarray, spec: Spec) -> np.ndarray:
    """HxWxC uint8 -> HxWxC float32 per the spec's normalization."""
    x = image.astype(np.float32)
    kind = spec.normalization
    if kind == "none":
        return x
    if kind == "zero-one":
        return x / 255.0
    if kind == "minus-one-one":
        return x / 127.5 - 1.0
    if kind == "per-image":
        return (x - x.mean()) / (x.std() + 1e-8)
    if kind == "imagenet":
        mean, std = np.array(IMAGENET_MEAN, np.float32), np.array(IMAGENET_STD, np.float32)
        if x.shape[2] == 1:
            mean, std = mean.mean(keepdims=True), std.mean(keepdims=True)
        return (x / 255.0 - mean) / std
    if kind == "mean-std":
        mean = np.array(spec.mean, np.float32)
        std = np.array(spec.std, np.float32)
        scale = 255.0 if np.all(mean <= 1.0) else 1.0
        if mean.size not in (1, x.shape[2]) or std.size not in (1, x.shape[2]):
            raise ValueError(f"mean/std have {mean.size}/{std.size} values for a {x.shape[2]}-channel input")
        return (x / scale - mean) / std
    raise ValueError(f"unknown normalization {kind!r}")


def prepare(image: np.ndarray, spec: Spec, layout: str = "nchw") -> np.ndarray:
    """One image -> a CxHxW (or HxWxC) float32 array ready for batching."""
    x = normalize(resize_image(to_channels(image, spec.channels), spec.size), spec)
    return np.ascontiguousarray(x.transpose(2, 0, 1) if layout == "nchw" else x)


def resize_scores(scores: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """CxhxW float score maps -> CxHxW, bilinear."""
    h, w = size
    if tuple(scores.shape[1:]) == (h, w):
        return scores
    return np.stack(
        [
            np.asarray(Image.fromarray(c.astype(np.float32), "F").resize((w, h), Image.Resampling.BILINEAR))
            for c in scores
        ]
    )


def resize_labels(labels: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    h, w = size
    if tuple(labels.shape) == (h, w):
        return labels.astype(np.uint8)
    return np.asarray(Image.fromarray(labels.astype(np.uint8)).resize((w, h), Image.Resampling.NEAREST))


def softmax(x: np.ndarray, axis: int = 0) -> np.ndarray:
    z = x - x.max(axis=axis, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def activate(x: np.ndarray, activation: str | None, axis: int = 0) -> np.ndarray:
    """Probabilities from raw outputs. ``activation`` names what the runner applies ("softmax", "sigmoid");
    "none" (or absent) means the outputs already are probabilities or scores."""
    if activation == "softmax":
        return softmax(x, axis=axis)
    if activation == "sigmoid":
        return sigmoid(x)
    if activation in (None, "none", ""):
        return x
    raise ValueError(f"unknown output activation {activation!r} (use softmax, sigmoid or none)")


def scores_to_labels(scores: np.ndarray, size: tuple[int, int], threshold: float = 0.5) -> np.ndarray:
    """CxhxW probabilities (or 1xhxW foreground probability) -> HxW uint8 label map at the original size."""
    scores = resize_scores(np.asarray(scores, dtype=np.float32), size)
    if scores.shape[0] == 1:
        return (scores[0] > threshold).astype(np.uint8)
    return scores.argmax(axis=0).astype(np.uint8)
