"""GBCU, the gallbladder cancer ultrasound dataset (Basu et al., CVPR 2022): 1,255 images, normal / benign / malignant.

Layout (from UltraBench's ``process/gbcu.py``, which reads the real download): ``imgs/<name>.jpg``, the official split
as ``train.txt`` and ``test.txt`` (CSV lines ``<name>,<label>`` without a header; 0 normal, 1 benign, 2 malignant), and
``bbox_annot.json`` mapping each image name to ``{"dim": ..., "bbs": [[label, [x_min, y_min, x_max, y_max]], ...]}``
(box labels such as ``nml``/``abn`` for the gallbladder region of interest and ``stn``, ``malg`` ... for pathologies),
possibly under a wrapper folder.

- One sample per listed image; split from the list it is in; label from the list; boxes from ``bbox_annot.json``
  (an image without an entry there is kept without boxes and reported).
- Box categories are the labels found in ``bbox_annot.json``.
- Patient ids are not released, so there is no subject id; UltraBench states there is no patient overlap between the
  two lists.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ...formats.sample import Box
from ..base import CommonOptions, ConvertContext, Converter, Item, register
from ..common import entry_classes, image_decode
from ..tables import csv_lists, read_document

LISTS = {"train.txt": "train", "test.txt": "test"}


def _read_list(ctx: ConvertContext, path: Path) -> list[tuple[int, str, str]]:
    """(line number, image name, label code) of a split list."""
    out = []
    for n, row in csv_lists(ctx, path):
        cells = [c.strip() for c in row]
        if not cells or not any(cells):
            continue
        if len(cells) != 2 or not cells[0]:
            ctx.problem("annotation_unreadable", path, f"line {n}: expected '<image>,<label>', got {row!r}")
            continue
        out.append((n, cells[0], cells[1]))
    return out


def _boxes(ctx: ConvertContext, path: Path, name: str, entry: object, categories: dict[str, int]) -> list[Box]:
    out = []
    bbs = entry.get("bbs", []) if isinstance(entry, dict) else []
    for k, bb in enumerate(bbs if isinstance(bbs, list) else []):
        try:
            label, coords = bb
            x0, y0, x1, y1 = (float(v) for v in coords)
            if not all(math.isfinite(v) for v in (x0, y0, x1, y1)):
                raise ValueError("a coordinate is not a finite number")
        except (TypeError, ValueError) as exc:
            ctx.problem(
                "annotation_unreadable", path, f"{name}: box {k + 1} {bb!r} is not [label, [x0, y0, x1, y1]] ({exc})"
            )
            continue
        out.append(Box(x0, y0, x1, y1, str(label), categories.get(str(label))))
    return out


@register
class Gbcu(Converter):
    name = "gbcu"
    summary = "imgs/*.jpg with train.txt / test.txt (<name>,<label>) and bbox_annot.json boxes"
    Options = CommonOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        root = ctx.find_dir(
            lambda d: (d / "imgs").is_dir() and any((d / n).is_file() for n in LISTS), "imgs/ with train.txt"
        )
        classes = entry_classes(ctx.entry)
        ctx.declare_labels([classes[k] for k in sorted(classes)])
        annot_path = root / "bbox_annot.json"
        annots: dict[str, Any] = {}
        if annot_path.is_file():
            try:
                text = read_document(ctx, annot_path, "images are converted without boxes")
                loaded = json.loads(text) if text is not None else {}
                annots = loaded if isinstance(loaded, dict) else {}
                if not isinstance(loaded, dict):
                    ctx.problem("annotation_unreadable", annot_path, "not a JSON object of image name -> boxes")
            except (OSError, ValueError) as exc:
                ctx.problem("annotation_unreadable", annot_path, f"not a readable JSON file: {exc}")
        else:
            ctx.problem("missing_annotation", root, "bbox_annot.json is missing: images are converted without boxes")
        names = sorted(
            {
                str(bb[0])
                for a in annots.values()
                if isinstance(a, dict) and isinstance(a.get("bbs"), list)
                for bb in a["bbs"]
                if isinstance(bb, (list, tuple)) and len(bb) == 2
            }
        )
        categories = {n: i for i, n in enumerate(names, start=1)}
        ctx.declare_box_categories(names)
        seen: set[str] = set()
        for list_name, split in LISTS.items():
            path = root / list_name
            if not path.is_file():
                ctx.problem("missing_annotation", root, f"{list_name} is missing: no {split} images")
                continue
            for line, name, code in _read_list(ctx, path):
                where = f"{ctx.rel(path)}:{line}"
                image = root / "imgs" / name
                if name in seen:
                    ctx.problem("duplicate_image", path, f"line {line}: {name} is listed twice; the first is kept")
                    continue
                seen.add(name)
                if not image.is_file():
                    ctx.problem("missing_image", path, f"line {line}: image {name!r} is not in imgs/")
                    continue
                label = classes.get(int(code)) if code.isdigit() else None
                if label is None:
                    ctx.problem("unknown_label", path, f"line {line}: label {code!r} is not 0, 1 or 2", sample_id=name)
                if name not in annots:
                    ctx.problem("missing_annotation", annot_path, f"{name} has no boxes in bbox_annot.json", "warning")
                yield Item(
                    sample_id=Path(name).stem,
                    image=image_decode(ctx, image),
                    source_file=ctx.rel(image),
                    split=split,
                    label=label,
                    boxes=_boxes(ctx, annot_path, name, annots.get(name), categories),
                    annotation_file=where,
                )
