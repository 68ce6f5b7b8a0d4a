"""Ar-PlaqSegm1 carotid plaque B-mode database (Mendeley Data 8srkpz52dy, version 1).

Layout (docs/sources.md §1, from torch-em's loader): a flat list of PNG files, images ``<id>.png`` and binary masks
``<id>_labeled.png``, no archive and no split. Quirks handled:

- one image is named ``"544 .png"`` (a space before the extension) while its mask is ``544_labeled.png``: ids are
  stripped of whitespace before pairing;
- some masks are RGB with the binary mask in all three channels: channels are collapsed (any channel > 0);
- the mask foreground value (1 or 255) is not documented: foreground is any value > 0;
- 201 plaque-free images have all-zero masks and are kept (empty masks, reported by ``empty_mask_fraction``).

The files may sit at the top of the download or in any sub-folder (torch-em keeps them in ``images/``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ..base import CommonOptions, ConvertContext, Converter, Item, register
from ..common import MaskSpec, image_decode, mask_decode

MASK_SUFFIX = "_labeled"


def natural_key(text: str) -> tuple:
    return (0, int(text), "") if text.isdigit() else (1, 0, text)


@register
class CarotidPlaque(Converter):
    name = "carotid-plaque"
    summary = "flat <id>.png images with <id>_labeled.png binary plaque masks (Ar-PlaqSegm1)"
    Options = CommonOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        ctx.declare_target("plaque", {0: "background", 1: "plaque"}, "plaque masks (empty for plaque-free images)")
        ctx.split_note = "The record ships no split; a seeded random split is assigned (no subject ids)."
        images: dict[str, Path] = {}
        masks: dict[str, Path] = {}
        for f in ctx.files():
            if f.suffix.lower() != ".png":
                continue
            stem = f.name[: -len(f.suffix)]
            is_mask = stem.rstrip().endswith(MASK_SUFFIX)
            key = stem.rstrip()[: -len(MASK_SUFFIX)].strip() if is_mask else stem.strip()
            table = masks if is_mask else images
            if key in table:
                ctx.problem(
                    "duplicate_id",
                    f,
                    f"a second {'mask' if is_mask else 'image'} for id {key!r} (first: {ctx.rel(table[key])}); ignored",
                    severity="warning",
                )
                continue
            table[key] = f
        spec = MaskSpec(encoding="binary", threshold=0, value=1)
        for key in sorted(images, key=natural_key):
            if key not in masks:
                ctx.problem(
                    "missing_mask", images[key], f"no {key}{MASK_SUFFIX}.png for this image; skipped", sample_id=key
                )
                continue
            yield Item(
                sample_id=key,
                image=image_decode(ctx, images[key]),
                source_file=ctx.rel(images[key]),
                masks={"plaque": mask_decode(ctx, masks[key], spec, "plaque")},
            )
        for key in sorted(set(masks) - set(images), key=natural_key):
            ctx.problem("missing_image", masks[key], f"mask without an image {key}.png; ignored")
