"""Generic Pascal-VOC converter: images with one XML of boxes each (files with no object are negatives).

Example entry (the classic VOC tree is the default)::

    loader:
      name: pascal-voc
      options:
        images: "{split}/{stem}.png"
        annotations: "{split}/{stem}.xml"
        classes: [hematoma]

Coordinates are read as numbers (integer or float strings). A box partly outside the image is clipped, one wholly
outside is dropped; both are reported, as is an object class not in the class map and an XML with no image.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import Field

from ..formats.sample import Box
from .base import CommonOptions, ConvertContext, Converter, Item, register
from .common import canonical_split, entry_classes, image_decode
from .generic_folders import sample_ids
from .patterns import compile_pattern, fill, match_files, siblings
from .splits import SplitLists
from .tables import read_document_bytes


@dataclass
class VocAnnotation:
    boxes: list[Box] = field(default_factory=list)
    size: tuple[int, int] | None = None
    filename: str | None = None


def parse_voc(ctx: ConvertContext, path: Path, include_difficult: bool, sample_id: str) -> VocAnnotation | None:
    """Boxes of one VOC XML; None (reported) if the file cannot be parsed."""
    try:
        raw = read_document_bytes(ctx, path, "its boxes are not converted")
        if raw is None:
            return None
        root = ET.fromstring(raw)
    except (ET.ParseError, OSError) as exc:
        ctx.problem("annotation_unreadable", path, f"not a readable XML file: {exc}", sample_id=sample_id)
        return None
    ann = VocAnnotation(filename=(root.findtext("filename") or "").strip() or None)
    size = root.find("size")
    if size is not None:
        try:
            w, h = int(float(size.findtext("width", "0"))), int(float(size.findtext("height", "0")))
            ann.size = (w, h) if w > 0 and h > 0 else None
        except ValueError:
            ann.size = None
    for n, obj in enumerate(root.iter("object")):
        name = (obj.findtext("name") or "").strip()
        if not include_difficult and (obj.findtext("difficult") or "0").strip() == "1":
            continue
        coords = _bndbox(obj.find("bndbox"))
        if coords is None:
            ctx.problem(
                "annotation_unreadable",
                path,
                f"object {n} ({name!r}) has no numeric bndbox; ignored",
                sample_id=sample_id,
            )
            continue
        if not ctx.check_box_category(name, path, sample_id):
            continue
        cid = ctx.box_categories.index(name) + 1 if name in ctx.box_categories else None
        x0, y0, x1, y1 = coords
        ann.boxes.append(Box(x0, y0, x1, y1, category=name, category_id=cid))
    return ann


def _bndbox(bb: ET.Element | None) -> tuple[float, float, float, float] | None:
    """(xmin, ymin, xmax, ymax) of a ``bndbox`` element; None when it is absent or a value is not a number."""
    if bb is None:
        return None
    try:
        x0, y0, x1, y1 = (float((bb.findtext(k) or "").strip()) for k in ("xmin", "ymin", "xmax", "ymax"))
    except ValueError:
        return None
    return x0, y0, x1, y1


class VocOptions(CommonOptions):
    images: str = Field("JPEGImages/{stem}.{ext}", description="Pattern of the images.")
    annotations: str = Field("Annotations/{stem}.xml", description="Pattern of the XML files (same placeholders).")
    split_lists: SplitLists | None = Field(
        SplitLists(files="ImageSets/Main/{split}.txt", required=False),
        description="Split list files (see CommonOptions.split_lists); a string is short for {files: <pattern>}.",
    )
    classes: list[str] | None = Field(None, description="Object classes; default: the entry's classes.")
    include_difficult: bool = True
    require_annotation: bool = Field(True, description="Skip (and report) images without an XML.")
    split_names: dict[str, str] | None = None


def voc_items(ctx: ConvertContext, opts: VocOptions) -> Iterator[Item]:
    classes = opts.classes or [n for n in entry_classes(ctx.entry).values() if n != "background"]
    ctx.declare_box_categories(classes)
    files = ctx.files()
    xml_rx = compile_pattern(opts.annotations)
    images = [m for m in match_files(opts.images, files, ctx.source_dir) if not xml_rx.match(ctx.rel(m.path))]
    used: set[Path] = set()
    for match, sid in zip(images, sample_ids(images, ctx), strict=True):
        xmls = siblings(ctx.source_dir, opts.annotations, match)
        if not xmls:
            if opts.require_annotation:
                ctx.problem(
                    "missing_annotation",
                    match.path,
                    f"no annotation file {fill(opts.annotations, match)}; image skipped",
                    sample_id=sid,
                )
                continue
            ann = VocAnnotation()
        else:
            used.add(xmls[0])
            parsed = parse_voc(ctx, xmls[0], opts.include_difficult, sid)
            if parsed is None:
                continue
            ann = parsed
        split = None
        if "split" in match.groups:
            split = canonical_split(match.groups["split"], opts.split_names)
        yield Item(
            sample_id=sid,
            image=image_decode(ctx, match.path),
            source_file=ctx.rel(match.path),
            split=split,
            boxes=ann.boxes,
            annotation_file=ctx.rel(xmls[0]) if xmls else None,
            declared_size=ann.size,
        )
    for f in files:
        if f not in used and xml_rx.match(ctx.rel(f)):
            ctx.problem("missing_image", f, "annotation file without an image; ignored")


@register
class PascalVoc(Converter):
    name = "pascal-voc"
    summary = "Pascal-VOC XML boxes next to or beside the images (objects optional)"
    Options = VocOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        yield from voc_items(ctx, ctx.options_as(VocOptions))
