"""TN3K thyroid nodule segmentation (Gong et al., 2022; github.com/haifangong/TRFE-Net-for-thyroid-nodule-segmentation).

Layout (not in docs/sources.md; read in the authors' and third-party loaders): ``trainval-image/NNNN.jpg`` with
``trainval-mask/NNNN.jpg``, ``test-image/`` with ``test-mask/`` (614 test images), and ``tn3k-trainval-fold{k}.json``
(``{"train": [...], "val": [...]}``; the authors' code treats the numbers as indices into the sorted trainval file
list, other loaders as the file number ``{:04d}``; the two agree when files are numbered 0000.. without gaps, and
the file number is used when it exists).

- The masks are JPEG, so they carry compression noise: foreground is any value above 127.
- Split: ``test-*`` -> test; trainval images -> train / val per ``fold`` (default 0); trainval images in neither list
  of the fold file get a seeded split (reported). Without the fold file all trainval images get a seeded split.
- No subject ids are published.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from pydantic import Field

from ..base import CommonOptions, ConvertContext, Converter, Item, register
from ..common import MaskSpec, image_decode, mask_decode
from ..tables import read_document

SUFFIXES = {".jpg", ".jpeg", ".png"}


class Tn3kOptions(CommonOptions):
    fold: int = Field(0, ge=0, le=9, description="Which tn3k-trainval-fold{k}.json defines train/val.")


def _images(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES)


@register
class Tn3k(Converter):
    name = "tn3k"
    summary = "trainval-image/ + trainval-mask/, test-image/ + test-mask/ (JPEG masks) and tn3k-trainval-fold{k}.json"
    Options = Tn3kOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        opts = ctx.options_as(Tn3kOptions)
        root = ctx.find_dir(
            lambda d: (d / "trainval-image").is_dir() or (d / "test-image").is_dir(), "trainval-image/ or test-image/"
        )
        ctx.declare_target("nodule", {0: "background", 1: "nodule"})
        fold_file = root / f"tn3k-trainval-fold{opts.fold}.json"
        trainval = _images(root / "trainval-image")
        split_of: dict[str, str] = {}
        if fold_file.is_file():
            try:
                text = read_document(ctx, fold_file, "the trainval images get a seeded split")
                folds = json.loads(text) if text is not None else {}
            except ValueError as exc:
                ctx.problem("annotation_unreadable", fold_file, f"not readable JSON: {exc}")
                folds = {}
            stems = {p.stem for p in trainval}
            for fold in ("train", "val"):
                for n in folds.get(fold, []):
                    stem = f"{int(n):04d}" if str(n).isdigit() else str(n)
                    if stem not in stems and str(n).isdigit() and int(n) < len(trainval):
                        stem = trainval[int(n)].stem
                    split_of[stem] = fold
            ctx.split_note = f"Official test set; trainval split by {fold_file.name} (train / val)."
        else:
            ctx.problem(
                "missing_annotation",
                fold_file,
                "the fold file is missing; trainval images get a seeded split",
                severity="warning",
            )
            ctx.split_note = "Official test set; the fold file is missing, so trainval images get a seeded split."
        spec = MaskSpec(encoding="binary", threshold=127)
        for kind, images in (("trainval", trainval), ("test", _images(root / "test-image"))):
            masks = {p.stem: p for p in _images(root / f"{kind}-mask")}
            for image in images:
                sid = f"{kind}_{image.stem}"
                mask = masks.pop(image.stem, None)
                if mask is None:
                    ctx.problem(
                        "missing_mask", image, f"no {kind}-mask/{image.stem}.* for this image; skipped", sample_id=sid
                    )
                    continue
                split = "test" if kind == "test" else split_of.get(image.stem)
                if kind == "trainval" and split is None and fold_file.is_file():
                    ctx.problem(
                        "missing_annotation",
                        image,
                        f"in neither list of {fold_file.name}; seeded split",
                        severity="warning",
                        sample_id=sid,
                    )
                yield Item(
                    sample_id=sid,
                    image=image_decode(ctx, image),
                    source_file=ctx.rel(image),
                    masks={"nodule": mask_decode(ctx, mask, spec, "nodule")},
                    split=split,
                )
            for _, mask in sorted(masks.items()):
                ctx.problem("missing_image", mask, f"mask without an image in {kind}-image/; ignored")
