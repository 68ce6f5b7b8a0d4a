"""BUSC (Iqbal and Sharif, 2023; Mendeley Data vckdnhtw26): lesion masks for the 250 Rodrigues breast ultrasound images.

Layout (SonanceAI/MEDSAM-2 at commit 086415d, ``scripts/download_data_US.sh`` and ``datasets/busc_vckdnhtw.py``, code
that downloaded and opened the real release): Mendeley's "Download all" archive ``vckdnhtw26-1.zip`` unpacks to
``BUSC Dataset/BUSC_Dataset/``; the segmentation pairs are ``BUSC_Dataset/Segmentation/images/*.png`` and
``BUSC_Dataset/Segmentation/masks/*.png``. MEDSAM-2 lists each folder, sorts the names, pairs them by position (it
asserts the two folders hold as many files) and takes mask pixels above 127 as lesion. This converter does the same:
where the two folders hold the same names, position and name give the same pairs; where the names differ, the mask's
name is kept in ``extra['mask_file']``. If the counts differ, position means nothing: only images with a mask of the
same name are kept and the rest is reported.

Target ``lesion`` (binary). The evidence shows no image-level benign/malignant label in these folders, no subject ids
and no split, so no label is given and a seeded split is assigned.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from pydantic import Field

from ..base import CommonOptions, ConvertContext, Converter, Item, register, safe_id
from ..common import MaskSpec, image_decode, mask_decode


class BuscOptions(CommonOptions):
    threshold: int = Field(127, ge=0, le=254, description="Mask pixels above this value are lesion (as MEDSAM-2).")


def _pngs(folder: Path) -> list[Path]:
    return sorted((p for p in folder.iterdir() if p.is_file() and p.suffix.lower() == ".png"), key=lambda p: p.name)


@register
class BuscMendeley(Converter):
    name = "busc-mendeley"
    summary = "BUSC_Dataset/Segmentation/images/*.png with masks/*.png, paired in sorted order (as MEDSAM-2 reads them)"
    Options = BuscOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        opts = ctx.options_as(BuscOptions)
        seg = ctx.find_dir(
            lambda d: (d / "images").is_dir() and (d / "masks").is_dir() and d.name.lower() == "segmentation",
            "BUSC_Dataset/Segmentation/ with images/ and masks/",
        )
        ctx.declare_target("lesion", {0: "background", 1: "lesion"}, "radiologist-assisted tumour outline")
        ctx.split_note = "No official split; a seeded split (the release has no subject ids)."
        spec = MaskSpec(encoding="binary", threshold=opts.threshold)
        images, masks = _pngs(seg / "images"), _pngs(seg / "masks")
        if len(images) == len(masks):
            pairs = list(zip(images, masks, strict=True))
        else:
            by_name = {m.name: m for m in masks}
            ctx.problem(
                "unpaired_files",
                seg,
                f"images/ holds {len(images)} PNGs and masks/ {len(masks)}: they cannot be paired in sorted order, "
                "so only images with a mask of the same name are kept",
            )
            pairs = [(i, by_name[i.name]) for i in images if i.name in by_name]
            paired = {m.name for _, m in pairs}
            for image in images:
                if image.name not in by_name:
                    ctx.problem("missing_mask", image, "no mask of the same name; skipped", sample_id=image.stem)
            for mask in masks:
                if mask.name not in paired:
                    ctx.problem("missing_image", mask, "mask without an image of the same name; ignored")
        for image, mask in pairs:
            sid = safe_id(image.stem)
            yield Item(
                sample_id=sid,
                image=image_decode(ctx, image),
                source_file=ctx.rel(image),
                masks={"lesion": mask_decode(ctx, mask, spec, "lesion")},
                extra={"mask_file": mask.name} if mask.name != image.name else {},
            )
