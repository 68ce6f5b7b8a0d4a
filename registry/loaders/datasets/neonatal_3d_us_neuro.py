"""Dataset of 3D ultrasound neuroimages (Zenodo 14917169): brain ultrasound volumes in NRRD files, as 2-D slices.

Layout (from ultatron's ``data/adapters/brain_3d_us_neuroimages.py``, which reads the real download, and the compiled
table's "3D ultrasound volumes (NRRD)"): ``*.nrrd`` volumes side by side, the file name starting with a study id
(``<study>_<rest>.nrrd``). The volumes are unlabelled.

- Each volume gives ``slices`` samples (default 10): slices along the first axis of its array, evenly spaced over
  10-90 % of the depth (see ``_volumes``); sample id ``<file stem>_<slice>``.
- Subject = the file name before its first ``_`` (ultatron's study id), so a study's volumes stay in one split
  (seeded: none is published).
"""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field

from ..base import CommonOptions, ConvertContext, Converter, Decode, Item, register
from ._volumes import MAX_SLICES, read_slice, slice_indices, volume_shape


class NeuroOptions(CommonOptions):
    slices: int = Field(10, ge=1, le=MAX_SLICES, description="Slices taken from each volume.")


@register
class Neonatal3dUsNeuro(Converter):
    name = "neonatal-3d-us-neuro"
    summary = "<study>_*.nrrd brain ultrasound volumes, sliced"
    Options = NeuroOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        opts = ctx.options_as(NeuroOptions)
        ctx.split_note = "No published split: a seeded split grouped by study (file name before its first '_')."
        volumes = [f for f in ctx.files() if f.suffix.lower() == ".nrrd"]
        if not volumes:
            ctx.problem("missing_image", ctx.source_dir, "no .nrrd volume in the download")
        for path in volumes:
            shape = volume_shape(str(path))
            if shape is None or len(shape) != 3:
                ctx.problem("unreadable", path, f"not a readable 3-D volume (shape {shape}); skipped")
                continue
            stem = path.name[: -len(".nrrd")]
            for k in slice_indices(shape[0], opts.slices):
                yield Item(
                    sample_id=f"{stem}_{k:04d}",
                    image=Decode(read_slice, (str(path), k), source=ctx.rel(path)),
                    source_file=ctx.rel(path),
                    subject_id=stem.split("_", 1)[0],
                    frame=k,
                    extra={"slice": k, "depth": shape[0]},
                )
