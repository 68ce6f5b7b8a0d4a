"""NNUS, normal neck organ detection in ultrasound (Oh et al. 2023): 790 JPEG images with YOLO box labels.

Layout (from the authors' README, "Structure of Dataset"): ``NNUS/images/<NNNN>.jpg`` with one LabelImg YOLO text file
per image in ``NNUS/labels/<NNNN>.txt`` and the class names in ``NNUS/labels/classes.txt``, one per line (line ``k``
names class index ``k``).

- One sample per image; its boxes from the label file with the same stem. Each line is ``<class> <x_center> <y_center>
  <width> <height>`` in fractions of the image size; boxes are converted to pixels with the image's size.
- Box categories are the names of ``classes.txt`` in file order; a class index outside it is reported and the box is
  left out. An image without a label file is kept without boxes and reported (LabelImg writes no file for an image
  without boxes); a label file without an image is reported.
- The volunteer of each image is not recorded in the file names, so there is no subject id and no official split:
  the pipeline draws a seeded split.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

from PIL import Image

from ...formats.sample import Box
from ..base import CommonOptions, ConvertContext, Converter, Item, register
from ..common import image_decode
from ..tables import read_lines

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
MAX_LINES = 10_000


def _classes(ctx: ConvertContext, path: Path) -> list[str]:
    if not path.is_file():
        ctx.problem("missing_annotation", path.parent, "classes.txt is missing: box classes have no names")
        return []
    lines = read_lines(path, MAX_LINES, ctx=ctx, encoding="utf-8-sig")
    return [line.strip() for line in lines if line.strip()]


def _boxes(ctx: ConvertContext, path: Path, size: tuple[int, int], names: list[str], sid: str) -> list[Box]:
    w, h = size
    out = []
    for n, line in enumerate(read_lines(path, MAX_LINES, ctx=ctx), start=1):
        parts = line.split()
        if not parts:
            continue
        try:
            if len(parts) != 5:
                raise ValueError(f"{len(parts)} fields, expected 5")
            cls = int(parts[0])
            xc, yc, bw, bh = (float(p) for p in parts[1:])
            if not all(math.isfinite(v) for v in (xc, yc, bw, bh)):
                raise ValueError("a coordinate is not a finite number")
        except ValueError as exc:
            ctx.problem(
                "annotation_unreadable", path, f"line {n}: {line.strip()!r} is not a YOLO box ({exc})", sample_id=sid
            )
            continue
        if not 0 <= cls < len(names):
            ctx.problem(
                "unknown_label", path, f"line {n}: class {cls} is not in classes.txt; box left out", sample_id=sid
            )
            continue
        out.append(Box((xc - bw / 2) * w, (yc - bh / 2) * h, (xc + bw / 2) * w, (yc + bh / 2) * h, names[cls], cls + 1))
    return out


@register
class NnusNeck(Converter):
    name = "nnus-neck"
    summary = "NNUS/images/*.jpg with LabelImg YOLO boxes in NNUS/labels/*.txt and labels/classes.txt"
    Options = CommonOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        root = ctx.find_dir(lambda d: (d / "images").is_dir() and (d / "labels").is_dir(), "images/ with labels/")
        labels_dir = root / "labels"
        names = _classes(ctx, labels_dir / "classes.txt")
        ctx.declare_box_categories(names)
        images = sorted(p for p in (root / "images").iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
        stems = {p.stem for p in images}
        for f in sorted(labels_dir.glob("*.txt")):
            if f.name != "classes.txt" and f.stem not in stems:
                ctx.problem("missing_image", f, "label file without an image in images/; ignored")
        for image in images:
            sid = image.stem
            label = labels_dir / f"{sid}.txt"
            boxes: list[Box] = []
            if not label.is_file():
                ctx.problem("missing_annotation", image, "no label file in labels/: kept without boxes", "warning", sid)
            else:
                try:
                    with Image.open(image) as im:
                        size = im.size
                except (OSError, Image.DecompressionBombError) as exc:  # a header declaring gigapixels
                    ctx.problem("unreadable", image, f"cannot read the image size: {exc}", sample_id=sid)
                    continue
                boxes = _boxes(ctx, label, size, names, sid)
            yield Item(
                sample_id=sid,
                image=image_decode(ctx, image),
                source_file=ctx.rel(image),
                boxes=boxes,
                annotation_file=ctx.rel(label) if label.is_file() else None,
            )
