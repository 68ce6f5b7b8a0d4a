"""BUS_UC breast ultrasound (Mendeley Data 3ksd7w7jkx, v1): 811 images with tumour masks, benign and malignant.

Layout of the download (``BUS_UC/``): ``Benign/images/<n>.png`` with ``Benign/masks/<n>.png``, the same for
``Malignant/``, and an ``All/`` folder holding the union of the two again (``All/images``, ``All/masks``). The class
folders are read; ``All/`` is left out (on purpose: it would duplicate every sample), which a generic folder pattern
cannot express.

Target ``tumour``: a benign image's mask is 1 (benign tumour), a malignant image's mask 2 (malignant tumour), as
UltraSam's converter labels them; the mask is binarised at 127. The class folder is also the image label. No split
and no subject ids are published: a seeded split is assigned.
"""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field

from ..base import CommonOptions, ConvertContext, Converter, Decode, Item, register
from ..common import image_decode
from ..decode import mask_binary

CLASSES = {"benign": 1, "malignant": 2}


class BusUcOptions(CommonOptions):
    ignore: list[str] = Field(
        default_factory=lambda: ["All/images/*", "All/masks/*"],
        description="The All/ folder repeats the Benign/ and Malignant/ samples.",
    )
    threshold: int = Field(127, ge=0, le=254, description="Mask pixels above this value are tumour.")


@register
class BusUc(Converter):
    name = "bus-uc"
    summary = "{Benign,Malignant}/images/*.png with {Benign,Malignant}/masks/*.png (All/ duplicates left out)"
    Options = BusUcOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        opts = ctx.options_as(BusUcOptions)
        ctx.declare_target("tumour", {0: "background", 1: "benign tumour", 2: "malignant tumour"}, "by class folder")
        ctx.declare_labels(list(CLASSES))
        folders = ctx.find_dirs(lambda d: d.name.lower() in CLASSES and (d / "images").is_dir())
        if not folders:
            ctx.find_dir(lambda d: False, "Benign/images and Malignant/images")
        for folder in folders:
            label = folder.name.lower()
            for image in sorted(p for p in (folder / "images").iterdir() if p.suffix.lower() == ".png"):
                sid = f"{label}_{image.stem}"
                mask = folder / "masks" / image.name
                if not mask.is_file():
                    ctx.problem("missing_mask", image, "no masks/ file of the same name; skipped", sample_id=sid)
                    continue
                yield Item(
                    sample_id=sid,
                    image=image_decode(ctx, image),
                    source_file=ctx.rel(image),
                    masks={
                        "tumour": Decode(
                            mask_binary,
                            ((str(mask),),),
                            {"threshold": opts.threshold, "value": CLASSES[label]},
                            source=ctx.rel(mask),
                        )
                    },
                    label=label,
                )
