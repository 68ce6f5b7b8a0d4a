"""COCO export: ``annotations/coco_<split>.json`` for boxes and instances.

Instances come from the label maps: each connected component (8-connectivity) of each class of each target is one
annotation, with a compressed RLE ``segmentation`` (the string form pycocotools writes), its ``bbox`` (x, y, w, h)
and ``area``. A sample with no mask target contributes its boxes instead (detection datasets). ``file_name`` is the
image path relative to the dataset directory (``images/<sample_id>.png``).

RLE encoding is implemented here so that conversion does not need pycocotools; the tests check every mask round-trips
through ``pycocotools.mask.decode`` exactly.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
from scipy import ndimage

MAX_COMPONENTS_PER_CLASS = 256
_EIGHT_CONNECTED = np.ones((3, 3), dtype=bool)


def rle_counts(binary: np.ndarray) -> list[int]:
    """Uncompressed COCO RLE counts of a binary mask (column-major, starting with a run of zeros)."""
    flat = np.asarray(binary, dtype=bool).ravel(order="F")
    if flat.size == 0:
        return [0]
    change = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    bounds = np.r_[0, change, flat.size]
    runs = np.diff(bounds).tolist()
    return [0, *runs] if flat[0] else runs


def rle_string(counts: list[int] | np.ndarray) -> str:
    """COCO's compressed RLE string (the LEB128-like encoding of ``rleToString`` in the COCO API), vectorised."""
    c = np.asarray(counts, dtype=np.int64)
    if c.size == 0:
        return ""
    x = c.copy()
    if c.size > 3:
        x[3:] = c[3:] - c[1:-2]
    groups = []
    active = np.ones(x.shape, dtype=bool)
    while active.any():
        chunk = x & 0x1F
        x = x >> 5
        more = np.where(chunk & 0x10, x != -1, x != 0) & active
        groups.append(np.where(active, (chunk | (more.astype(np.int64) << 5)) + 48, -1))
        active = more
    table = np.stack(groups, axis=1).ravel()
    return table[table >= 0].astype(np.uint8).tobytes().decode("ascii")


def rle_string_to_counts(text: str) -> list[int]:
    """Inverse of ``rle_string``."""
    counts: list[int] = []
    pos = 0
    while pos < len(text):
        x, k, more = 0, 0, True
        while more:
            if pos >= len(text) or k > 13:  # a count of more than 64 bits: shifting it on made one string take hours
                raise ValueError("not a COCO RLE string: a count runs past the end of the string or over 64 bits")
            c = ord(text[pos]) - 48
            x |= (c & 0x1F) << (5 * k)
            more = bool(c & 0x20)
            pos += 1
            k += 1
            if not more and (c & 0x10):
                x |= -1 << (5 * k)
        if len(counts) > 2:
            x += counts[-2]
        counts.append(x)
    return counts


def rle_decode(segmentation: dict[str, Any]) -> np.ndarray:
    """A COCO RLE (compressed string or uncompressed list ``counts``) to a uint8 HxW mask."""
    h, w = (int(v) for v in segmentation["size"])
    counts = segmentation["counts"]
    if isinstance(counts, bytes):
        counts = counts.decode("ascii")
    if isinstance(counts, str):
        counts = rle_string_to_counts(counts)
    if not all(isinstance(n, int) and n >= 0 for n in counts) or sum(counts) > h * w:
        raise ValueError(f"not a COCO RLE of a {w}x{h} mask: its runs are negative, not whole numbers or too long")
    flat = np.zeros(h * w, dtype=np.uint8)
    pos, value = 0, 0
    for run in counts:
        if value:
            flat[pos : pos + run] = 1
        pos += run
        value ^= 1
    return flat.reshape((w, h)).T.copy()


def instances(mask: np.ndarray, values: list[int] | np.ndarray | None = None) -> list[dict[str, Any]]:
    """One record per connected component of each non-zero class value of a label map.

    Each class is handled on its bounding crop (one ``find_objects`` pass over the label map finds every class's
    crop), so a thin or small structure costs little whatever the image size. A class with more than
    ``MAX_COMPONENTS_PER_CLASS`` components (speckle-like annotation noise) is exported as one annotation covering
    all of them, so one noisy mask cannot blow up the export. ``values`` is accepted for symmetry with callers that
    already know the values present; the crops are found either way.
    """
    h, w = mask.shape
    out: list[dict[str, Any]] = []
    for value, crop_slices in enumerate(ndimage.find_objects(mask), start=1):
        if crop_slices is None:
            continue
        cy, cx = crop_slices
        crop = mask[crop_slices] == value
        labels, n = ndimage.label(crop, structure=_EIGHT_CONNECTED)
        if n > MAX_COMPONENTS_PER_CLASS:
            labels, n = crop.astype(np.int32), 1
        areas = np.bincount(labels.ravel(), minlength=n + 1)
        for k, sl in enumerate(ndimage.find_objects(labels), start=1):
            if sl is None:
                continue
            ys, xs = sl
            comp = labels[sl] == k
            y0, x0 = cy.start + ys.start, cx.start + xs.start
            out.append(
                {
                    "value": int(value),
                    "bbox": [float(x0), float(y0), float(comp.shape[1]), float(comp.shape[0])],
                    "area": int(areas[k]),
                    "segmentation": {"size": [h, w], "counts": rle_string(crop_rle(comp, y0, x0, h, w))},
                }
            )
    return out


def crop_rle(comp: np.ndarray, y0: int, x0: int, h: int, w: int) -> list[int]:
    """COCO RLE counts of an h x w mask that is zero outside ``comp`` placed at (y0, x0), without building it.

    The crop is padded with one zero row above and below; those pad cells stand for the ``y0`` and
    ``h - y0 - ch`` zeros of the full column, so each run's length is the sum of its cells' weights. Pads of weight
    zero (the crop touches the image border) are dropped first so that runs of ones across columns stay merged.
    """
    ch, cw = comp.shape
    padded = np.zeros((ch + 2, cw), dtype=bool)
    padded[1:-1] = comp
    weights = np.ones((ch + 2, cw), dtype=np.int64)
    weights[0, :] = y0
    weights[-1, :] = h - y0 - ch
    flat, wt = padded.ravel(order="F"), weights.ravel(order="F")
    keep = wt > 0
    flat, wt = flat[keep], wt[keep]
    starts = np.r_[0, np.flatnonzero(flat[1:] != flat[:-1]) + 1]
    runs = np.add.reduceat(wt, starts).tolist()
    if flat[0]:
        runs = [0, *runs]
    runs[0] += x0 * h  # zero columns before the crop
    after = (w - x0 - cw) * h
    if len(runs) % 2 == 1:  # ends with a zero run: the zero columns after the crop extend it
        runs[-1] += after
    elif after:
        runs.append(after)
    return runs


def category_table(
    targets: dict[str, dict[int, str]], box_categories: list[str]
) -> tuple[list[dict[str, Any]], dict[tuple[str, Any], int]]:
    """COCO categories for every (target, class) pair and every box category, with a lookup to their ids.

    Keys of the lookup: ``(target, class_value)`` for mask classes and ``("box", name)`` for boxes.
    """
    names_seen: dict[str, int] = {}
    for classes in targets.values():
        for value, name in classes.items():
            if value != 0:
                names_seen[name] = names_seen.get(name, 0) + 1
    cats: list[dict[str, Any]] = []
    lookup: dict[tuple[str, Any], int] = {}
    for target in sorted(targets):
        for value, name in sorted(targets[target].items()):
            if value == 0:
                continue
            cid = len(cats) + 1
            label = name if names_seen.get(name, 0) == 1 and len(targets) == 1 else f"{target}/{name}"
            cats.append({"id": cid, "name": label, "supercategory": target})
            lookup[(target, value)] = cid
    for name in box_categories:
        cid = len(cats) + 1
        cats.append({"id": cid, "name": name, "supercategory": "box"})
        lookup[("box", name)] = cid
    return cats, lookup


class InstanceStore:
    """COCO instances per sample, spilled to a JSON-lines file while a conversion runs (memory stays flat)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._out = open(path, "wb")  # noqa: SIM115  (closed by close())
        self._offsets: dict[str, int] = {}
        self._in: BinaryIO | None = None

    def put(self, sample_id: str, per_target: dict[str, list[dict[str, Any]]]) -> None:
        if not any(per_target.values()):
            return
        self._offsets[sample_id] = self._out.tell()
        self._out.write(json.dumps(per_target, separators=(",", ":")).encode() + b"\n")

    def close(self) -> None:
        if not self._out.closed:
            self._out.close()

    def get(self, sample_id: str) -> dict[str, list[dict[str, Any]]]:
        offset = self._offsets.get(sample_id)
        if offset is None:
            return {}
        if self._in is None:
            self.close()
            self._in = open(self.path, "rb")  # noqa: SIM115
        self._in.seek(offset)
        return json.loads(self._in.readline())

    def remove(self) -> None:
        self.close()
        if self._in is not None:
            self._in.close()
        self.path.unlink(missing_ok=True)


def annotations_for(
    row: dict[str, Any],
    image_id: int,
    per_target: dict[str, list[dict[str, Any]]],
    lookup: dict[tuple[str, Any], int],
) -> Iterator[dict[str, Any]]:
    """COCO annotations (without ids) of one sample: mask instances if it has masks, else its boxes."""
    if row.get("masks"):
        for target in sorted(per_target):
            for inst in per_target[target]:
                cid = lookup.get((target, inst["value"]))
                if cid is None:  # a value outside the class map: reported by the checks, not exported
                    continue
                yield {
                    "image_id": image_id,
                    "category_id": cid,
                    "segmentation": inst["segmentation"],
                    "bbox": inst["bbox"],
                    "area": inst["area"],
                    "iscrowd": 0,
                }
        return
    for box in row.get("boxes") or []:
        cid = lookup.get(("box", box["category"]))
        if cid is None:
            continue
        w, h = box["x_max"] - box["x_min"], box["y_max"] - box["y_min"]
        yield {
            "image_id": image_id,
            "category_id": cid,
            "bbox": [box["x_min"], box["y_min"], w, h],
            "area": float(w * h),
            "iscrowd": 0,
        }


def write_coco(
    path: Path,
    rows: list[dict[str, Any]],
    instances_of: Callable[[str], dict[str, list[dict[str, Any]]]],
    categories: list[dict[str, Any]],
    lookup: dict[tuple[str, Any], int],
    info: dict[str, Any],
) -> None:
    """Stream a COCO document for ``rows`` (one split) to ``path``, one annotation at a time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = sorted(rows, key=lambda r: r["sample_id"])
    dump = json.dumps
    with open(path, "w", encoding="utf-8") as fh:
        fh.write('{"info":' + dump(info) + ',"licenses":[],"images":[')
        for image_id, row in enumerate(rows, start=1):
            image = {
                "id": image_id,
                "file_name": row["image"],
                "width": row["width"],
                "height": row["height"],
                "sample_id": row["sample_id"],
            }
            fh.write(("," if image_id > 1 else "") + dump(image, separators=(",", ":")))
        fh.write('],"annotations":[')
        ann_id = 0
        for image_id, row in enumerate(rows, start=1):
            for ann in annotations_for(row, image_id, instances_of(row["sample_id"]), lookup):
                ann_id += 1
                fh.write(("," if ann_id > 1 else "") + dump({"id": ann_id, **ann}, separators=(",", ":")))
        fh.write('],"categories":' + dump(categories) + "}")
