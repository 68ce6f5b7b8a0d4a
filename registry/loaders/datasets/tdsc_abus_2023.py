"""TDSC-ABUS 2023: automated 3-D breast ultrasound volumes (NRRD) with tumour masks and a benign/malignant label.

Layout (from mralinp/tdsc-abus2023-pytorch's ``tdsc.py``, which reads the released folders): one folder per split,
``Train/``, ``Validation/``, ``Test/``, each with ``labels.csv`` (``case_id``, then the label ``M`` or ``B``, the
volume's path and the mask's path, relative to the split folder and written with Windows separators, e.g.
``DATA\\DATA_000.nrrd``, ``MASK\\MASK_000.nrrd``) and ``bbx_labels.csv`` (boxes derived from the masks; not used).
Users' copies keep the training volumes in two shard folders, ``Train/DATA/DATA00_49/`` and ``DATA50_99/``, which
``labels.csv`` does not name: a path that is not there is looked up by its file name under the same split folder,
where exactly one file must have it.

- Slicing: along the first axis of SimpleITK's array. Of the slices that show tumour, ``slices`` (default 10) evenly
  spaced ones are converted per volume (0: all of them); sample id ``<split>_<case>_s<slice>``.
- Target ``tumour`` (mask values 0/1, any non-zero voxel is 1); label ``malignant`` (M) or ``benign`` (B).
- Split: the folder; subject: the case (one volume per case).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from pydantic import Field

from ..base import CommonOptions, ConvertContext, Converter, Decode, Item, register
from ..decode import BadData
from ..generic_csv import read_csv_rows
from ._volumes import MAX_SLICES, spread
from .microseg import _mask_volume, _shape, mask_slice, volume_slice

SPLITS = {"train": "train", "validation": "val", "val": "val", "test": "test"}
LABELS = {"M": "malignant", "B": "benign"}


class TdscOptions(CommonOptions):
    slices: int = Field(10, ge=0, le=MAX_SLICES, description="Tumour slices taken per volume (0: every one).")


@register
class TdscAbus2023(Converter):
    name = "tdsc-abus-2023"
    summary = "{Train,Validation,Test}/labels.csv with DATA/*.nrrd volumes and MASK/*.nrrd tumour masks, sliced"
    Options = TdscOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        opts = ctx.options_as(TdscOptions)
        ctx.declare_target("tumour", {0: "background", 1: "tumor"}, "MASK_*.nrrd, any non-zero voxel")
        ctx.declare_labels(["malignant", "benign"])
        ctx.split_note = "Official split: the Train/, Validation/ and Test/ folders."
        tables = [f for f in ctx.files() if f.name.lower() == "labels.csv" and f.parent.name.lower() in SPLITS]
        if not tables:
            ctx.find_dir(lambda d: False, "{Train,Validation,Test}/labels.csv")
        for table in tables:
            split = SPLITS[table.parent.name.lower()]
            by_name: dict[str, list[Path]] = {}
            for f in ctx.files():
                if f.is_relative_to(table.parent):
                    by_name.setdefault(f.name.lower(), []).append(f)
            for n, row in enumerate(read_csv_rows(ctx, table), start=2):
                yield from self._case(ctx, opts, table, split, n, {k.lower(): v for k, v in row.items()}, by_name)

    def _case(
        self,
        ctx: ConvertContext,
        opts: TdscOptions,
        table: Path,
        split: str,
        line: int,
        row: dict,
        by_name: dict[str, list[Path]],
    ):
        case = row.get("case_id", "")
        sid = f"{split}_{case}"
        paths = []
        for column in ("data_path", "mask_path"):
            rel = row.get(column, "").replace("\\", "/")
            path = Path(os.path.normpath(table.parent / rel)) if rel else None
            if path is not None and not path.is_file() and len(by_name.get(path.name.lower(), [])) == 1:
                path = by_name[path.name.lower()][0]  # in a shard folder the table does not name (DATA00_49/)
            if path is None or not path.is_file() or not path.is_relative_to(ctx.source_dir):
                ctx.problem(
                    "missing_image", table, f"line {line}: {column} {rel!r} is not in the download", sample_id=sid
                )
                return
            paths.append(path)
        image, mask = paths
        label = LABELS.get(row.get("label", "").strip().upper())
        if label is None:
            ctx.problem("unknown_label", table, f"line {line}: label {row.get('label')!r} is not M or B", sample_id=sid)
        try:
            shape, labels = _shape(str(image)), _mask_volume(str(mask))
        except BadData as exc:
            ctx.problem(exc.kind, image, exc.message, sample_id=sid)
            return
        if shape[:3] != labels.shape[:3]:
            ctx.problem("size_mismatch", mask, f"mask volume {labels.shape} differs from image {shape}", sample_id=sid)
            return
        shown = [int(k) for k in np.flatnonzero(labels.reshape(labels.shape[0], -1).any(axis=1))]
        for k in spread(shown, opts.slices):
            yield Item(
                sample_id=f"{sid}_s{k:03d}",
                image=Decode(volume_slice, (str(image), k), source=ctx.rel(image)),
                source_file=ctx.rel(image),
                masks={"tumour": Decode(mask_slice, (str(mask), k), {"binary": True}, source=ctx.rel(mask))},
                split=split,
                subject_id=case,
                label=label,
                frame=k,
                annotation_file=f"{ctx.rel(table)}:{line}",
                extra={"slice": k, "depth": shape[0]},
            )
