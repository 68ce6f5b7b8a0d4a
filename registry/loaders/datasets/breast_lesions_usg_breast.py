"""BrEaST: Breast-Lesions-USG (TCIA collection; Pawłowska et al., Sci Data 2024).

Layout of the TCIA images-and-masks archive (``BrEaST-Lesions_USG-images_and_masks/``, one flat folder):
``case<NNN>.png`` images and, next to each, masks named ``case<NNN>_<suffix>.png``: ``_tumor`` (``_tumor2``, ... for
further lesions) and other suffixes for other findings, as UltraSam's converter and ultatron's adapter read them.
Normal cases have no mask. The clinical table (xlsx) is not read.

Target ``lesions``: masks whose suffix starts with ``tumor`` paint class 1 (tumour); any other suffix paints class 2
(other finding), UltraSam's rule; tumours are painted last. No split or subject ids are published (one image per
case): a seeded split is assigned.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ..base import CommonOptions, ConvertContext, Converter, Decode, Item, register
from ..common import image_decode
from ..decode import BadData, mask_binary

IMAGE = re.compile(r"^(?P<case>case\d+)\.png$", re.IGNORECASE)
MASK = re.compile(r"^(?P<case>case\d+)_(?P<suffix>[^.]+)\.png$", re.IGNORECASE)


def lesion_mask(others: tuple[str, ...], tumours: tuple[str, ...]) -> np.ndarray:
    """Other-finding masks as 2, then tumour masks as 1 on top (any channel above 0 is foreground)."""
    out: np.ndarray | None = None
    for paths, value in ((others, 2), (tumours, 1)):
        if not paths:
            continue
        layer = mask_binary(paths)
        if out is None:
            out = np.zeros(layer.shape, np.uint8)
        elif layer.shape != out.shape:
            raise BadData("size_mismatch", f"the masks of one case differ in size: {layer.shape} and {out.shape}")
        out[layer > 0] = value
    if out is None:
        raise BadData("missing_mask", "no mask")
    return out


@register
class BreastLesionsUsg(Converter):
    name = "breast-lesions-usg-breast"
    summary = "case<NNN>.png images with case<NNN>_tumor*.png (and other-finding) masks in one folder"
    Options = CommonOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        ctx.declare_target("lesions", {0: "background", 1: "tumour", 2: "other finding"}, "by mask-name suffix")
        masks: dict[tuple[str, str], dict[str, list[str]]] = {}
        images: list[tuple[Path, str]] = []  # (image, case)
        for f in ctx.files():
            if image_match := IMAGE.match(f.name):
                images.append((f, image_match.group("case").lower()))
            elif m := MASK.match(f.name):
                kind = "tumour" if m.group("suffix").lower().startswith("tumor") else "other"
                key = (str(f.parent), m.group("case").lower())
                masks.setdefault(key, {"tumour": [], "other": []})[kind].append(str(f))
        if not images:
            ctx.find_dir(lambda d: False, "BrEaST-Lesions_USG-images_and_masks/case<NNN>.png")
        seen = set()
        for image, case in images:
            key = (str(image.parent), case)
            seen.add(key)
            found = masks.get(key)
            sources = sorted((found or {}).get("tumour", []) + (found or {}).get("other", []))
            yield Item(
                sample_id=case,
                image=image_decode(ctx, image),
                source_file=ctx.rel(image),
                masks={
                    "lesions": Decode(
                        lesion_mask,
                        (tuple(sorted(found["other"])), tuple(sorted(found["tumour"]))),
                        source=", ".join(ctx.rel(s) for s in sources),
                    )
                }
                if found
                else {},
            )
        for key, found in sorted(masks.items()):
            if key not in seen:
                for path in found["tumour"] + found["other"]:
                    ctx.problem("missing_image", path, "mask without a case image; ignored")
