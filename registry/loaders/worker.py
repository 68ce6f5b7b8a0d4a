"""The per-sample work done in worker processes: decode, validate, write PNGs, hash, and extract COCO instances."""

from __future__ import annotations

import errno
import math
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ..formats.coco import instances
from ..formats.hashing import phash_hex
from ..formats.imageio import normalise_image, to_uint8, write_png
from .base import Decode, Item, Problem
from .decode import BadData, unwrap

#: write errors that are the disk's, not a sample's: a full disk or quota, a file-size limit, a read-only disk
DISK_REFUSED = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS})


@dataclass
class ItemResult:
    sample_id: str
    row: dict[str, Any] | None
    problems: list[Problem] = field(default_factory=list)
    instances: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    mask_values: dict[str, list[int]] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)


def process_batch(items: list[Item], staging: str) -> list[ItemResult]:
    return [process_item(item, Path(staging)) for item in items]


def process_item(item: Item, staging: Path) -> ItemResult:
    """Convert one item; any failure is a problem on the item's files, never an exception."""
    result = ItemResult(item.sample_id, None)
    try:
        _process(item, staging, result)
    except BadData as exc:
        result.row = None
        result.problems.append(Problem(exc.kind, item.source_file, exc.message, "error", item.sample_id))
    except OSError as exc:
        if exc.errno in DISK_REFUSED:  # the disk, not the sample: stop the conversion (nothing is published)
            raise
        _converter_error(result, item, exc)
    except Exception as exc:  # a converter bug must not stop the other samples; it is reported as an error
        _converter_error(result, item, exc)
    if result.row is None:
        for rel in result.files:  # nothing half-written for a skipped sample
            (staging / rel).unlink(missing_ok=True)
        result.files.clear()
        result.instances.clear()
        result.mask_values.clear()
    return result


def _converter_error(result: ItemResult, item: Item, exc: Exception) -> None:
    result.row = None
    where = traceback.extract_tb(exc.__traceback__)[-1]
    result.problems.append(
        Problem(
            "converter_error",
            item.source_file,
            f"{type(exc).__name__}: {exc} (at {Path(where.filename).name}:{where.lineno})",
            "error",
            item.sample_id,
        )
    )


def _process(item: Item, staging: Path, result: ItemResult) -> None:
    raw, notes = unwrap(_decoded(item.image))
    _add_notes(result, notes, item.source_file, item.sample_id)
    raw = _finite(np.asarray(raw), item, result)
    raw, rescaled = to_uint8(raw)
    if rescaled:
        result.problems.append(
            Problem(
                "rescaled",
                item.source_file,
                "pixel values outside 0..255 were min-max rescaled to 8 bits",
                "info",
                item.sample_id,
            )
        )
    try:
        image = normalise_image(raw, item.colour)
    except ValueError as exc:
        raise BadData("unreadable", str(exc)) from None
    h, w = image.shape[:2]
    if item.declared_size and tuple(int(v) for v in item.declared_size) != (w, h):
        dw, dh = item.declared_size
        result.problems.append(
            Problem(
                "size_mismatch",
                item.annotation_file or item.source_file,
                f"the annotation states a {dw}x{dh} image but the image is {w}x{h}",
                "warning",
                item.sample_id,
            )
        )

    masks: dict[str, np.ndarray] = {}
    for target, decode in item.masks.items():
        source = _mask_source(decode, item)
        try:
            arr, mnotes = unwrap(_decoded(decode, image_shape=(h, w)))
        except BadData as exc:
            raise BadData(exc.kind, f"mask '{target}' ({source}): {exc.message}") from None
        _add_notes(result, mnotes, source, item.sample_id)
        arr = np.asarray(arr)
        if arr.ndim != 2:
            raise BadData("unexpected_colour", f"mask '{target}' ({source}) is not a single-channel label map")
        if arr.shape != (h, w):
            raise BadData(
                "size_mismatch",
                f"mask '{target}' ({source}) is {arr.shape[1]}x{arr.shape[0]} but its image is {w}x{h}; "
                "the sample is skipped",
            )
        masks[target] = arr.astype(np.uint8, copy=False)

    boxes = _checked_boxes(item, w, h, result)
    points = []
    for x, y in ((float(x), float(y)) for x, y in item.points):
        if not (math.isfinite(x) and math.isfinite(y)):
            result.problems.append(
                Problem(
                    "point_outside",
                    item.annotation_file or item.source_file,
                    f"landmark ({x:g}, {y:g}) is not a number; dropped",
                    "error",
                    item.sample_id,
                )
            )
            continue
        points.append((x, y))
        if not (0 <= x <= w and 0 <= y <= h):
            result.problems.append(
                Problem(
                    "point_outside",
                    item.source_file,
                    f"landmark ({x:g}, {y:g}) is outside the {w}x{h} image",
                    "warning",
                    item.sample_id,
                )
            )

    image_rel = f"images/{item.sample_id}.png"
    result.files[image_rel] = write_png(staging / image_rel, image)
    mask_cols = []
    for target, arr in masks.items():
        rel = f"masks/{target}/{item.sample_id}.png"
        result.files[rel] = write_png(staging / rel, arr)
        mask_cols.append({"target": target, "path": rel})
        values = np.flatnonzero(np.bincount(arr.ravel(), minlength=256))
        result.instances[target] = instances(arr, values)
        result.mask_values[target] = values.tolist()

    result.row = {
        "sample_id": item.sample_id,
        "split": item.split,
        "subject_id": item.subject_id,
        "image": image_rel,
        "masks": mask_cols,
        "label": item.label,
        "boxes": boxes,
        "points": [{"x": x, "y": y} for x, y in points],
        "frame": item.frame,
        "width": w,
        "height": h,
        "channels": 1 if image.ndim == 2 else 3,
        "source_file": item.source_file,
        "image_sha256": result.files[image_rel],
        "phash": phash_hex(Image.fromarray(image)),
        "extra": item.extra,
    }


def _decoded(decode: Decode, **shape: Any) -> Any:
    """``decode(**shape)``; Pillow's refusal of an image declaring gigapixels (``DecompressionBombError``, not an
    ``OSError``) in a converter's own decoder is an unreadable file, not a converter bug."""
    try:
        return decode(**shape)
    except Image.DecompressionBombError as exc:
        raise BadData("unreadable", f"refused to decode the image: {exc}") from None


def _finite(raw: np.ndarray, item: Item, result: ItemResult) -> np.ndarray:
    """A float image's NaN and infinite pixels set to its lowest finite value, and reported: one infinite pixel made
    the min-max rescaling turn the whole image black, with only an 'info' note. An image of no finite pixel is
    unreadable."""
    if raw.dtype.kind != "f":
        return raw
    bad = ~np.isfinite(raw)
    if not bad.any():
        return raw
    if bad.all():
        raise BadData("unreadable", "every pixel is NaN or infinite")
    result.problems.append(
        Problem(
            "non_finite_pixels",
            item.source_file,
            f"{int(bad.sum())} pixel(s) are NaN or infinite; set to the image's lowest value",
            "warning",
            item.sample_id,
        )
    )
    return np.where(bad, raw[~bad].min(), raw)


def _mask_source(decode: Decode, item: Item) -> str:
    return getattr(decode, "source", None) or item.source_file


def _add_notes(result: ItemResult, notes: list[tuple[str, str, str]], file: str, sample_id: str) -> None:
    for kind, severity, message in notes:
        result.problems.append(Problem(kind, file, message, severity, sample_id))


def _checked_boxes(item: Item, w: int, h: int, result: ItemResult) -> list[dict[str, Any]]:
    """Boxes clipped to the image. A box wholly outside, or empty after clipping, is dropped; both are reported."""
    out = []
    where = item.annotation_file or item.source_file
    for box in item.boxes:
        x0, y0, x1, y1 = (float(v) for v in box.as_list())
        if not all(math.isfinite(v) for v in (x0, y0, x1, y1)):  # NaN compared as inside: it became the whole image
            result.problems.append(
                Problem(
                    "box_outside",
                    where,
                    f"box {box.category!r} ({x0:g}, {y0:g}, {x1:g}, {y1:g}) has a coordinate that is not a number; "
                    "dropped",
                    "error",
                    item.sample_id,
                )
            )
            continue
        if x1 < x0:
            x0, x1 = x1, x0
        if y1 < y0:
            y0, y1 = y1, y0
        cx0, cy0, cx1, cy1 = max(0.0, x0), max(0.0, y0), min(float(w), x1), min(float(h), y1)
        desc = f"box {box.category!r} ({x0:g}, {y0:g}, {x1:g}, {y1:g}) on a {w}x{h} image"
        if cx1 <= cx0 or cy1 <= cy0:
            result.problems.append(
                Problem("box_outside", where, f"{desc} is outside the image or empty; dropped", "error", item.sample_id)
            )
            continue
        if (cx0, cy0, cx1, cy1) != (x0, y0, x1, y1):
            result.problems.append(
                Problem("box_outside", where, f"{desc} extends past the image; clipped", "warning", item.sample_id)
            )
        out.append(
            {
                "x_min": cx0,
                "y_min": cy0,
                "x_max": cx1,
                "y_max": cy1,
                "category": box.category,
                "category_id": box.category_id,
            }
        )
    return out
