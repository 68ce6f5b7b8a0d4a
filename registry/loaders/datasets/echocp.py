"""EchoCP: contrast transthoracic echocardiography for patent foramen ovale (Wang et al., MICCAI 2021; Kaggle).

Layout of the Kaggle download: ``EchoCP_dataset/<idx>_<action>_image.nii.gz`` cine volumes (``action`` ``r`` rest,
``v`` Valsalva) with ``<idx>_<action>_label.nii.gz`` label volumes of the same stem, and
``echoCP_diagnosis_label.xlsx`` (PFO level per patient and action; not read by this loader).

Sampling: the frames with a non-empty label (``frames: all`` for every frame) along the first axis of the SimpleITK
array, one sample each (``<idx>_<action>_sNNN``, ``frame`` = index); no flips. Target ``chamber``: any non-zero label
is 1, as UltraSam's converter reads it. The patient (``idx``) is the subject, so rest and Valsalva clips of one patient
stay in one split of the seeded split.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Literal

from pydantic import Field

from ..base import CommonOptions, ConvertContext, Converter, Item, register
from .microseg import _frames_and_annotated, _slices

IMAGE = re.compile(r"^(?P<stem>(?P<patient>[^_]+)_(?P<action>[^_]+))_image\.nii(\.gz)?$", re.IGNORECASE)
ACTIONS = {"r": "rest", "v": "valsalva"}


class EchocpOptions(CommonOptions):
    frames: Literal["annotated", "all"] = Field("annotated", description="Labelled frames, or every frame.")


@register
class Echocp(Converter):
    name = "echocp"
    summary = "EchoCP_dataset/<idx>_<r|v>_image.nii.gz cine volumes with <idx>_<r|v>_label.nii.gz"
    Options = EchocpOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        opts = ctx.options_as(EchocpOptions)
        ctx.declare_target("chamber", {0: "background", 1: "chamber"}, "non-zero label voxels")
        ctx.split_note = "No official split: a seeded split grouped by patient is assigned."
        images = [(f, m) for f in ctx.files() if (m := IMAGE.match(f.name))]
        if not images:
            ctx.find_dir(lambda d: False, "EchoCP_dataset/*_image.nii.gz")
        for image, m in images:
            stem = m.group("stem")
            label = image.with_name(image.name.replace("_image.", "_label."))
            if not label.is_file():
                ctx.problem("missing_mask", image, "no _label volume of the same stem; skipped", sample_id=stem)
                continue
            shape = _frames_and_annotated(ctx, image, label, stem)
            if shape is None:
                continue
            count, annotated = shape
            frames = annotated if opts.frames == "annotated" else list(range(count))
            action = ACTIONS.get(m.group("action").lower(), m.group("action"))
            yield from _slices(
                ctx,
                image,
                label,
                stem,
                "chamber",
                frames,
                True,
                subject_id=m.group("patient"),
                extra={"action": action},
            )
