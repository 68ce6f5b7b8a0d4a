"""ReMIND2Reg (Learn2Reg 2024): post-resection intraoperative brain ultrasound volumes paired with MRI, as 2-D slices.

Layout (from ultatron's ``data/adapters/remind2reg.py``, which reads the real download): an nnU-Net-style folder with
``imagesTr/<case>_<channel>.nii.gz``, where channel ``0000`` is the intraoperative ultrasound and the other channels
are MRI, and ``ReMIND2Reg_dataset.json`` whose ``training`` list names the images.

- Only the ultrasound channel (``_0000``) is converted: ``slices`` samples per volume (default 10), evenly spaced over
  10-90 % of the first axis of its array (see ``_volumes``). The MRI channels are not converted (left out on purpose,
  not counted as dropped).
- Subject = the case (file name before the channel); no split is given for the released cases: a seeded split by case.
"""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field

from ..base import CommonOptions, ConvertContext, Converter, Decode, Item, register
from ._volumes import MAX_SLICES, read_slice, slice_indices, volume_shape

US_SUFFIX = "_0000.nii.gz"


class Remind2RegOptions(CommonOptions):
    slices: int = Field(10, ge=1, le=MAX_SLICES, description="Slices taken from each ultrasound volume.")


@register
class Remind2Reg(Converter):
    name = "remind2reg"
    summary = "imagesTr/<case>_0000.nii.gz ultrasound volumes (nnU-Net layout), sliced"
    Options = Remind2RegOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        opts = ctx.options_as(Remind2RegOptions)
        root = ctx.find_dir(lambda d: (d / "imagesTr").is_dir(), "imagesTr/")
        ctx.split_note = "No split for the released cases: a seeded split grouped by case."
        volumes = sorted(p for p in (root / "imagesTr").iterdir() if p.name.endswith(US_SUFFIX))
        for p in (root / "imagesTr").iterdir():
            if p.is_file() and p.name.endswith(".nii.gz") and not p.name.endswith(US_SUFFIX):
                ctx.ignore_file(p, "an MRI channel of the case; only the ultrasound channel (_0000) is converted")
        if not volumes:
            ctx.problem("missing_image", root / "imagesTr", f"no ultrasound volume (*{US_SUFFIX})")
        for path in volumes:
            case = path.name[: -len(US_SUFFIX)]
            shape = volume_shape(str(path))
            if shape is None or len(shape) != 3:
                ctx.problem("unreadable", path, f"not a readable 3-D volume (shape {shape}); skipped")
                continue
            for k in slice_indices(shape[0], opts.slices):
                yield Item(
                    sample_id=f"{case}_{k:04d}",
                    image=Decode(read_slice, (str(path), k), source=ctx.rel(path)),
                    source_file=ctx.rel(path),
                    subject_id=case,
                    frame=k,
                    extra={"slice": k, "depth": shape[0]},
                )
