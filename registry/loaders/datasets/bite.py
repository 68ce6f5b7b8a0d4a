"""BITE, Brain Images of Tumors for Evaluation (Mercier et al. 2012): intraoperative brain ultrasound in MINC files.

Layout (from ultatron's ``data/adapters/bite.py``, which reads the real download): the four downloadable groups
unpacked side by side as ``group<G>/<subject>/``, each subject with ``2D/*.mnc`` (tracked 2-D ultrasound frames) and
``3D/US3DT.mnc`` (the reconstructed 3-D ultrasound volume), next to MRI, ``.tag`` landmark and transform files, which
are not converted.

- A 2-D frame (a MINC file one slice deep) is one sample; a 3-D volume gives ``slices`` samples (default 10), evenly
  spaced over 10-90 % of the first axis of its array (see ``_volumes``).
- Subject = ``group<G>_<subject>``: subjects are numbered within each group, and whether two groups hold the same
  patient is not stated in the layout.
- Files are read with SimpleITK, which reads MINC 2 (HDF5); a file it cannot read is reported and skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from pydantic import Field

from ..base import CommonOptions, ConvertContext, Converter, Decode, Item, register
from ._volumes import MAX_SLICES, read_slice, slice_indices, volume_shape

VOLUME = "US3DT.mnc"


class BiteOptions(CommonOptions):
    slices: int = Field(10, ge=1, le=MAX_SLICES, description="Slices taken from each 3-D ultrasound volume.")


def _is_group(d: Path) -> bool:
    return any(p.is_dir() and p.name.lower().startswith("group") for p in d.iterdir())


@register
class Bite(Converter):
    name = "bite"
    summary = "group<G>/<subject>/{2D/*.mnc, 3D/US3DT.mnc} MINC ultrasound (3-D volumes sliced)"
    Options = BiteOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        opts = ctx.options_as(BiteOptions)
        roots = ctx.find_dirs(_is_group)
        if not roots:
            roots = [ctx.find_dir(_is_group, "group<G>/ folders")]
        ctx.split_note = "No official split: a seeded split grouped by subject (group and subject folder)."
        root = roots[0]
        groups = sorted(p for p in root.iterdir() if p.is_dir() and p.name.lower().startswith("group"))
        for group in groups:
            for subject in sorted(p for p in group.iterdir() if p.is_dir()):
                sid = f"{group.name}_{subject.name}"
                files = sorted((subject / "2D").glob("*.mnc")) if (subject / "2D").is_dir() else []
                if (subject / "3D" / VOLUME).is_file():
                    files.append(subject / "3D" / VOLUME)
                for path in files:
                    shape = volume_shape(str(path))
                    if shape is None or len(shape) not in (2, 3):
                        ctx.problem("unreadable", path, "not a MINC image SimpleITK can read (MINC 1?); skipped")
                        continue
                    depth = shape[0] if len(shape) == 3 else 1
                    kind = "3d" if path.name == VOLUME else "2d"
                    picks = slice_indices(depth, opts.slices) if kind == "3d" else [depth // 2]
                    for k in picks:
                        name = f"{sid}_{path.parent.name}_{path.stem}" + (f"_{k:04d}" if kind == "3d" else "")
                        yield Item(
                            sample_id=name,
                            image=Decode(read_slice, (str(path), k), source=ctx.rel(path)),
                            source_file=ctx.rel(path),
                            subject_id=sid,
                            frame=k if kind == "3d" else None,
                            extra={"kind": kind, "slice": k, "depth": depth},
                        )
