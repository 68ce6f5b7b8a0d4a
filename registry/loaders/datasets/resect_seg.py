"""RESECT-SEG (Behboodi et al., Med Phys 2024): tumour, resection-cavity, sulci and falx annotations of the RESECT
intra-operative 3-D ultrasound volumes, as 2-D slices.

Layout (from torch-em's ``torch_em/data/datasets/medical/resect.py``, which downloads both parts): the annotations
come as one OSF archive whose ``Case<N>/`` folders hold ``Case<N>-US-<phase>-<structure>.nii.gz`` (phase ``before``,
``during`` or ``after``; structure ``tumor`` (before), ``resection`` (during, after), ``sulci`` (all phases) or
``falx`` (some cases)) and ``Case<N>-FLAIR-tumor.nii.gz`` (MRI); the image volumes are RESECT's own
``NIFTI/Case<N>/US/Case<N>-US-<phase>.nii.gz``, downloaded apart, on the same voxel grid. Both parts are expected in
the source tree (``--from-file`` a folder holding both).

- Each ultrasound volume with at least one annotation gives ``slices`` samples (default 10): of the slices where any
  of its structures is annotated, evenly spaced ones (0: all of them); sample id ``Case<N>-US-<phase>_s<slice>``.
- One binary target per structure (0 background, 1 the structure); a sample has the targets its phase annotates.
- Subject = case (a seeded split grouped by case: no split is published). MRI volumes and labels are not converted.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

import numpy as np
from pydantic import Field

from ..base import CommonOptions, ConvertContext, Converter, Decode, Item, register
from ..decode import BadData, read_volume
from ._volumes import MAX_SLICES, spread
from .microseg import _shape, volume_slice

IMAGE = re.compile(r"^(?P<case>Case\d+)-US-(?P<phase>before|during|after)\.nii(?:\.gz)?$", re.IGNORECASE)
LABEL = re.compile(
    r"^(?P<case>Case\d+)-US-(?P<phase>before|during|after)-(?P<structure>tumor|resection|sulci|falx)\.nii(?:\.gz)?$",
    re.IGNORECASE,
)
MRI = re.compile(r"^Case\d+-(?:FLAIR|T1)", re.IGNORECASE)
STRUCTURES = {"tumor": "tumor", "resection": "resection cavity", "sulci": "sulci", "falx": "falx"}


class ResectSegOptions(CommonOptions):
    slices: int = Field(10, ge=0, le=MAX_SLICES, description="Annotated slices taken per volume (0: every one).")


@lru_cache(maxsize=4)
def _labels(path: str) -> np.ndarray:
    """A label volume as a boolean array (any non-zero voxel is the structure); the last four are kept."""
    arr = read_volume(path, "label volume")
    if arr.ndim != 3:
        raise BadData("unreadable", f"expected a 3-D label volume, found shape {arr.shape}")
    return arr != 0


def structure_slice(path: str, index: int) -> np.ndarray:
    """Slice ``index`` of a binary label volume as 0/1."""
    arr = _labels(path)
    if not 0 <= index < arr.shape[0]:
        raise BadData("unreadable", f"slice {index} is outside the label volume's {arr.shape[0]} slices")
    return arr[index].astype(np.uint8)


@register
class ResectSeg(Converter):
    name = "resect-seg"
    summary = "Case<N>/Case<N>-US-<phase>-<structure>.nii.gz labels with RESECT's Case<N>-US-<phase>.nii.gz, sliced"
    Options = ResectSegOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        opts = ctx.options_as(ResectSegOptions)
        for structure, name in STRUCTURES.items():
            ctx.declare_target(structure, {0: "background", 1: name}, f"RESECT-SEG {name} (binary)")
        ctx.split_note = "No published split: a seeded split grouped by case (all slices of a patient together)."
        images: dict[tuple[str, str], list[Path]] = defaultdict(list)
        labels: dict[tuple[str, str], dict[str, list[Path]]] = defaultdict(lambda: defaultdict(list))
        for f in ctx.files():
            m = LABEL.match(f.name)
            if m:
                key = (m.group("case").capitalize(), m.group("phase").lower())
                labels[key][m.group("structure").lower()].append(f)
                continue
            m = IMAGE.match(f.name)
            if m:
                images[(m.group("case").capitalize(), m.group("phase").lower())].append(f)
            elif MRI.match(f.name) or "/MRI/" in f"/{ctx.rel(f)}":
                ctx.ignore_file(f, "MRI volumes and their labels are not converted (ultrasound only)")
        if not labels:
            ctx.find_dir(lambda d: False, "RESECT-SEG label volumes (Case<N>/Case<N>-US-<phase>-<structure>.nii.gz)")
        for key in sorted(set(images) | set(labels), key=lambda k: (int(k[0][4:]), k[1])):
            yield from self._volume(ctx, opts, key, images.get(key, []), labels.get(key, {}))

    def _volume(
        self,
        ctx: ConvertContext,
        opts: ResectSegOptions,
        key: tuple[str, str],
        found: list[Path],
        structures: dict[str, list[Path]],
    ) -> Iterator[Item]:
        case, phase = key
        sid = f"{case}-US-{phase}"
        if not structures:
            for f in found:
                ctx.ignore_file(f, "no RESECT-SEG annotation for this volume")
            return
        if len(found) != 1 or any(len(v) != 1 for v in structures.values()):
            where = found[0] if found else next(iter(structures.values()))[0]
            what = "no image volume" if not found else "more than one copy of the image or of a label volume"
            kind = "missing_image" if not found else "ambiguous_pair"
            ctx.problem(kind, where, f"{sid}: {what}; skipped", sample_id=sid)
            return
        image = found[0]
        paths = {s: v[0] for s, v in sorted(structures.items())}
        try:
            shape = _shape(str(image))
            volumes = {s: _labels(str(p)) for s, p in paths.items()}
        except BadData as exc:
            ctx.problem(exc.kind, image, exc.message, sample_id=sid)
            return
        bad = [s for s, v in volumes.items() if v.shape != tuple(shape[:3])]
        if bad:
            ctx.problem(
                "size_mismatch",
                paths[bad[0]],
                f"label volume {volumes[bad[0]].shape} differs from the image volume {shape}; {sid} skipped",
                sample_id=sid,
            )
            return
        annotated = np.zeros(shape[0], bool)
        for v in volumes.values():
            annotated |= v.reshape(v.shape[0], -1).any(axis=1)
        shown = [int(k) for k in np.flatnonzero(annotated)]
        if not shown:
            ctx.problem("empty_mask", image, f"{sid}: every label volume is empty; skipped", "warning", sid)
            return
        for k in spread(shown, opts.slices):
            yield Item(
                sample_id=f"{sid}_s{k:03d}",
                image=Decode(volume_slice, (str(image), k), source=ctx.rel(image)),
                source_file=ctx.rel(image),
                masks={s: Decode(structure_slice, (str(p), k), source=ctx.rel(p)) for s, p in paths.items()},
                subject_id=case,
                frame=k,
                extra={"phase": phase, "slice": k, "depth": shape[0]},
            )
