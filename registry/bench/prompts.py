"""Prompts for promptable segmentation (SAM-family models), derived from the ground-truth instances of a split.

The conventions follow UltraSam's evaluation (its ``configs/_base_/datasets/sam_dataset*.py`` and
``endosam/datasets/transforms/custom_pipeline.py``, summarised in docs/sources.md §3):

- one prompt per ground-truth instance, class-agnostic; an instance is an 8-connected component of one class in the
  label map (UltraSam's converters split masks with ``skimage.measure.label``, whose 2-D default is 8-connectivity);
- **point** (``prompts-point``): UltraSam takes the mean of the mask's pixel coordinates (``get_center_point=True``),
  which can fall outside a concave mask. usreg's default ``center`` keeps that point when it lies inside the instance
  and otherwise moves it to the instance pixel nearest to it, so a point prompt always lands on the object;
  ``centroid`` reproduces UltraSam exactly, and ``random`` draws seeded interior points;
- **box** (``prompts-box``): the tight box of the instance, ``(x_min, y_min, x_max + 1, y_max + 1)`` in pixels (the
  COCO ``bbox`` corners that UltraSam reads), with no jitter at test time (``max_jitter=0.0``); ``jitter`` adds seeded
  noise of up to that fraction of the box's width and height to each corner (UltraSam trains with 0.05);
- coordinates are in original-image pixels; the model adapter scales them to its input size.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

PROTOCOLS = ("prompts-point", "prompts-box")
POINT_MODES = ("center", "centroid", "random")


@dataclass(frozen=True)
class PromptSettings:
    """How prompts are made; stored in every result's provenance."""

    kind: str = "point"  # "point" or "box"
    point_mode: str = "center"
    points_per_instance: int = 1
    jitter: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        if self.kind not in ("point", "box"):
            raise ValueError(f"prompt kind must be 'point' or 'box', not {self.kind!r}")
        if self.point_mode not in POINT_MODES:
            raise ValueError(f"point mode must be one of {POINT_MODES}, not {self.point_mode!r}")
        if self.points_per_instance < 1:
            raise ValueError("points_per_instance must be at least 1")
        if not 0.0 <= self.jitter <= 0.5:
            raise ValueError("jitter must be between 0 and 0.5 (a fraction of the box size)")

    @classmethod
    def for_protocol(cls, protocol: str, **overrides: Any) -> PromptSettings:
        if protocol not in PROTOCOLS:
            raise ValueError(f"unknown protocol {protocol!r}; choose one of {', '.join(PROTOCOLS)}")
        return cls(kind=protocol.removeprefix("prompts-"), **overrides)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Prompt:
    """One instance's prompt: ``points`` (K, 2) as (x, y) with ``labels`` (K,) of 1 (positive), or a ``box``."""

    points: np.ndarray | None = None
    labels: np.ndarray | None = None
    box: tuple[float, float, float, float] | None = None


def tight_box(mask: np.ndarray) -> tuple[float, float, float, float]:
    """``(x_min, y_min, x_max + 1, y_max + 1)`` of a non-empty binary mask: the corners of its COCO ``bbox``."""
    ys, xs = np.nonzero(mask)
    if ys.size == 0:
        raise ValueError("an empty mask has no box")
    return float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1)


def centroid(mask: np.ndarray) -> tuple[float, float]:
    """The mean of the mask's pixel coordinates, as (x, y); UltraSam's point prompt."""
    ys, xs = np.nonzero(mask)
    return float(xs.mean()), float(ys.mean())


def center_point(mask: np.ndarray) -> tuple[float, float]:
    """The centroid when it lies on the mask, else the mask pixel nearest to it."""
    x, y = centroid(mask)
    xi, yi = round(x), round(y)
    h, w = mask.shape
    if 0 <= yi < h and 0 <= xi < w and mask[yi, xi]:
        return float(xi), float(yi)
    ys, xs = np.nonzero(mask)
    k = int(np.argmin((xs - x) ** 2 + (ys - y) ** 2))
    return float(xs[k]), float(ys[k])


def _jittered(box: tuple[float, float, float, float], jitter: float, rng: np.random.Generator, shape) -> tuple:
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    dx = rng.uniform(-jitter, jitter, 2) * w
    dy = rng.uniform(-jitter, jitter, 2) * h
    height, width = shape
    nx0, nx1 = np.clip([x0 + dx[0], x1 + dx[1]], 0, width)
    ny0, ny1 = np.clip([y0 + dy[0], y1 + dy[1]], 0, height)
    if nx1 <= nx0 or ny1 <= ny0:  # never turn a box inside out
        return box
    return float(nx0), float(ny0), float(nx1), float(ny1)


def make_prompt(mask: np.ndarray, settings: PromptSettings, rng: np.random.Generator) -> Prompt:
    """The prompt for one ground-truth instance (a non-empty binary mask)."""
    if settings.kind == "box":
        box = tight_box(mask)
        if settings.jitter > 0:
            box = _jittered(box, settings.jitter, rng, mask.shape)
        return Prompt(box=box)
    if settings.point_mode == "random":
        ys, xs = np.nonzero(mask)
        picks = rng.choice(ys.size, size=min(settings.points_per_instance, ys.size), replace=False)
        points = np.stack([xs[picks], ys[picks]], axis=1).astype(np.float64)
    else:
        first = centroid(mask) if settings.point_mode == "centroid" else center_point(mask)
        points = np.array([first], dtype=np.float64)
        if settings.points_per_instance > 1:  # more positives: seeded interior points besides the centre
            ys, xs = np.nonzero(mask)
            extra = rng.choice(ys.size, size=min(settings.points_per_instance - 1, ys.size), replace=False)
            points = np.concatenate([points, np.stack([xs[extra], ys[extra]], axis=1).astype(np.float64)])
    return Prompt(points=points, labels=np.ones(len(points), dtype=np.int64))


def sample_rng(settings: PromptSettings, sample_id: str) -> np.random.Generator:
    """A generator per sample, so that a sample's prompts do not depend on the order or the subset evaluated."""
    import hashlib

    digest = hashlib.sha256(f"{settings.seed}:{sample_id}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))
