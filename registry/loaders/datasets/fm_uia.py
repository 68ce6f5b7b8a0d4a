"""FM_UIA 2026, the Foundation Model Challenge for Ultrasound Image Analysis (ISBI 2026): 27 subtasks in one tree.

Layout (docs/sources.md §6, from the challenge README and code): ``data/train/`` and ``data/val/`` each hold
``csv_files/*.csv`` (one per subtask; the real file names are UNKNOWN, so every CSV there is read) and the image
folders (``Classification/``, ``Segmentation/Two|Three|Four|Five/<dataset>/...``, ``Detection/``, ``Regression/``).
Paths in the CSVs are relative to ``csv_files/``. Columns (order UNKNOWN, matched by name): ``task_id``,
``task_name`` (segmentation | classification | detection | Regression), ``num_classes``, ``image_path``, then
``mask_path`` (segmentation: grey label map, value = class), ``mask`` (classification: the class index), ``x_min,
y_min, x_max, y_max`` (detection: one box, pixels) or ``point_1_xy .. point_K_xy`` (regression: JSON "[x, y]").

Conversion: one sample per CSV row, id ``<split>_<task_id>_<image stem>``; each segmentation task is its own mask target
(classes ``class_1..class_{n-1}``, names not published); classification labels are ``<task_id>/<index>``; boxes take
the task id as category; regression points go to ``points``. ``extra`` records task_id, task_name and num_classes.
Split: the ``train`` / ``val`` folders (the final test set is hidden on Codabench).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

from ...formats.sample import Box
from ..base import CommonOptions, ConvertContext, Converter, Item, register
from ..common import MaskSpec, canonical_split, image_decode, mask_decode
from ..generic_csv import read_csv_rows

POINT_COLUMN = re.compile(r"point_(\d+)_xy", re.IGNORECASE)


def _num(text: str | None) -> float | None:
    try:
        return float(text) if text not in (None, "") else None
    except ValueError:
        return None


@register
class FmUia(Converter):
    name = "fm-uia-2026"
    summary = "data/{train,val}/csv_files/*.csv indexing segmentation, classification, detection and regression tasks"
    Options = CommonOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        split_dirs = ctx.find_dirs(lambda d: (d / "csv_files").is_dir())
        if not split_dirs:
            ctx.find_dir(lambda d: False, "a split folder with csv_files/")
        ctx.split_note = "Official train and val folders; the challenge's test set is hidden (Codabench)."
        rows: list[tuple[str, Path, int, dict[str, str]]] = []
        for d in split_dirs:
            split = canonical_split(d.name)
            for csv_path in sorted((d / "csv_files").glob("*.csv")):
                for n, row in enumerate(read_csv_rows(ctx, csv_path), start=2):
                    rows.append((split, csv_path, n, {k.lower(): v for k, v in row.items()}))
        labels: set[str] = set()
        seg_tasks: dict[str, int] = {}
        det_tasks: set[str] = set()
        for _, _, _, row in rows:
            kind, task = row.get("task_name", "").lower(), row.get("task_id", "")
            ncls = int(_num(row.get("num_classes")) or 0)
            if kind == "classification":
                labels.update(f"{task}/{k}" for k in range(ncls))
            elif kind == "segmentation":
                seg_tasks[task] = max(seg_tasks.get(task, 0), ncls)
            elif kind == "detection":
                det_tasks.add(task)
        for task, ncls in sorted(seg_tasks.items()):
            ctx.declare_target(
                task,
                {0: "background", **{k: f"class_{k}" for k in range(1, max(ncls, 2))}},
                f"segmentation subtask {task}; class names are not published",
            )
        ctx.declare_labels(sorted(labels))
        ctx.declare_box_categories(sorted(det_tasks))
        for split, csv_path, line, row in rows:
            item = self._item(ctx, split, csv_path, line, row)
            if item is not None:
                yield item

    def _item(self, ctx: ConvertContext, split: str, csv_path: Path, line: int, row: dict[str, str]) -> Item | None:
        where = f"{ctx.rel(csv_path)}:{line}"
        task, kind = row.get("task_id", ""), row.get("task_name", "").lower()
        ncls = int(_num(row.get("num_classes")) or 0)
        rel = row.get("image_path", "")
        base = csv_path.parent
        image = Path(os.path.normpath(base / rel)) if rel else None
        sid = f"{split}_{task}_{Path(rel).stem}" if rel else f"{split}_{task}_{line}"
        if image is None or not image.is_file():
            ctx.problem("missing_image", csv_path, f"line {line}: image {rel!r} is not in the download", sample_id=sid)
            return None
        item = Item(
            sample_id=sid,
            image=image_decode(ctx, image),
            source_file=ctx.rel(image),
            split=split,
            extra={"task_id": task, "task_name": row.get("task_name", ""), "num_classes": ncls},
            annotation_file=where,
        )
        if kind == "segmentation":
            mrel = row.get("mask_path", "")
            mask = Path(os.path.normpath(base / mrel)) if mrel else None
            if mask is None or not mask.is_file():
                ctx.problem(
                    "missing_mask",
                    csv_path,
                    f"line {line}: mask {mrel!r} is not in the download; skipped",
                    sample_id=sid,
                )
                return None
            item.masks[task] = mask_decode(ctx, mask, MaskSpec(encoding="index"), task)
        elif kind == "classification":
            value = row.get("mask", row.get("label", ""))
            number = _num(value)
            idx = int(number) if number is not None else None
            if idx is None or not 0 <= idx < ncls:
                ctx.problem(
                    "unknown_label",
                    csv_path,
                    f"line {line}: class {value!r} is outside 0..{ncls - 1} of "
                    f"task {task}; the sample is kept without a label",
                    sample_id=sid,
                )
            else:
                item.label = f"{task}/{idx}"
        elif kind == "detection":
            x0, y0, x1, y1 = (_num(row.get(k)) for k in ("x_min", "y_min", "x_max", "y_max"))
            if x0 is None or y0 is None or x1 is None or y1 is None:
                ctx.problem("annotation_unreadable", csv_path, f"line {line}: box coordinates missing", sample_id=sid)
                return None
            item.boxes = [Box(x0, y0, x1, y1, category=task)]
        elif kind == "regression":
            cols = sorted((int(m.group(1)), k) for k in row if (m := POINT_COLUMN.fullmatch(k)))
            for _, col in cols:
                try:
                    x, y = json.loads(row[col])
                    item.points.append((float(x), float(y)))
                except (ValueError, TypeError):
                    ctx.problem(
                        "annotation_unreadable",
                        csv_path,
                        f"line {line}: {col} = {row[col]!r} is not '[x, y]'",
                        sample_id=sid,
                    )
                    return None
        else:
            ctx.problem(
                "unknown_label", csv_path, f"line {line}: unknown task_name {row.get('task_name')!r}", sample_id=sid
            )
            return None
        return item
