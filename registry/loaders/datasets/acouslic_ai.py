"""ACOUSLIC-AI blind-sweep obstetric ultrasound (Zenodo 12697994, ``acouslic-ai-train-set.zip``).

Layout: ``images/stacked_fetal_ultrasound/<uuid>.mha`` (840 frames: six sweeps stacked) with
``masks/stacked_fetal_abdomen/<uuid>.mha`` (1 = abdomen on an optimal frame, 2 = on a suboptimal frame) and
``circumferences/fetal_abdominal_circumferences_per_sweep.csv`` (``uuid``, ``subject_id``, ``sweep_N_ac_mm``).

Frames are the first axis of the SimpleITK array (no flips). Only annotated frames are converted by default
(``frames: all`` converts every frame); ``frame`` keeps the index in the stack. The subject is the CSV's
``subject_id`` (several sweeps share one), else the uuid; the AC values go to ``extra``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from pydantic import Field

from ..base import CommonOptions, ConvertContext, Converter, Item, register
from ..generic_csv import read_csv_rows
from .microseg import _frames_and_annotated, _slices


class AcouslicOptions(CommonOptions):
    frames: Literal["annotated", "all"] = Field("annotated", description="Frames with an abdomen mask, or all 840.")


@register
class Acouslic(Converter):
    name = "acouslic-ai"
    summary = "images/stacked_fetal_ultrasound/<uuid>.mha with masks/stacked_fetal_abdomen/<uuid>.mha and the AC CSV"
    Options = AcouslicOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        opts = ctx.options_as(AcouslicOptions)
        ctx.declare_target(
            "abdomen",
            {0: "background", 1: "fetal abdomen (optimal frame)", 2: "fetal abdomen (suboptimal frame)"},
            "stacked fetal abdomen masks: 1 optimal, 2 suboptimal for AC measurement",
        )
        ctx.split_note = "Only the public training set is distributed: a seeded split grouped by subject is assigned."
        subjects: dict[str, dict[str, str]] = {}
        for f in ctx.files():
            if f.name.lower() == "fetal_abdominal_circumferences_per_sweep.csv":
                for csv_row in read_csv_rows(ctx, f):
                    if csv_row.get("uuid"):
                        subjects[csv_row["uuid"]] = csv_row
        images = [f for f in ctx.files() if f.suffix.lower() == ".mha" and f.parent.name == "stacked_fetal_ultrasound"]
        if not images:
            ctx.find_dir(lambda d: False, "images/stacked_fetal_ultrasound/*.mha")
        for image in images:
            uuid = image.stem
            mask = image.parent.parent.parent / "masks" / "stacked_fetal_abdomen" / image.name
            if not mask.is_file():
                ctx.problem(
                    "missing_mask", image, "no masks/stacked_fetal_abdomen/ file for this sweep", sample_id=uuid
                )
                continue
            shape = _frames_and_annotated(ctx, image, mask, uuid)
            if shape is None:
                continue
            count, annotated = shape
            row = subjects.get(uuid)
            if subjects and row is None:
                ctx.problem(
                    "missing_annotation", image, "not in the circumferences CSV", severity="warning", sample_id=uuid
                )
            extra: dict[str, object] = {"uuid": uuid}
            for key, value in (row or {}).items():
                if key.startswith("sweep_") and value:
                    try:
                        extra[key] = float(value)
                    except ValueError:
                        ctx.problem("annotation_unreadable", image, f"{key} = {value!r} is not a number", "warning")
            subject = (row or {}).get("subject_id") or uuid
            frames = annotated if opts.frames == "annotated" else list(range(count))
            yield from _slices(ctx, image, mask, uuid, "abdomen", frames, False, subject_id=subject, extra=extra)
