"""CCA carotid artery dataset of MI-SegNet (Bi et al., MICCAI 2023): image and label folders paired by sorted order.

Layout (the authors' ``train_MI_SegNet.py`` and ``Model Testing.ipynb`` in ``yuan-12138/MI-SegNet`` read the Google
Drive download): ``MI_SegNet_dataset/<set>/img/`` and ``MI_SegNet_dataset/<set>/label/`` for the sets ``Training``
(``NUM_DEMO=['Training']``) and ``TS3`` (``NUM_TEST_DEMO=['TS3']``, test set 3). The code lists both folders, sorts
each and pairs the i-th image with the i-th label; the labels hold 0 and 1 (the code's ``# label = label/255`` is
commented out), so any non-zero pixel is artery.

Pairing: by file stem when the two folders hold the same stems, otherwise by sorted position as the authors' code does
(when both folders hold as many files); a set whose folders differ in size is paired by stem only and the rest is
reported. Split: ``Training`` is train, ``ValS`` val, ``TS3`` test (other set folders keep their name as split). The
download also holds the ``ValS`` set (a third party's copy lists ``MI_SegNet_dataset/{Training,ValS,TS3}/label``; the
authors' first ``train_MI_SegNet.py``, commit 13047b9, tested on ``NUM_TEST_DEMO=['ValS']``). No subject ids are
published.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ..base import CommonOptions, ConvertContext, Converter, Item, register
from ..common import MaskSpec, image_decode, mask_decode
from ..patterns import IMAGE_EXTS

SPLITS = {"training": "train", "vals": "val", "ts3": "test"}
LABEL = MaskSpec(encoding="binary", threshold=0)
_SUFFIXES = tuple(f".{e}" for e in IMAGE_EXTS)


def _images(folder: Path) -> list[Path]:
    """The image files of a folder sorted by name as plain strings, as the authors sort ``os.listdir()``."""
    return sorted(
        (p for p in folder.iterdir() if p.is_file() and p.name.lower().endswith(_SUFFIXES)), key=lambda p: p.name
    )


@register
class CcaMiSegnet(Converter):
    name = "cca-mi-segnet"
    summary = "MI_SegNet_dataset/{Training,ValS,TS3}/{img,label}/ image and label folders paired by sorted order"
    Options = CommonOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        ctx.split_note = "Official split: the Training set is train, ValS val, test set 3 (TS3) is test."
        ctx.declare_target("artery", {0: "background", 1: "carotid artery"})
        sets = ctx.find_dirs(lambda d: (d / "img").is_dir() and (d / "label").is_dir(), max_depth=5)
        if not sets:
            ctx.find_dir(lambda d: False, "MI_SegNet_dataset/<set>/img and <set>/label folders")
        for folder in sets:
            split = SPLITS.get(folder.name.lower(), folder.name)
            images = _images(folder / "img")
            labels = _images(folder / "label")
            by_stem = {p.stem: p for p in labels}
            if {p.stem for p in images} == set(by_stem):
                pairs = [(image, by_stem[image.stem]) for image in images]
            elif len(images) == len(labels):
                pairs = list(zip(images, labels, strict=True))
            else:
                pairs = [(image, by_stem[image.stem]) for image in images if image.stem in by_stem]
                paired = {image for image, _ in pairs} | {label for _, label in pairs}
                for image in images:
                    if image not in paired:
                        ctx.problem("missing_mask", image, f"{folder.name}/label has no file of this name")
                for label in labels:
                    if label not in paired:
                        ctx.problem("missing_image", label, f"{folder.name}/img has no file of this name; ignored")
            for image, label in pairs:
                yield Item(
                    sample_id=f"{folder.name}_{image.stem}",
                    image=image_decode(ctx, image),
                    masks={"artery": mask_decode(ctx, label, LABEL, "artery")},
                    source_file=ctx.rel(image),
                    split=split,
                    extra={"label_file": label.name} if label.stem != image.stem else {},
                )
