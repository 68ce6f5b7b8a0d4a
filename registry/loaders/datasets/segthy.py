"""SegThy: tracked 3-D thyroid ultrasound of healthy volunteers (TUM CAMP, Krönke et al., PLOS ONE 2022).

Layout (healthy-volunteer release, ``US_volunteer_dataset/``): ``ground_truth_data/US/<volunteer>_<physician>_<scan>_
<lobe>_US.nii`` volumes with the thyroid label volume of the same name without ``_US`` in
``ground_truth_data/US_thyroid_label/``. Volunteer ids are the three leading digits (``001_P1_1_left_US.nii``).

Slicing: along the first axis of the SimpleITK array, one sample per slice that shows thyroid (``frames: all`` for
every slice), ``<volume>_sNNN`` with ``frame`` = slice index; no flips. Target ``thyroid`` keeps the label values as
class ids (1 = thyroid). The volunteer is the subject, so the seeded split keeps a volunteer's lobes and scans
together. Other volumes of the download (MRI) are not read by this loader.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Literal

from pydantic import Field

from ..base import CommonOptions, ConvertContext, Converter, Item, register
from .microseg import _frames_and_annotated, _slices

VOLUME = re.compile(r"^(?P<stem>(?P<volunteer>[^_]+)_.*?)_US\.nii(\.gz)?$", re.IGNORECASE)


class SegthyOptions(CommonOptions):
    frames: Literal["annotated", "all"] = Field("annotated", description="Slices with thyroid, or every slice.")


@register
class Segthy(Converter):
    name = "segthy"
    summary = "ground_truth_data/US/*_US.nii with ground_truth_data/US_thyroid_label/*.nii, sliced"
    Options = SegthyOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        opts = ctx.options_as(SegthyOptions)
        ctx.declare_target("thyroid", {0: "background", 1: "thyroid"}, "US thyroid label volumes")
        ctx.split_note = "No official split: a seeded split grouped by volunteer is assigned."
        volumes = [(f, m) for f in ctx.files() if f.parent.name == "US" and (m := VOLUME.match(f.name))]
        if not volumes:
            ctx.find_dir(lambda d: False, "ground_truth_data/US/*_US.nii")
        for volume, m in volumes:
            stem = m.group("stem")
            labels = volume.parent.parent / "US_thyroid_label"
            found = [
                p for p in (labels / f"{stem}.nii", labels / f"{stem}.nii.gz", labels / volume.name) if p.is_file()
            ]
            if not found:
                ctx.problem("missing_mask", volume, "no US_thyroid_label/ volume of this name; skipped", sample_id=stem)
                continue
            shape = _frames_and_annotated(ctx, volume, found[0], stem)
            if shape is None:
                continue
            count, annotated = shape
            frames = annotated if opts.frames == "annotated" else list(range(count))
            subject = m.group("volunteer")
            yield from _slices(
                ctx, volume, found[0], stem, "thyroid", frames, False, subject_id=subject, extra={"volume": stem}
            )
