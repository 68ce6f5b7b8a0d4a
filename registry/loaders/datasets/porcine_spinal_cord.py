"""Porcine spinal cord injury ultrasound (Kumar et al., JHU; arXiv 2409.16441): segmentation and detection releases.

Segmentation (``porcine-spinal-cord``), docs/sources.md §2:

- ``{train,val,test}_images/`` with ``{train,val,test}_masks/``, optionally inside a ``SegmentationDataset/`` wrapper
  (a third-party decoder reports both variants). Whether ``test_*`` and ``human_*`` exist in the release is UNKNOWN:
  every ``<split>_images`` folder with a ``<split>_masks`` sibling is converted (``human_*`` becomes split ``human``).
- Masks pair with images by identical file name. The authors' code pairs by sorted order instead; when no name
  matches but the counts agree, sorted order is used and that is reported.
- Masks are RGB colour-coded with the palette of the authors' code (10 classes, below; the entry's class colours win
  when given). Pixels of any other colour are set to background and reported per file with their colours.

Detection (``porcine-spinal-cord-detection``): ``train/``, ``val/`` (or ``validation/``), ``test/`` folders, each with
``<stem>.png`` next to a Pascal-VOC ``<stem>.xml`` with integer boxes of class ``hematoma``; pre-injury images have XML
files with no ``<object>`` (negatives). The archive's top folder is UNKNOWN, so any wrapper depth is accepted.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ..base import CommonOptions, ConvertContext, Converter, Decode, Item, register
from ..common import image_decode
from ..decode import mask_palette
from ..generic_voc import VocOptions, voc_items

PALETTE: dict[int, tuple[str, tuple[int, int, int]]] = {
    0: ("background", (0, 0, 0)),
    1: ("blood/saline (dorsal space)", (128, 0, 128)),
    2: ("dura", (128, 0, 0)),
    3: ("pia", (0, 128, 0)),
    4: ("csf", (128, 128, 0)),
    5: ("spinal cord", (0, 0, 128)),
    6: ("hematoma", (0, 128, 128)),
    7: ("dura/pia complex", (64, 0, 0)),
    8: ("extradural space", (128, 128, 128)),
    9: ("dura/extradural space (dura bone complex)", (192, 0, 0)),
}
SPLITS = {"train": "train", "val": "val", "valid": "val", "validation": "val", "test": "test", "human": "human"}
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff"}


def _palette(ctx: ConvertContext) -> tuple[dict[int, str], tuple[tuple[int, int, int, int], ...]]:
    coloured = [(c, c.color) for c in ctx.entry.annotation.classes if c.color]
    if coloured:
        names = {c.id: c.name for c, _ in coloured}
        return names, tuple((color[0], color[1], color[2], c.id) for c, color in coloured)
    return {k: v[0] for k, v in PALETTE.items()}, tuple((*rgb, k) for k, (_, rgb) in PALETTE.items())


def _images(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


@register
class PorcineSpinalCord(Converter):
    name = "porcine-spinal-cord"
    summary = "{split}_images/ + {split}_masks/ with RGB palette masks (10 classes), optional wrapper folder"
    Options = CommonOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        root = ctx.find_dir(lambda d: any((d / f"{s}_images").is_dir() for s in SPLITS), "a train_images/ folder")
        names, palette = _palette(ctx)
        ctx.declare_target("anatomy", names, "spinal cord anatomy and injury, from the authors' RGB palette")
        ctx.split_note = "Official split folders of the release (train/val and, where present, test and human)."
        for folder, split in SPLITS.items():
            img_dir, mask_dir = root / f"{folder}_images", root / f"{folder}_masks"
            if not img_dir.is_dir():
                continue
            if not mask_dir.is_dir():
                ctx.problem("missing_mask", img_dir, f"{folder}_images/ has no {folder}_masks/ folder; skipped")
                continue
            yield from self._pairs(ctx, img_dir, mask_dir, split, palette)

    def _pairs(self, ctx, img_dir: Path, mask_dir: Path, split: str, palette) -> Iterator[Item]:
        images, masks = _images(img_dir), _images(mask_dir)
        by_name = {m.name: m for m in masks}
        by_stem = {m.stem: m for m in masks}
        pairs: list[tuple[Path, Path | None]] = [(i, by_name.get(i.name) or by_stem.get(i.stem)) for i in images]
        if images and all(m is None for _, m in pairs) and len(images) == len(masks):
            ctx.problem(
                "pairing",
                img_dir,
                f"no mask shares an image's file name; {len(images)} pairs made by sorted "
                "order as in the authors' code",
                severity="warning",
            )
            pairs = list(zip(images, masks, strict=True))
        used = set()
        for image, mask in pairs:
            sid = f"{split}_{image.stem}"
            if mask is None:
                ctx.problem("missing_mask", image, f"no mask {image.name} in {mask_dir.name}/; skipped", sample_id=sid)
                continue
            used.add(mask)
            yield Item(
                sample_id=sid,
                image=image_decode(ctx, image),
                source_file=ctx.rel(image),
                masks={"anatomy": Decode(mask_palette, (str(mask), palette), source=ctx.rel(mask))},
                split=split,
            )
        for mask in masks:
            if mask not in used:
                ctx.problem("missing_image", mask, f"mask without an image in {img_dir.name}/; ignored")


@register
class PorcineSpinalCordDetection(Converter):
    name = "porcine-spinal-cord-detection"
    summary = "train/ val/ test/ folders of PNG images with Pascal-VOC XML boxes (hematoma), negatives without objects"
    Options = CommonOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        ctx.split_note = "Official train/val/test folders of the release."
        opts = VocOptions(
            images="{split}/{stem}.{ext}",
            annotations="{split}/{stem}.xml",
            split_lists=None,
            classes=["hematoma"],
            require_annotation=True,
        )
        for item in voc_items(ctx, opts):
            if item.split not in {"train", "val", "test"}:
                ctx.problem(
                    "unexpected_file",
                    item.source_file,
                    f"image outside the train/val/test folders (in {item.split!r}); ignored",
                    severity="warning",
                )
                continue
            yield item
