"""PSFHS: pubic symphysis and fetal head segmentation in intrapartum transperineal ultrasound (Zenodo 10969427).

Layout (not in docs/sources.md; from UltraBench's processing code): ``image_mha/<n>.mha`` (3-channel images; the
channel axis may be stored first or last, both are handled) and ``label_mha/<n>.mha`` with the same names (0
background, 1 pubic symphysis, 2 fetal head), possibly under a wrapper folder (``PSFHS/``). 1,358 images from 1,124
participants, but no patient ids and no split ship with the data: a seeded random split is assigned, and patient
overlap between splits cannot be ruled out (recorded in the split note).
"""

from __future__ import annotations

from collections.abc import Iterator

from ..base import CommonOptions, ConvertContext, Converter, Item, register
from ..common import MaskSpec, image_decode, mask_decode

CLASSES = {0: "background", 1: "pubic symphysis", 2: "fetal head"}


@register
class Psfhs(Converter):
    name = "psfhs"
    summary = "image_mha/*.mha with label_mha/*.mha (0 background, 1 pubic symphysis, 2 fetal head)"
    Options = CommonOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        root = ctx.find_dir(lambda d: (d / "image_mha").is_dir(), "image_mha/")
        ctx.declare_target("psfh", CLASSES)
        ctx.split_note = (
            "No official split and no patient ids: a seeded random split; images of one participant "
            "may fall in different splits."
        )
        labels = {p.name: p for p in (root / "label_mha").glob("*.mha")} if (root / "label_mha").is_dir() else {}
        images = sorted((root / "image_mha").glob("*.mha"))
        spec = MaskSpec(encoding="index")
        for image in images:
            label = labels.get(image.name)
            if label is None:
                ctx.problem("missing_mask", image, "no label_mha file of this name; skipped", sample_id=image.stem)
                continue
            yield Item(
                sample_id=image.stem,
                image=image_decode(ctx, image),
                source_file=ctx.rel(image),
                masks={"psfh": mask_decode(ctx, label, spec, "psfh")},
            )
        names = {p.name for p in images}
        for name, label in sorted(labels.items()):
            if name not in names:
                ctx.problem("missing_image", label, "label without an image; ignored")
