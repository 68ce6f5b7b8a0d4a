"""RESECT (Xiao et al. 2017): intraoperative 3-D ultrasound of 23 low-grade glioma resections, as 2-D slices.

Layout (from ultatron's ``data/adapters/resect.py``, which reads the real download): ``RESECT/NIFTI/Case<N>/US/
Case<N>-US-<stage>.nii.gz`` with ``<stage>`` one of ``before``, ``during``, ``after`` (resection), next to MRI volumes
(``Case<N>/MRI/``) and landmark files, which are not converted (the MRI volumes are left out on purpose, not counted
as dropped).

- Each ultrasound volume gives ``slices`` samples (default 10): slices along the first axis of its array, evenly
  spaced over 10-90 % of the depth (see ``_volumes``); sample id ``Case<N>-US-<stage>_<slice>``.
- Subject = case, so all slices of a patient's volumes stay in one split (a seeded split: the release has none).
- The resection stage, the slice index and the volume's depth go to ``extra``; there are no labels or masks.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pydantic import Field

from ..base import CommonOptions, ConvertContext, Converter, Decode, Item, register
from ._volumes import MAX_SLICES, read_slice, slice_indices, volume_shape

NIFTI = (".nii", ".nii.gz")
FILE = re.compile(r"^(?P<case>Case\d+)-US-(?P<stage>[A-Za-z]+)\.nii(?:\.gz)?$", re.IGNORECASE)


class ResectOptions(CommonOptions):
    slices: int = Field(10, ge=1, le=MAX_SLICES, description="Slices taken from each ultrasound volume.")
    ignore: list[str] = Field(
        default_factory=lambda: ["NIFTI/*/MRI/*"], description="The MRI volumes (T1, FLAIR) are not converted."
    )


@register
class Resect(Converter):
    name = "resect"
    summary = "NIFTI/Case<N>/US/Case<N>-US-{before,during,after}.nii.gz volumes, sliced"
    Options = ResectOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        opts = ctx.options_as(ResectOptions)
        root = ctx.find_dir(lambda d: (d / "NIFTI").is_dir(), "NIFTI/ (with Case<N>/US/ volumes)")
        ctx.split_note = "No official split: a seeded split grouped by case (all slices of a patient together)."
        volumes = sorted(  # not the .nii.gz.md5 checksum files the release keeps beside each volume
            p for p in (root / "NIFTI").glob("Case*/US/*.nii*") if p.is_file() and p.name.lower().endswith(NIFTI)
        )
        if not volumes:
            ctx.problem("missing_image", root / "NIFTI", "no Case<N>/US/*.nii.gz ultrasound volume")
        for path in volumes:
            m = FILE.match(path.name)
            if m is None or path.parent.parent.name != m.group("case"):
                ctx.problem(
                    "unexpected_file", path, "not a Case<N>-US-<stage>.nii.gz volume of its case; ignored", "warning"
                )
                continue
            shape = volume_shape(str(path))
            if shape is None or len(shape) != 3:
                ctx.problem("unreadable", path, f"not a readable 3-D volume (shape {shape}); skipped")
                continue
            stem = path.name.split(".", 1)[0]
            for k in slice_indices(shape[0], opts.slices):
                yield Item(
                    sample_id=f"{stem}_{k:04d}",
                    image=Decode(read_slice, (str(path), k), source=ctx.rel(path)),
                    source_file=ctx.rel(path),
                    subject_id=m.group("case"),
                    frame=k,
                    extra={"stage": m.group("stage").lower(), "slice": k, "depth": shape[0]},
                )
