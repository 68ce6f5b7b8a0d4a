"""TUS-REC2025 (MICCAI 2025 trackerless freehand reconstruction challenge): tracked forearm scans as sampled frames.

Layout (from the challenge's data page, ``UCL/tus-rec-challenge`` ``data.md``):

- training data ``Freehand_US_data_train_2025/frames_transfs/<subject>/{RH,LH}_rotation.h5``, each file one scan with
  ``frames`` ([N, H, W]) and ``tforms`` ([N, 4, 4], tracker tool to camera space); ``landmarks/landmark_<subject>.h5``
  and ``calib_matrix.csv`` beside it;
- validation data ``Freehand_US_data_val_2025/frames/<subject>/*.h5`` (frames only) with the transforms in a separate
  ``transfs/<subject>/`` folder, ``landmarks/``, ``calib_matrix.csv`` and ``dataset_keys.h5``.

Sampling: ``frames`` (default 10) frames per scan, evenly spaced from the first to the last frame (every frame of a
shorter scan); sample id ``<subject>_<scan>_f<frame>``. The split is the folder's (``frames_transfs``: train,
``frames``: val); the subject is the three-digit folder (the challenge keeps subject ids across its 2024 and 2025
data), so a subject's frames stay in one split. When the scan file holds ``tforms``, the frame's 4 x 4 tracker pose
is kept in the sample's ``extra`` (row-major). Landmarks and the calibration matrix are not converted.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from pydantic import Field

from ..base import CommonOptions, ConvertContext, Converter, Decode, Item, register
from ..decode import BadData
from ._volumes import MAX_SLICES, spread
from .stanford_thyroid_cineclip import _open, h5_frame

SPLIT_DIRS = {"frames_transfs": "train", "frames": "val"}
SUBJECT = re.compile(r"^\d{3}$")


class TusRecOptions(CommonOptions):
    frames: int = Field(10, ge=1, le=MAX_SLICES, description="Frames sampled per scan, evenly spaced over the scan.")


def scan_files(ctx: ConvertContext, folder_splits: bool = True) -> list[tuple[str | None, str, Path]]:
    """(split, subject, path) of every scan file, ``<NNN>/<scan>.h5``.

    With ``folder_splits`` only scans under ``frames_transfs/`` (train) or ``frames/`` (val) count, split from that
    folder; otherwise any ``<NNN>/`` folder except ``transfs/`` and ``landmarks/`` holds scans, with no split.
    """
    out: list[tuple[str | None, str, Path]] = []
    for f in ctx.files():
        if f.suffix.lower() != ".h5" or not SUBJECT.match(f.parent.name):
            continue
        parent = f.parent.parent.name
        if folder_splits and parent in SPLIT_DIRS:
            out.append((SPLIT_DIRS[parent], f.parent.name, f))
        elif not folder_splits and parent not in ("transfs", "landmarks"):
            out.append((None, f.parent.name, f))
    return out


class TusRecScans(Converter):
    """Shared by the TUS-REC editions: tracked scans in HDF5 files, sampled as frames."""

    summary = "frames_transfs/<subject>/<scan>.h5 (frames, tforms) and frames/<subject>/<scan>.h5, frames sampled"
    Options = TusRecOptions
    layout = "frames_transfs/<subject>/<scan>.h5 or frames/<subject>/<scan>.h5"
    folder_splits = True
    split_note = "Official split: training data in frames_transfs/, validation data in frames/ (by subject)."

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        opts = ctx.options_as(TusRecOptions)
        ctx.split_note = self.split_note
        scans = scan_files(ctx, self.folder_splits)
        if not scans:
            ctx.find_dir(lambda d: False, self.layout)
        for split, subject, path in scans:
            rel = ctx.rel(path)
            sid = f"{subject}_{path.stem}"
            try:
                with _open(str(path)) as h5:
                    if "frames" not in h5:
                        raise BadData("unreadable", "the scan file has no 'frames' dataset")
                    shape = tuple(h5["frames"].shape)
                    tforms = np.asarray(h5["tforms"]) if "tforms" in h5 else None
            except BadData as exc:
                ctx.problem(exc.kind, path, exc.message, sample_id=sid)
                continue
            if len(shape) != 3 or shape[0] == 0:
                ctx.problem("unreadable", path, f"'frames' has shape {shape}, not [N, H, W] with N > 0", sample_id=sid)
                continue
            if tforms is not None and tforms.shape != (shape[0], 4, 4):
                ctx.problem(
                    "size_mismatch",
                    path,
                    f"'tforms' has shape {tforms.shape}, not [{shape[0]}, 4, 4]; poses not kept",
                    sample_id=sid,
                    severity="warning",
                )
                tforms = None
            for k in spread(range(shape[0]), opts.frames):
                extra: dict[str, object] = {"scan": path.stem, "frames_in_scan": shape[0]}
                if tforms is not None:
                    extra["tform"] = [float(v) for v in tforms[k].reshape(-1)]
                yield Item(
                    sample_id=f"{sid}_f{k:05d}",
                    image=Decode(h5_frame, (str(path), "frames", k), source=rel),
                    source_file=rel,
                    split=split,
                    subject_id=subject,
                    frame=k,
                    extra=extra,
                )


@register
class TusRec2025(TusRecScans):
    name = "tus-rec-2025"
