"""CETUS (MICCAI 2014 challenge; Bernard et al., IEEE TMI 2016): 3-D echocardiography of 45 patients with a
left-ventricle mask at end-diastole and end-systole, as 2-D slices.

Layout (from torch-em's ``torch_em/data/datasets/medical/cetus.py``, which downloads the CREATIS release): the
warehouse's folder download (``CETUS.zip``) unpacks to ``dataset/patientNN/patientNN_{ED,ES}.nii.gz`` with the
manual reference ``patientNN_{ED,ES}_gt.nii.gz`` (left-ventricle lumen, foreground 255).

- Slicing: along the first axis of SimpleITK's array (the NIfTI's last axis, torch-em's slice axis). Of the slices
  that show the ventricle, ``slices`` (default 10) evenly spaced ones are converted per volume (0: all of them);
  sample id ``patientNN_<phase>_s<slice>``.
- Target ``lv``: 0 background, 1 left ventricle (any non-zero voxel of the reference).
- Subject = patient (both phases of a patient stay in one split). The release has no split folders: a seeded split
  grouped by patient is assigned.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from pydantic import Field

from ..base import CommonOptions, ConvertContext, Converter, Item, register
from ._volumes import MAX_SLICES, spread
from .microseg import _frames_and_annotated, _slices

FILE = re.compile(r"^(?P<patient>patient\d+)_(?P<phase>ED|ES)(?P<gt>_gt)?\.nii(?:\.gz)?$", re.IGNORECASE)


class CetusOptions(CommonOptions):
    slices: int = Field(10, ge=0, le=MAX_SLICES, description="Ventricle slices taken per volume (0: every one).")


@register
class Cetus(Converter):
    name = "cetus"
    summary = "dataset/patientNN/patientNN_{ED,ES}[_gt].nii.gz 3-D echo volumes with LV masks, sliced"
    Options = CetusOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        opts = ctx.options_as(CetusOptions)
        ctx.declare_target("lv", {0: "background", 1: "left ventricle"}, "CETUS reference (foreground 255)")
        ctx.split_note = "No split folders in the release: a seeded split grouped by patient is assigned."
        groups: dict[tuple[str, str], dict[str, Path]] = {}
        for f in ctx.files():
            m = FILE.match(f.name)
            if m:
                key = (m.group("patient").lower(), m.group("phase").upper())
                groups.setdefault(key, {})["gt" if m.group("gt") else "image"] = f
        for (patient, phase), files in sorted(groups.items()):
            sid = f"{patient}_{phase}"
            image, gt = files.get("image"), files.get("gt")
            if image is None:
                ctx.problem("missing_image", files["gt"], "a reference without its volume; ignored", sample_id=sid)
                continue
            if gt is None:
                ctx.problem("missing_mask", image, "no _gt reference for this volume; skipped", sample_id=sid)
                continue
            found = _frames_and_annotated(ctx, image, gt, sid)
            if found is None:
                continue
            depth, shown = found
            if not shown:
                ctx.problem("empty_mask", gt, "the reference is empty; skipped", "warning", sid)
                continue
            yield from _slices(
                ctx,
                image,
                gt,
                sid,
                "lv",
                spread(shown, opts.slices),
                True,
                subject_id=patient,
                extra={"phase": phase, "depth": depth},
            )
