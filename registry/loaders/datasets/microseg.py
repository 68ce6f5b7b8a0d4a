"""MicroSeg and MUP (NIfTI micro-ultrasound of the prostate), and the volume slicing that ACOUSLIC-AI reuses.

Each volume is read with SimpleITK; its array's first axis is the slice (or sweep frame) axis, and one sample is
written per slice, with the volume's case as ``subject_id`` (so the seeded or official split never separates slices
of one scan) and the slice index in ``frame``. No flips are applied: the array order is kept as SimpleITK reads it.

Layouts (sources cited in each entry's ``evidence``):

- ``microseg`` and ``mup`` (Zenodo 10475293, ``Micro_Ultrasound_Prostate_Segmentation_Dataset.zip``):
  ``{train,test}/micro_ultrasound_scans/microUS_{train,test}_NN.nii.gz`` with the expert mask
  ``{train,test}/expert_annotations/expert_annotation_{train,test}_NN.nii.gz`` (non-expert and student annotations are
  not used). Split = the folder. The slices showing prostate are converted (``frames: all`` for every slice), as
  UltraSam converts them and as the paper counts its 2,818 annotated slices; target ``prostate`` (non-zero is 1).
- ``acouslic-ai``: see ``acouslic_ai.py``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field

from ..base import CommonOptions, ConvertContext, Converter, Decode, Item, register
from ..decode import BadData, read_volume


@lru_cache(maxsize=1)
def _volume(path: str) -> np.ndarray:
    """The whole volume as an array (cached: a worker converts the slices of one volume one after another)."""
    arr = read_volume(path)
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim != 3:
        raise BadData("unreadable", f"expected a 3-D volume, got shape {arr.shape}")
    return arr


def volume_slice(path: str, frame: int) -> np.ndarray:
    """Slice ``frame`` of an image volume, as uint8 (wider types are scaled by the volume's range)."""
    arr = _volume(path)
    if not 0 <= frame < arr.shape[0]:
        raise BadData("unreadable", f"slice {frame} is outside the volume's {arr.shape[0]} slices")
    out = arr[frame]
    if out.dtype != np.uint8:
        lo, hi = float(arr.min()), float(arr.max())
        out = np.zeros(out.shape, np.uint8) if hi <= lo else ((out - lo) * (255.0 / (hi - lo))).astype(np.uint8)
    return out


def mask_slice(path: str, frame: int, binary: bool = False) -> np.ndarray:
    """Slice ``frame`` of a label volume: its values as class ids, or any non-zero voxel as 1 with ``binary``."""
    arr = _mask_volume(path)
    if not 0 <= frame < arr.shape[0]:
        raise BadData("unreadable", f"slice {frame} is outside the mask's {arr.shape[0]} slices")
    out = arr[frame]
    if binary:
        return (out > 0).astype(np.uint8)
    if out.size and (out.min() < 0 or out.max() > 254):
        raise BadData("off_palette", f"label values {int(out.min())}..{int(out.max())} are not class ids")
    return out.astype(np.uint8)


@lru_cache(maxsize=1)
def _mask_volume(path: str) -> np.ndarray:
    return _volume.__wrapped__(path)


def _shape(path: str) -> tuple[int, ...]:
    """The array shape (slices, rows, columns) of a volume, from its header only (the pixels are not read)."""
    try:
        import SimpleITK as sitk

        reader = sitk.ImageFileReader()
        reader.SetFileName(path)
        reader.ReadImageInformation()
        size = reader.GetSize()
    except (ImportError, RuntimeError) as exc:
        raise BadData("unreadable", f"cannot read the volume header: {str(exc).splitlines()[0][:200]}") from None
    return tuple(int(s) for s in reversed(size)) if len(size) == 3 else (1, *(int(s) for s in reversed(size)))


def _frames_and_annotated(ctx: ConvertContext, image: Path, mask: Path, sid: str) -> tuple[int, list[int]] | None:
    """(slice count, slices with a non-empty mask), or None (reported) when the two volumes disagree.

    Only the mask's pixels are read here; the image's shape comes from its header.
    """
    try:
        shape, lab = _shape(str(image)), _mask_volume(str(mask))
    except BadData as exc:
        ctx.problem(exc.kind, image, exc.message, sample_id=sid)
        return None
    if shape[:3] != lab.shape[:3]:
        ctx.problem("size_mismatch", mask, f"mask volume {lab.shape} differs from image volume {shape}", sample_id=sid)
        return None
    annotated = [int(i) for i in np.flatnonzero(lab.reshape(lab.shape[0], -1).any(axis=1))]
    return shape[0], annotated


def _slices(
    ctx: ConvertContext,
    image: Path,
    mask: Path,
    sid: str,
    target: str,
    frames: list[int],
    binary: bool,
    **fields,
) -> Iterator[Item]:
    for k in frames:
        yield Item(
            sample_id=f"{sid}_s{k:03d}",
            image=Decode(volume_slice, (str(image), k), source=ctx.rel(image)),
            source_file=ctx.rel(image),
            masks={target: Decode(mask_slice, (str(mask), k), {"binary": binary}, source=ctx.rel(mask))},
            frame=k,
            **fields,
        )


# --- MicroSeg / MUP ------------------------------------------------------------------------------------------------

MICRO_SCAN = re.compile(r"^microUS_(?P<set>train|test)_(?P<n>\d+)\.nii(\.gz)?$", re.IGNORECASE)


class MicroOptions(CommonOptions):
    frames: Literal["annotated", "all"] = Field("annotated", description="Slices with prostate, or every slice.")


class MicroSeg(Converter):
    name = "microseg"
    summary = "{train,test}/micro_ultrasound_scans/microUS_*.nii.gz with expert_annotations/expert_annotation_*.nii.gz"
    Options = MicroOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        opts = ctx.options_as(MicroOptions)
        ctx.declare_target("prostate", {0: "background", 1: "prostate"}, "expert annotation, any non-zero voxel")
        ctx.split_note = "Official split: the train/ and test/ folders of the Zenodo archive."
        scans = [
            (f, m) for f in ctx.files() if (m := MICRO_SCAN.match(f.name)) and f.parent.name == "micro_ultrasound_scans"
        ]
        if not scans:
            ctx.find_dir(lambda d: False, "micro_ultrasound_scans/microUS_{train,test}_NN.nii.gz")
        for scan, m in scans:
            split, n = m.group("set").lower(), m.group("n")
            sid = f"{split}_{n}"
            expert = scan.parent.parent / "expert_annotations"
            found = sorted(expert.glob(f"expert_annotation_{m.group('set')}_{n}.nii*")) if expert.is_dir() else []
            if not found:
                ctx.problem("missing_mask", scan, "no expert_annotations/ volume for this scan; skipped", sample_id=sid)
                continue
            shape = _frames_and_annotated(ctx, scan, found[0], sid)
            if shape is None:
                continue
            count, annotated = shape
            frames = list(range(count)) if opts.frames == "all" else annotated
            yield from _slices(ctx, scan, found[0], sid, "prostate", frames, True, split=split, subject_id=sid)


register(MicroSeg)


@register
class Mup(MicroSeg):
    name = "mup"
