"""GIST514-DB: endoscopic ultrasound of gastrointestinal stromal tumours vs leiomyomas (Google Drive folder).

Layout (docs/sources.md §3): ``usd514_jpeg_roi/images/*.jpg`` and ``usd514_jpeg_roi/annotations/`` with
``train_anno_crop_split_{k}.json`` and ``val_anno_crop_split_{k}.json`` for k = 0..4: five official splits, COCO
JSON with polygon segmentations, categories 1 = lmym (leiomyoma) and 2 = gist. Image naming and the extra per-image
"anatomy" key seen in query2's code are UNKNOWN; extra scalar keys of an image record are copied to ``extra``.

- ``split_index`` (default 0, as UltraSam) picks the split: its train file -> train, its val file -> test (the
  papers use val as the test set). ``extra.fold`` is the k whose val file holds the image.
- Target ``lesion`` (label map from the polygons), boxes from ``bbox``, and the image label (lmym / gist) from its
  annotations' category.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pydantic import Field

from ..base import CommonOptions, ConvertContext, Converter, Item, register
from ..generic_coco import CocoFile, basename_index, coco_item, find_image

STANDARD_KEYS = {"id", "file_name", "width", "height", "license", "flickr_url", "coco_url", "date_captured"}


class GistOptions(CommonOptions):
    split_index: int = Field(0, ge=0, le=4, description="Which of the five official splits defines train/test.")


@register
class Gist514(Converter):
    name = "gist514-db"
    summary = "usd514_jpeg_roi/images + COCO polygon annotations with five official train/val splits"
    Options = GistOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        opts = ctx.options_as(GistOptions)
        ann_dir = ctx.find_dir(
            lambda d: d.name == "annotations" and any(d.glob("*_split_*.json")), "annotations/*_split_*.json"
        )
        files = {}
        for f in sorted(ann_dir.glob("*.json")):
            m = re.fullmatch(r"(train|val)_anno_crop_split_(\d)\.json", f.name)
            if m:
                files[(m.group(1), int(m.group(2)))] = f
        k = opts.split_index
        if ("train", k) not in files or ("val", k) not in files:
            ctx.problem("missing_annotation", ann_dir, f"train/val files of split {k} are missing")
            return
        fold_of: dict[str, int] = {}
        for (kind, fold), coco_path in sorted(files.items()):
            if kind == "val":
                for image in CocoFile(ctx, coco_path).images:
                    fold_of.setdefault(str(image.get("file_name")), fold)
        train, val = CocoFile(ctx, files[("train", k)]), CocoFile(ctx, files[("val", k)])
        names = {1: "lmym", 2: "gist"}
        ctx.declare_target("lesion", {0: "background", **names}, "lmym (leiomyoma) = 1, gist = 2")
        ctx.declare_labels(["lmym", "gist"])
        ctx.declare_box_categories(["lmym", "gist"])
        ctx.split_note = (
            f"Official split {k} of five: train_anno_crop_split_{k}.json -> train, "
            f"val_anno_crop_split_{k}.json -> test. extra.fold names the split whose val file holds "
            "each image."
        )
        ctx.split_info = {"split_index": k, "folds": len({f for _, f in files})}
        by_name = basename_index(ctx)
        seen: set[str] = set()
        for split, coco in (("train", train), ("test", val)):
            for cid, cname in coco.categories.items():
                if cname.lower() not in names.values():
                    ctx.problem("unknown_label", coco.path, f"category {cid} {cname!r} is not lmym or gist")
            coco.categories = {cid: c.lower() for cid, c in coco.categories.items()}
            for image in coco.images:
                name = str(image.get("file_name", ""))
                if name in seen:
                    ctx.problem(
                        "duplicate_id",
                        coco.path,
                        f"{name} is in both the train and val file of split {k}",
                        severity="error",
                    )
                    continue
                seen.add(name)
                path = find_image(ctx, coco.path, name, None, by_name)
                if path is None:
                    ctx.problem("missing_image", coco.path, f"image {name!r} is not in the download")
                    continue
                item = coco_item(
                    ctx,
                    coco,
                    image,
                    path,
                    sample_id=path.stem,
                    split=split,
                    target="lesion",
                    masks=True,
                    boxes=True,
                    label_from_annotations=True,
                )
                item.extra = {
                    key: v
                    for key, v in image.items()
                    if key not in STANDARD_KEYS and isinstance(v, str | int | float | bool)
                }
                if name in fold_of:
                    item.extra["fold"] = fold_of[name]
                yield item
