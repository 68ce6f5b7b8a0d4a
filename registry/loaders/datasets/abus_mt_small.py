"""MT_Small_Dataset (Kaggle ``mohammedtgadallah/mt-small-dataset``; torch-em's 'ABUS'): breast ultrasound PNGs with
tumour masks and fuzzy-enhanced copies, by benign/malignant category.

Layout (from torch-em's ``torch_em/data/datasets/medical/abus.py``, which downloads the Kaggle archive
``mt-small-dataset.zip``): ``MT_Small_Dataset/{Benign,Malignant}/`` each with ``Original_<Category>/*.png`` (the
images), ``Fuzzy_<Category>/*.png`` (fuzzy-enhanced copies) and ``Ground_Truth_<Category>/*.png`` (the masks).
torch-em pairs an image with its mask by position in the naturally sorted file lists of the two folders (and
requires equal counts); this converter does the same, and reports a category whose counts differ.

- ``images: original`` (default) converts the original images; ``fuzzy`` the fuzzy-enhanced ones (the other set is
  left out on purpose).
- Target ``tumour``: 0 background, 1 tumour. The dataset's own ReadMe (its text was found in GitHub's code index)
  says the ground-truth masks hold 1 for the background and 2 for the tumour, so a mask with only those values gives
  the tumour where it is 2 (non-zero would make every pixel tumour); any other mask, non-zero = tumour. Label:
  ``benign`` or ``malignant`` (the category folder).
- No split or patient is published: a seeded split is assigned.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field

from ..base import CommonOptions, ConvertContext, Converter, Decode, Item, register
from ..common import image_decode
from ..decode import mask_index
from ..splits import natural_key

CATEGORIES = {"Benign": "benign", "Malignant": "malignant"}


class AbusOptions(CommonOptions):
    images: Literal["original", "fuzzy"] = Field("original", description="Original or fuzzy-enhanced images.")


def mt_small_mask(path: str) -> np.ndarray:
    """Tumour pixels (1) of a Ground_Truth_* mask. The release's ReadMe says the masks hold 1 for the background and 2
    for the tumour (on a 0-255 grey scale): a mask with only those values is read so; any other, non-zero = tumour."""
    grey = mask_index(path)
    if set(np.unique(grey).tolist()) <= {1, 2}:
        return (grey == 2).astype(np.uint8)
    return (grey > 0).astype(np.uint8)


def _pngs(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(
        (p for p in folder.iterdir() if p.is_file() and p.suffix.lower() == ".png"), key=lambda p: natural_key(p.name)
    )


@register
class AbusMtSmall(Converter):
    name = "abus-mt-small"
    summary = (
        "MT_Small_Dataset/{Benign,Malignant}/{Original,Fuzzy,Ground_Truth}_<Category>/*.png, paired by sorted order"
    )
    Options = AbusOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        opts = ctx.options_as(AbusOptions)
        root = ctx.find_dir(lambda d: any((d / c).is_dir() for c in CATEGORIES), "MT_Small_Dataset/{Benign,Malignant}/")
        ctx.declare_target("tumour", {0: "background", 1: "tumour"}, "Ground_Truth_* masks: 2 (of 1/2), else non-zero")
        ctx.declare_labels(list(CATEGORIES.values()))
        ctx.split_note = "No published split: a seeded split is assigned."
        used, unused = ("Original", "Fuzzy") if opts.images == "original" else ("Fuzzy", "Original")
        for folder, label in CATEGORIES.items():
            base = root / folder
            images = _pngs(base / f"{used}_{folder}")
            masks = _pngs(base / f"Ground_Truth_{folder}")
            for f in _pngs(base / f"{unused}_{folder}"):
                ctx.ignore_file(f, f"the {unused.lower()} images are not converted with images: {opts.images}")
            if len(images) != len(masks):
                where = base / f"{used}_{folder}" if images else base / f"Ground_Truth_{folder}"
                ctx.problem(
                    "missing_mask" if len(images) > len(masks) else "missing_image",
                    where,
                    f"{len(images)} image(s) and {len(masks)} mask(s): they are paired by sorted order, so the "
                    f"{label} category is not converted",
                )
                continue
            for image, mask in zip(images, masks, strict=True):
                yield Item(
                    sample_id=f"{label}_{image.stem}",
                    image=image_decode(ctx, image),
                    source_file=ctx.rel(image),
                    masks={"tumour": Decode(mt_small_mask, (str(mask),), source=ctx.rel(mask))},
                    label=label,
                )
