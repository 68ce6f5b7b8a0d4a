"""Generic COCO converter: one or more COCO instance files (polygons, RLE, boxes) with their images.

Example entry::

    loader:
      name: coco
      options:
        annotations: {train: "annotations/instances_train.json", test: "annotations/instances_test.json"}
        target: lesion

Category ids become the class ids of the label map (renumbered 1..n when an id exceeds 254). ``file_name`` is
looked up next to the JSON file, in ``images/`` beside or above it, at the source root, and finally by base name
anywhere in the download.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import Field

from ..formats.sample import Box
from . import decode
from .base import CommonOptions, ConvertContext, Converter, Decode, Item, register
from .common import canonical_split, entry_classes, image_decode
from .patterns import match_files
from .tables import read_document


class CocoOptions(CommonOptions):
    annotations: dict[str, str] | str = Field(
        description="Split -> JSON file pattern, or one pattern with a {split} placeholder."
    )
    images: str | None = Field(None, description="Folder of the images, relative to the source root.")
    target: str = Field("instances", description="Name of the mask target built from the segmentations.")
    masks: bool = Field(True, description="Build label maps from the segmentations.")
    boxes: bool = Field(True, description="Keep the boxes.")
    label_from_annotations: bool = Field(False, description="Image label = the category all its annotations share.")


class CocoFile:
    """One parsed COCO file, with its categories mapped to class ids 1..254."""

    def __init__(self, ctx: ConvertContext, path: Path) -> None:
        self.path = path
        try:
            text = read_document(ctx, path, "its images are not converted")
            doc = json.loads(text) if text is not None else {}
        except (OSError, ValueError, RecursionError) as exc:  # RecursionError: arrays or objects nested too deep
            ctx.problem("annotation_unreadable", path, f"not a readable COCO JSON file: {exc}")
            doc = {}
        if not isinstance(doc, dict):
            ctx.problem("annotation_unreadable", path, f"a COCO file holds an object, not a {type(doc).__name__}")
            doc = {}
        self.images: list[dict[str, Any]] = [i for i in _listed(doc, "images") if isinstance(i, dict)]
        cats = [c for c in _listed(doc, "categories") if isinstance(c, dict) and _whole(c.get("id")) is not None]
        self.categories = {cid: str(c.get("name", cid)) for c in cats if (cid := _whole(c.get("id"))) is not None}
        annotations = _listed(doc, "annotations")
        for root in roboflow_roots(cats, annotations):
            name = self.categories.pop(root)
            ctx.problem(
                "root_category",
                path,
                f"category {root} ({name}) is the export's root category (the parent of the "
                "others, with no annotation); it is not a class",
                severity="info",
            )
        ids = sorted(self.categories)
        self.class_of = (
            {cid: cid for cid in ids}
            if all(0 < c < 255 for c in ids)
            else {cid: n for n, cid in enumerate(ids, start=1)}
        )
        self.by_image: dict[Any, list[dict[str, Any]]] = defaultdict(list)
        known = {i.get("id") for i in self.images if isinstance(i.get("id"), int | str)}
        for ann in annotations:
            if not isinstance(ann, dict) or not isinstance(ann.get("image_id"), int | str):
                ctx.problem(
                    "annotation_unreadable", path, f"an annotation that is not a COCO record ({str(ann)[:80]}); ignored"
                )
                continue
            if ann.get("image_id") not in known:
                ctx.problem(
                    "missing_image",
                    path,
                    f"annotation {ann.get('id')} refers to unknown image id {ann.get('image_id')}; ignored",
                )
                continue
            self.by_image[ann["image_id"]].append(ann)

    def class_map(self, entry_names: dict[int, str]) -> dict[int, str]:
        out = {0: "background"}
        for cid, value in self.class_of.items():
            out[value] = entry_names.get(value) or self.categories[cid]
        return out


def _listed(doc: dict[str, Any], key: str) -> list[Any]:
    """``doc[key]`` when it is a list, else nothing (a COCO file of another shape is reported by what it lacks)."""
    value = doc.get(key, [])
    return value if isinstance(value, list) else []


def _whole(value: Any) -> int | None:
    """``value`` as a whole number (a COCO id, size or category), or None."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return int(number) if math.isfinite(number) and number == int(number) else None


def _box(ann: dict[str, Any]) -> tuple[float, float, float, float] | None:
    """A COCO ``bbox`` [x, y, width, height] as corners, or None when it is not four numbers of non-negative size."""
    bbox = ann.get("bbox")
    if not isinstance(bbox, list) or len(bbox) != 4 or not all(isinstance(v, int | float) for v in bbox):
        return None
    x, y, w, h = (float(v) for v in bbox)
    return (x, y, x + w, y + h) if w >= 0 and h >= 0 else None


def _polygons(seg: Any) -> Any:
    """A COCO segmentation: an RLE dict as it is, or the polygons (lists of at least 3 points); None if malformed."""
    if isinstance(seg, dict):
        return seg
    if isinstance(seg, list) and all(isinstance(p, list) for p in seg):
        return [p for p in seg if len(p) >= 6]
    return None


def roboflow_roots(categories: list[dict[str, Any]], annotations: list[Any]) -> list[int]:
    """Ids of root categories as Roboflow exports them: no annotation uses them, and they are the supercategory
    of the other categories (``{"id": 0, "name": "organs", "supercategory": "none"}`` above ``kidney``)."""
    used = {_whole(a.get("category_id")) for a in annotations if isinstance(a, dict)}
    parents = {str(c.get("supercategory")) for c in categories if c.get("supercategory") not in (None, "", "none")}
    return [
        cid
        for c in categories
        if (cid := _whole(c.get("id"))) is not None
        and cid not in used
        and str(c.get("name")) in parents
        and str(c.get("supercategory", "none")) in ("none", "")
        and len(categories) > 1
    ]


def find_image(
    ctx: ConvertContext, json_path: Path, file_name: str, images_dir: str | None, by_name: dict[str, list[Path]]
) -> Path | None:
    candidates = []
    if images_dir:
        candidates.append(ctx.source_dir / images_dir / file_name)
    base = json_path.parent
    candidates += [
        base / file_name,
        base / "images" / file_name,
        base.parent / file_name,
        base.parent / "images" / file_name,
        ctx.source_dir / file_name,
    ]
    for c in candidates:
        if c.is_file():
            return c
    hits = by_name.get(Path(file_name).name, [])
    return hits[0] if len(hits) == 1 else None


def coco_item(
    ctx: ConvertContext,
    coco: CocoFile,
    image: dict[str, Any],
    image_path: Path,
    *,
    sample_id: str,
    split: str | None,
    target: str,
    masks: bool,
    boxes: bool,
    label_from_annotations: bool,
) -> Item:
    anns = coco.by_image.get(image.get("id"), [])
    shapes: list[tuple[int, Any]] = []
    box_list: list[Box] = []
    cats = set()
    for ann in anns:
        cid = _whole(ann.get("category_id"))
        if cid not in coco.class_of:
            ctx.problem(
                "unknown_label",
                coco.path,
                f"annotation {ann.get('id')} has category {ann.get('category_id')!r}, which the file does not "
                "define; ignored",
                sample_id=sample_id,
            )
            continue
        value = coco.class_of[cid]
        cats.add(coco.categories[cid])
        seg = ann.get("segmentation")
        if masks and seg:
            shape = _polygons(seg)
            if shape is None:
                ctx.problem(
                    "annotation_unreadable",
                    coco.path,
                    f"annotation {ann.get('id')}: a malformed segmentation; ignored",
                    sample_id=sample_id,
                )
            else:
                shapes.append((value, shape))
        if boxes and ann.get("bbox"):
            corners = _box(ann)
            if corners is None:
                ctx.problem(
                    "box_outside",
                    coco.path,
                    f"annotation {ann.get('id')}: bbox {str(ann['bbox'])[:80]} is not "
                    "[x, y, width, height] of numbers with a non-negative size; dropped",
                    sample_id=sample_id,
                )
            else:
                box_list.append(Box(*corners, coco.categories[cid], value))
    height, width = _whole(image.get("height")), _whole(image.get("width"))
    declared = (height, width) if height and width else None
    mask_decodes = {}
    if masks:
        mask_decodes[target] = Decode(decode.mask_coco, (shapes, declared), needs_shape=True, source=ctx.rel(coco.path))
    label = None
    if label_from_annotations and len(cats) == 1:
        label = ctx.check_label(next(iter(cats)), coco.path, sample_id)
    return Item(
        sample_id=sample_id,
        image=image_decode(ctx, image_path),
        source_file=ctx.rel(image_path),
        masks=mask_decodes,
        split=split,
        label=label,
        boxes=box_list,
        annotation_file=ctx.rel(coco.path),
    )


def basename_index(ctx: ConvertContext) -> dict[str, list[Path]]:
    out: dict[str, list[Path]] = defaultdict(list)
    for f in ctx.files():
        out[f.name].append(f)
    return out


@register
class Coco(Converter):
    name = "coco"
    summary = "COCO instance JSON files (polygons, RLE, boxes), one per split"
    Options = CocoOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        opts = ctx.options_as(CocoOptions)
        files: list[tuple[str | None, Path]] = []
        if isinstance(opts.annotations, dict):
            for split_name, pattern in opts.annotations.items():
                for m in match_files(pattern, ctx.files(), ctx.source_dir):
                    files.append((canonical_split(split_name), m.path))
        else:
            for m in match_files(opts.annotations, ctx.files(), ctx.source_dir):
                split = m.groups.get("split")
                files.append((canonical_split(split) if split else None, m.path))
        if not files:
            ctx.problem("missing_annotation", ctx.source_dir, f"no COCO file matches {opts.annotations!r}")
            return
        by_name = basename_index(ctx)
        cocos = [(split, CocoFile(ctx, path)) for split, path in files]
        classes: dict[int, str] = {0: "background"}
        for _, coco in cocos:
            classes.update(coco.class_map(entry_classes(ctx.entry)))
        if opts.masks:
            ctx.declare_target(opts.target, classes)
        if opts.boxes:
            ctx.declare_box_categories(sorted({n for _, c in cocos for n in c.categories.values()}))
        if opts.label_from_annotations:
            ctx.declare_labels([classes[k] for k in sorted(classes) if k])
        for split, coco in cocos:
            for image in coco.images:
                name = str(image.get("file_name", ""))
                path = find_image(ctx, coco.path, name, opts.images, by_name)
                if path is None:
                    ctx.problem("missing_image", coco.path, f"image {name!r} listed in the file is not in the download")
                    continue
                yield coco_item(
                    ctx,
                    coco,
                    image,
                    path,
                    sample_id=Path(name).stem,
                    split=split,
                    target=opts.target,
                    masks=opts.masks,
                    boxes=opts.boxes,
                    label_from_annotations=opts.label_from_annotations,
                )
