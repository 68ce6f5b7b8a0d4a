"""BUSI, the Dataset of Breast Ultrasound Images (Al-Dhabyani et al., 2020).

Layout (widely used release ``Dataset_BUSI_with_GT``; not in docs/sources.md, from common knowledge of the
release): one folder per class, ``benign/``, ``malignant/``, ``normal/``, holding ``<class> (<n>).png`` images and
``<class> (<n>)_mask.png`` masks; a few images have extra masks ``<class> (<n>)_mask_1.png`` (and ``_mask_2``) for
further lesions, which are united into one mask. Normal images have empty masks, kept as negatives. Masks are 0/255
(grey or RGB): foreground is any channel above 127. The wrapper folder name varies, so any depth is accepted.

No subject ids and no official split: a seeded split stratified by class is assigned. The ids are sanitised
(``benign (1)`` -> ``benign_1``).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from ..base import CommonOptions, ConvertContext, Converter, Item, register
from ..common import MaskSpec, image_decode, mask_decode

CLASSES = ["normal", "benign", "malignant"]
MASK = re.compile(r"^(?P<base>.+?)_mask(?:_(?P<n>\d+))?$", re.IGNORECASE)


@register
class Busi(Converter):
    name = "busi"
    summary = "benign/ malignant/ normal/ folders of '<class> (n).png' with '_mask.png' (and '_mask_1.png') masks"
    Options = CommonOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        root = ctx.find_dir(
            lambda d: sum((d / c).is_dir() or (d / c.capitalize()).is_dir() for c in CLASSES) >= 2,
            "the benign/ malignant/ normal/ folders",
        )
        ctx.declare_target("lesion", {0: "background", 1: "lesion"})
        ctx.declare_labels(CLASSES)
        ctx.split_note = "No official split; a seeded split stratified by class (no subject ids in the release)."
        spec = MaskSpec(encoding="binary", threshold=127)
        for folder in sorted(p for p in root.iterdir() if p.is_dir()):
            label = folder.name.lower()
            images: dict[str, Path] = {}
            masks: dict[str, list[Path]] = defaultdict(list)
            for f in sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() == ".png"):
                m = MASK.match(f.stem)
                if m:
                    masks[m.group("base")].append(f)
                else:
                    images[f.stem] = f
            for stem, image in sorted(images.items(), key=lambda kv: _natural(kv[0])):
                if stem not in masks:
                    ctx.problem("missing_mask", image, "no _mask.png for this image; skipped", sample_id=stem)
                    continue
                yield Item(
                    sample_id=stem,
                    image=image_decode(ctx, image),
                    source_file=ctx.rel(image),
                    masks={"lesion": mask_decode(ctx, sorted(masks[stem]), spec, "lesion")},
                    label=ctx.check_label(label, folder, stem),
                    extra={"masks_in_source": len(masks[stem])} if len(masks[stem]) > 1 else {},
                )
            for stem in sorted(set(masks) - set(images)):
                for f in masks[stem]:
                    ctx.problem("missing_image", f, f"mask without an image {stem}.png; ignored")


def _natural(text: str) -> tuple:
    nums = re.findall(r"\d+", text)
    return (re.sub(r"\d+", "", text), int(nums[-1]) if nums else -1)
