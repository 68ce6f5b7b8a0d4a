"""Maternal-fetal intrapartum ultrasound videos of the IUGC 2024 challenge (Zenodo 17655183, release V3).

Layout (from ultatron's ``data/adapters/maternal_fetal/maternal_fetal_us_video_intrapartum.py``, which reads the real
download): ``DatasetV3/{train,val,test}/`` each hold ``videos/<name>.avi``, ``seg/seg_info.csv`` (``filename`` and
the segmented frame indices: column ``labeled_index`` in train, ``labeled_frame_index`` in val and test),
``seg/landmark.json`` and the segmentation masks, named differently per split:

- train: ``seg/<name>/mask/<name>_<frame>_6.png`` (the ``_6`` suffix is fixed, not a frame index);
- val: ``seg/<name>_<frame>.png``;
- test: ``seg/<name>.png`` (one segmented frame per video).

One sample per segmented frame, ``<name>_f<frame>``: the frame of the video (``frame`` = the index as seg_info.csv
gives it, read as a 0-based index, as ultatron's adapter uses it) with its mask. Target ``psfh``: 0 background,
1 pubic symphysis, 2 fetal head (the adapter's label values). ``landmark.json`` (keyed by the mask's file name) gives
``[y, x]`` points: when the two pubic-symphysis points, the head-symphysis-distance point and the AoP tangency point
are all there, they become the sample's points in that order (as ``x, y``), and ``aop`` and ``hsd`` go to ``extra``.
The split is the folder's (the official one); the video is the subject (no woman identifier is released).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..base import CommonOptions, ConvertContext, Converter, Decode, Item, register
from ..common import canonical_split, read_json
from ..decode import mask_index
from ..tables import CsvTable
from ._video import read_frame

CLASSES = {0: "background", 1: "pubic symphysis", 2: "fetal head"}
SPLITS = ("train", "val", "test")
INDEX_COLUMNS = ("labeled_index", "labeled_frame_index")
MAX_INDICES = 10_000
MAX_FRAME = 1_000_000


def _indices(text: str | None) -> list[int] | None:
    """Frame indices of a seg_info.csv cell ('[3, 17]', '3;17', '12'); None if the cell cannot be read."""
    value = (text or "").strip()
    if not value or value.lower() in {"none", "null", "nan"}:
        return []
    try:
        parsed = ast.literal_eval(value)
    except (ValueError, SyntaxError):
        parsed = [p for p in value.strip("[]").replace(";", ",").replace("|", ",").split(",") if p.strip()]
    items = parsed if isinstance(parsed, (list, tuple)) else [parsed]
    out = []
    for item in items[:MAX_INDICES]:
        try:
            number = float(item)
        except (TypeError, ValueError):
            return None
        if number != int(number) or not 0 <= number < MAX_FRAME:
            return None
        out.append(int(number))
    return sorted(set(out))


def _point(value: Any) -> tuple[float, float] | None:
    """An ``[y, x]`` landmark (numbers or numeric strings) as ``(x, y)``."""
    if not isinstance(value, (list, tuple)) or len(value) < 2:
        return None
    try:
        return float(value[1]), float(value[0])
    except (TypeError, ValueError):
        return None


def _mask_path(split: str, seg: Path, stem: str, frame: int) -> Path:
    if split == "train":
        return seg / stem / "mask" / f"{stem}_{frame}_6.png"
    if split == "val":
        return seg / f"{stem}_{frame}.png"
    return seg / f"{stem}.png"


@register
class IntrapartumVideo2026(Converter):
    name = "intrapartum-video-2026"
    summary = "DatasetV3/{train,val,test}/videos/*.avi with seg/seg_info.csv, seg masks and landmark.json"
    Options = CommonOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        root = ctx.find_dir(
            lambda d: any((d / s / "videos").is_dir() for s in SPLITS), "a folder with {train,val,test}/videos/"
        )
        ctx.declare_target("psfh", CLASSES, "pubic symphysis and fetal head (IUGC 2024 masks)")
        ctx.split_note = "Official split: the DatasetV3/{train,val,test} folders."
        for split in SPLITS:
            folder = root / split
            if (folder / "videos").is_dir():
                yield from self._split(ctx, split, folder)

    def _split(self, ctx: ConvertContext, split: str, folder: Path) -> Iterator[Item]:
        seg = folder / "seg"
        table = seg / "seg_info.csv"
        labelled: dict[str, list[int]] = {}
        if table.is_file():
            with CsvTable(ctx, table) as reader:
                columns = set(reader.columns)
                if "filename" not in columns or not columns & set(INDEX_COLUMNS):
                    ctx.problem(
                        "annotation_unreadable",
                        table,
                        f"no 'filename' or frame-index column ({' or '.join(INDEX_COLUMNS)}): "
                        "no frame of this split is converted",
                    )
                for line, row in reader.rows():
                    name = Path((row.get("filename") or "").strip()).stem
                    cell = next((row[c] for c in INDEX_COLUMNS if row.get(c) not in (None, "")), "")
                    indices = _indices(cell)
                    if not name or indices is None:
                        ctx.problem(
                            "annotation_unreadable", table, f"line {line}: no file name or unreadable frame index"
                        )
                        continue
                    labelled[name] = indices
        else:
            ctx.problem("missing_annotation", folder, "no seg/seg_info.csv: no frame of this split is converted")
        landmarks = self._landmarks(ctx, seg / "landmark.json")
        videos = sorted(p for p in (folder / "videos").iterdir() if p.is_file() and p.suffix.lower() == ".avi")
        for video in videos:
            frames = labelled.get(video.stem, [])
            if not frames:
                ctx.ignore_file(video, "no segmented frame in seg_info.csv (frame-level classification only)")
                continue
            found = [(f, _mask_path(split, seg, video.stem, f)) for f in frames]
            wanted = tuple(f for f, mask in found if mask.is_file())
            for frame, mask in found:
                sid = f"{video.stem}_f{frame}"
                if not mask.is_file():
                    ctx.problem(
                        "missing_mask", video, f"frame {frame}: no mask {ctx.rel(mask)}; skipped", sample_id=sid
                    )
                    continue
                mark = landmarks.get(mask.name, {})
                raw_ps = mark.get("ps_points")
                ps: list[Any] = raw_ps if isinstance(raw_ps, list) else []
                pts = [_point(p) for p in ps[:2]] + [_point(mark.get("hsd_point")), _point(mark.get("aop_tangency"))]
                points = [p for p in pts if p is not None] if len(ps) >= 2 and None not in pts else []
                extra = {k: mark[k] for k in ("aop", "hsd") if mark.get(k) not in (None, "")}
                yield Item(
                    sample_id=sid,
                    image=Decode(read_frame, (str(video), frame, wanted), source=ctx.rel(video)),
                    source_file=ctx.rel(video),
                    masks={"psfh": Decode(mask_index, (str(mask),), source=ctx.rel(mask))},
                    split=canonical_split(split),
                    subject_id=video.stem,
                    points=points,
                    frame=frame,
                    extra=extra,
                    annotation_file=ctx.rel(seg / "landmark.json") if mark else None,
                )

    @staticmethod
    def _landmarks(ctx: ConvertContext, path: Path) -> dict[str, dict[str, Any]]:
        if not path.is_file():
            return {}
        with open(path, "rb") as fh:
            head = fh.read(1 << 16)
        if len(head) < 1 << 16 and not head.strip():
            return {}  # an empty (or blank) file: no landmarks
        data = read_json(ctx, path, dict, "a JSON object keyed by mask name", "landmarks ignored") or {}
        return {str(k): v for k, v in data.items() if isinstance(v, dict)}
