"""µ-RegPro: MR to transrectal ultrasound registration for prostate (MICCAI 2023 challenge; Zenodo 7870104).

Layout (as the challenge's baseline data generator and UltraSam's converter read it): each split folder (``train``,
``val``; shipped as ``train.zip`` and ``val.zip``) holds ``us_images/<case>.nii.gz`` TRUS volumes with
``us_labels/<case>.nii.gz`` label volumes of the same name, plus ``mr_images/`` and ``mr_labels/`` (MR, not read by
this ultrasound loader). A label volume is 4-D: six binary label channels (the gland and landmarks) on the image grid;
SimpleITK reads it as (channel, z, y, x).

Slicing: along the last array axis (x), the parasagittal direction in which UltraSam slices the TRUS volumes; one
sample per slice where any label channel is set (``frames: all`` for every slice), ``<split>_<case>_sNNN`` with
``frame`` = slice index; no flips. Each label channel is its own binary target (``label_0`` ... ``label_5``), since
channels overlap. The case (with its split) is the subject; the split is the folder's.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Literal

import numpy as np
from pydantic import Field

from ..base import CommonOptions, ConvertContext, Converter, Decode, Item, register
from ..common import canonical_split
from ..decode import BadData, read_volume
from .microseg import _volume

CHANNELS = 6


@lru_cache(maxsize=1)
def _labels(path: str) -> np.ndarray:
    arr = read_volume(path, "label volume")
    if arr.ndim == 3:
        arr = arr[None]
    if arr.ndim != 4:
        raise BadData("unreadable", f"expected a 4-D label volume (channel, z, y, x), got shape {arr.shape}")
    return arr


def x_slice(path: str, k: int) -> np.ndarray:
    """Slice ``k`` along the last axis of an image volume (z, y, x), as uint8 scaled by the volume's range."""
    arr = _volume(path)
    if not 0 <= k < arr.shape[-1]:
        raise BadData("unreadable", f"slice {k} is outside the volume's {arr.shape[-1]} slices")
    out = arr[:, :, k]
    if out.dtype != np.uint8:
        lo, hi = float(arr.min()), float(arr.max())
        out = np.zeros(out.shape, np.uint8) if hi <= lo else ((out - lo) * (255.0 / (hi - lo))).astype(np.uint8)
    return out


def label_x_slice(path: str, channel: int, k: int) -> np.ndarray:
    arr = _labels(path)
    if channel >= arr.shape[0] or not 0 <= k < arr.shape[-1]:
        raise BadData("unreadable", f"label channel {channel}, slice {k} is outside the volume {arr.shape}")
    return (arr[channel, :, :, k] != 0).astype(np.uint8)


class MuRegProOptions(CommonOptions):
    frames: Literal["annotated", "all"] = Field("annotated", description="Slices with a label, or every slice.")
    ignore: list[str] = Field(
        default_factory=lambda: ["mr_images/*", "mr_labels/*"], description="The MR volumes are not converted."
    )


@register
class MuRegPro(Converter):
    name = "mu-regpro"
    summary = "<split>/us_images/<case>.nii.gz with 6-channel <split>/us_labels/<case>.nii.gz, sliced along x"
    Options = MuRegProOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        opts = ctx.options_as(MuRegProOptions)
        for c in range(CHANNELS):
            ctx.declare_target(f"label_{c}", {0: "background", 1: f"label channel {c}"}, f"us_labels channel {c}")
        ctx.split_note = "Official split: the train/ and val/ folders (the test labels are not public)."
        images = [
            f for f in ctx.files() if f.parent.name == "us_images" and f.name.lower().endswith((".nii.gz", ".nii"))
        ]
        if not images:
            ctx.find_dir(lambda d: False, "us_images/*.nii.gz")
        for image in images:
            case = image.name.split(".")[0]
            split = next(
                (canonical_split(p.name) for p in image.parents if p.name.lower() in ("train", "val", "test")), None
            )
            sid = f"{split}_{case}" if split else case
            label = image.parent.parent / "us_labels" / image.name
            if not label.is_file():
                ctx.problem("missing_mask", image, "no us_labels/ volume of the same name; skipped", sample_id=sid)
                continue
            try:
                img, lab = _volume(str(image)), _labels(str(label))
            except BadData as exc:
                ctx.problem(exc.kind, image, exc.message, sample_id=sid)
                continue
            if lab.shape[1:] != img.shape or lab.shape[0] > CHANNELS:
                ctx.problem(
                    "size_mismatch", label, f"labels {lab.shape} do not fit the image {img.shape}", sample_id=sid
                )
                continue
            if opts.frames == "all":
                frames = list(range(img.shape[-1]))
            else:
                frames = [int(k) for k in np.flatnonzero(lab.reshape(-1, lab.shape[-1]).any(axis=0))]
            for k in frames:
                yield Item(
                    sample_id=f"{sid}_s{k:03d}",
                    image=Decode(x_slice, (str(image), k), source=ctx.rel(image)),
                    source_file=ctx.rel(image),
                    masks={
                        f"label_{c}": Decode(label_x_slice, (str(label), c, k), source=ctx.rel(label))
                        for c in range(lab.shape[0])
                    },
                    split=split,
                    subject_id=sid,
                    frame=k,
                )
