"""CardiacUDC: multi-site apical 4-chamber echocardiography with sparse and dense chamber labels (Kaggle).

The Kaggle upload is a multi-part zip (``cardiacUDC_dataset.change2zip``, ``.z01`` ...) that must be joined and
extracted by hand (``zip -s 0 ... --out combined.zip``); pass the extracted folder with ``--from-file``. Layout of
that folder (as ultatron's adapter and UltraSam's converter read it): ``cardiacUDC_dataset/<Site_X_N>/
patient<id>-4_image.nii.gz`` cine volumes with ``patient<id>-4_label.nii.gz`` label volumes, and
``label_all_frame/`` holding ``normal-<id>-4_image.nii.gz`` / ``patient-<id>-4_image.nii.gz`` volumes labelled on
every frame.

Sampling: the labelled frames of each volume (``frames: all`` for every frame) along the first SimpleITK axis, one
sample per frame (``<folder>_<name>_sNNN``, ``frame`` = index); no flips. Target ``heart`` keeps the label values
with UltraSam's category names (1 left ventricle, 2 left atrium, 3 right atrium, 4 right ventricle, 5 epicardium,
6 UltraSam's ``left_ventricle2``). The subject is the folder and the name without its view number (``patient1`` of
``patient1-4``, ``normal-3`` of ``normal-3-4``): site and patient. Volumes in ``label_all_frame/`` get the image label
``normal`` or ``patient`` from the name's first word.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Literal

from pydantic import Field

from ..base import CommonOptions, ConvertContext, Converter, Item, register
from .microseg import _frames_and_annotated, _slices

IMAGE = re.compile(r"^(?P<stem>(?P<patient>.+?)(?:-(?P<view>\d+))?)_image\.nii(\.gz)?$", re.IGNORECASE)
CLASSES = {
    0: "background",
    1: "left ventricle",
    2: "left atrium",
    3: "right atrium",
    4: "right ventricle",
    5: "epicardium",
    6: "left ventricle 2 (UltraSam's left_ventricle2)",
}


class CardiacUdcOptions(CommonOptions):
    frames: Literal["annotated", "all"] = Field("annotated", description="Labelled frames, or every frame.")


@register
class CardiacUdc(Converter):
    name = "cardiacudc"
    summary = "cardiacUDC_dataset/<site>/*_image.nii.gz with *_label.nii.gz cine volumes (labelled frames)"
    Options = CardiacUdcOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        opts = ctx.options_as(CardiacUdcOptions)
        ctx.declare_target("heart", CLASSES, "label values with UltraSam's category names")
        ctx.declare_labels(["normal", "patient"])
        ctx.split_note = "No official split: a seeded split grouped by site and patient is assigned."
        images = [(f, m) for f in ctx.files() if (m := IMAGE.match(f.name))]
        if not images:
            ctx.find_dir(lambda d: False, "cardiacUDC_dataset/<site>/*_image.nii.gz")
        for image, m in images:
            folder = image.parent.name
            sid = f"{folder}_{m.group('stem')}"
            label = image.with_name(image.name.replace("_image.", "_label."))
            if not label.is_file():
                ctx.problem("missing_mask", image, "no _label volume of the same name; skipped", sample_id=sid)
                continue
            shape = _frames_and_annotated(ctx, image, label, sid)
            if shape is None:
                continue
            count, annotated = shape
            frames = annotated if opts.frames == "annotated" else list(range(count))
            kind = m.group("patient").split("-")[0].lower()
            yield from _slices(
                ctx,
                image,
                label,
                sid,
                "heart",
                frames,
                False,
                subject_id=f"{folder}_{m.group('patient')}",
                label=kind if folder == "label_all_frame" and kind in ("normal", "patient") else None,
            )
