"""MMOTU OTU_2d (multi-modality ovarian tumour ultrasound, 2-D subset), from the authors' Google Drive folder.

Layout (docs/sources.md §3-4): ``OTU_2d/images/<n>.JPG``, ``OTU_2d/annotations/<n>.PNG`` (RGB colour mask, 8
tumour classes), ``<n>_binary.PNG`` (binary) and ``<n>_binary_binary.PNG`` duplicates (ignored; one per image in
the real release, as in SonBH0410/OTU-2D-Dataset@1ece195), ``train.txt`` / ``val.txt`` (one stem per line) and
``train_cls.txt`` / ``val_cls.txt`` (``"<n>.JPG  <label>"``, 0-based labels, two spaces). The Drive folder also
holds ``OTU_3d`` (CEUS), which this converter ignores.

- Targets: ``tumor`` (0 background + 8 classes from the palette below; other colours are reported and set to
  background) and ``tumor_binary`` (the ``_binary`` mask, foreground = any non-zero value).
- Split: ``train.txt`` -> train; ``val.txt`` -> test by default, because MMOTU and UltraSam use it as the held-out
  test set (``val_as: val`` keeps the release's name).
- Label: the tumour class from the ``*_cls.txt`` files.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from pydantic import Field

from ..base import CommonOptions, ConvertContext, Converter, Decode, Item, register
from ..common import MaskSpec, image_decode, mask_decode
from ..decode import mask_palette
from ..tables import read_lines

CLASSES = [
    "chocolate cyst",
    "serous cystadenoma",
    "teratoma",
    "theca cell tumour",
    "simple cyst",
    "normal ovary",
    "mucinous cystadenoma",
    "high-grade serous cystadenocarcinoma",
]
PALETTE = (
    (0, 0, 0, 0),
    (64, 0, 0, 1),
    (0, 64, 0, 2),
    (0, 0, 64, 3),
    (64, 0, 64, 4),
    (64, 64, 0, 5),
    (64, 64, 64, 6),
    (0, 128, 0, 7),
    (0, 0, 128, 8),
)


class MmotuOptions(CommonOptions):
    val_as: Literal["test", "val"] = Field("test", description="Split name given to the release's val.txt images.")


def _lines(path: Path) -> list[str]:
    if not path.is_file():
        return []
    return [ln.strip() for ln in read_lines(path) if ln.strip()]


def _files_by_lower(folder: Path) -> dict[str, Path]:
    return {p.name.lower(): p for p in folder.iterdir() if p.is_file()} if folder.is_dir() else {}


@register
class Mmotu2d(Converter):
    name = "mmotu-2d"
    summary = "OTU_2d/images/*.JPG with RGB and _binary PNG masks, train.txt/val.txt and *_cls.txt labels"
    Options = MmotuOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        opts = ctx.options_as(MmotuOptions)
        candidates = ctx.find_dirs(lambda d: (d / "images").is_dir() and (d / "annotations").is_dir())
        candidates.sort(key=lambda d: (d.name.lower() != "otu_2d", len(d.parts)))
        if not candidates:
            ctx.find_dir(lambda d: False, "OTU_2d/ with images/ and annotations/")
        root = candidates[0]
        ctx.declare_target(
            "tumor",
            {0: "background", **{i + 1: n for i, n in enumerate(CLASSES)}},
            "tumour class per pixel, from the RGB annotation",
        )
        ctx.declare_target("tumor_binary", {0: "background", 1: "tumor"}, "the release's _binary mask")
        ctx.declare_labels(CLASSES)
        ctx.split_note = (
            f"Official train.txt / val.txt lists; val.txt images are the split '{opts.val_as}' "
            "(MMOTU and UltraSam use them as the test set)."
        )
        splits = {s: "train" for s in _lines(root / "train.txt")}
        splits.update({s: opts.val_as for s in _lines(root / "val.txt")})
        labels: dict[str, tuple[str, Path]] = {}
        for name in ("train_cls.txt", "val_cls.txt"):
            for line in _lines(root / name):
                parts = line.split()
                if len(parts) >= 2:
                    stem = Path(parts[0]).stem
                    idx = parts[-1]
                    class_label = CLASSES[int(idx)] if idx.isdigit() and int(idx) < len(CLASSES) else idx
                    labels[stem] = (class_label, root / name)
        annotations = _files_by_lower(root / "annotations")
        binary = MaskSpec(encoding="binary", threshold=0)
        images = sorted(p for p in (root / "images").iterdir() if p.is_file())
        stems = {p.stem.lower() for p in images}
        for lower, path in sorted(annotations.items()):
            if lower.rsplit(".", 1)[0].endswith("_binary_binary"):
                # the real release has one per image (1469), not a few strays: left out on purpose, not dropped
                ctx.ignore_file(path, "a duplicate of the _binary mask (<n>_binary_binary.PNG); not converted")
            base = lower.rsplit(".", 1)[0].removesuffix("_binary_binary").removesuffix("_binary")
            if base not in stems:
                ctx.problem("missing_image", path, "annotation without an image in images/; ignored")
        for image in images:
            stem = image.stem
            colour = annotations.get(f"{stem}.png".lower())
            mask_bin = annotations.get(f"{stem}_binary.png".lower())
            if colour is None or mask_bin is None:
                missing = ", ".join(n for n, p in (("colour mask", colour), ("binary mask", mask_bin)) if p is None)
                ctx.problem("missing_mask", image, f"no {missing} in annotations/; skipped", sample_id=stem)
                continue
            if stem not in splits:
                ctx.problem(
                    "missing_annotation",
                    image,
                    "in neither train.txt nor val.txt; a seeded split is used",
                    severity="warning",
                    sample_id=stem,
                )
            label, where = labels.get(stem, (None, image))
            yield Item(
                sample_id=stem,
                image=image_decode(ctx, image),
                source_file=ctx.rel(image),
                masks={
                    "tumor": Decode(mask_palette, (str(colour), PALETTE), source=ctx.rel(colour)),
                    "tumor_binary": mask_decode(ctx, mask_bin, binary, "tumor_binary"),
                },
                split=splits.get(stem),
                label=ctx.check_label(label, where, stem),
            )
