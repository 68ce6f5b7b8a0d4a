"""TUS-REC2025 (MICCAI 2025 trackerless freehand reconstruction challenge): tracked forearm scans as sampled frames.

Layout (from the challenge's data page, ``UCL/tus-rec-challenge`` ``data.md``, and the organisers' baseline README,
``QiLi111/TUS-REC2025-Challenge_baseline``):

- training data (Zenodo 15224704, ``Freehand_US_data_train_2025.zip``)
  ``Freehand_US_data_train_2025/frames_transfs/<subject>/{RH,LH}_rotation.h5``, each file one scan with ``frames``
  ([N, H, W]) and ``tforms`` ([N, 4, 4], tracker tool to camera space); ``landmarks/landmark_<subject>.h5`` and
  ``calib_matrix.csv`` beside it;
- validation data (Zenodo 15699958) ``Freehand_US_data_val_2025/frames/<subject>/<scan>.h5`` (``frames`` only) with
  the scan's transforms in a separate file ``transfs/<subject>/<scan>.h5`` (``tforms``), ``landmarks/``,
  ``calib_matrix.csv`` and ``dataset_keys.h5``.

Sampling: ``frames`` (default 10) frames per scan, evenly spaced from the first to the last frame (every frame of a
shorter scan); sample id ``<subject>_<scan>_f<frame>``. The split is the folder's (``frames_transfs``: train,
``frames``: val); the subject is the three-digit folder (the challenge keeps subject ids across its 2024 and 2025
data), so a subject's frames stay in one split. The frame's 4 x 4 tracker pose is kept in the sample's ``extra``
(row-major): from the scan file's ``tforms``, or for a validation scan from its transform file, paired as the
organisers' evaluation code pairs them (``transfs/`` + the scan's subject folder and file name; the sample's
annotation file). A validation scan without its transform file is converted without poses, with a warning. Shapes
are checked before anything is read (``frames`` at most ``MAX_FRAMES`` x ``MAX_FRAME_PIXELS``, ``tforms`` exactly
[N, 4, 4]), and only the sampled poses are read. Landmarks and the calibration matrix are not converted.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import Field

from ..base import CommonOptions, ConvertContext, Converter, Decode, Item, register
from ..decode import BadData
from ._volumes import MAX_SLICES, spread
from .stanford_thyroid_cineclip import _open, h5_frame

SPLIT_DIRS = {"frames_transfs": "train", "frames": "val"}
SUBJECT = re.compile(r"^\d{3}$")
MAX_FRAMES = 100_000  # per scan; the 2025 scans have about 1,500
MAX_FRAME_PIXELS = 16_000_000  # per frame; the scans' frames are 480 x 640


class TusRecOptions(CommonOptions):
    frames: int = Field(10, ge=1, le=MAX_SLICES, description="Frames sampled per scan, evenly spaced over the scan.")


def scan_files(ctx: ConvertContext, folder_splits: bool = True) -> list[tuple[str | None, str, Path]]:
    """(split, subject, path) of every scan file, ``<NNN>/<scan>.h5``.

    With ``folder_splits`` only scans under ``frames_transfs/`` (train) or ``frames/`` (val) count, split from that
    folder; otherwise any ``<NNN>/`` folder except ``transfs/`` and ``landmarks/`` holds scans: those under
    ``frames/`` (the validation archive) are val, the others (the training parts) train.
    """
    out: list[tuple[str | None, str, Path]] = []
    for f in ctx.files():
        if f.suffix.lower() != ".h5" or not SUBJECT.match(f.parent.name):
            continue
        parent = f.parent.parent.name
        if folder_splits and parent in SPLIT_DIRS:
            out.append((SPLIT_DIRS[parent], f.parent.name, f))
        elif not folder_splits and parent not in ("transfs", "landmarks"):
            out.append(("val" if parent == "frames" else "train", f.parent.name, f))
    return out


def pose_file(scan: Path) -> Path | None:
    """The validation layout's transform file of a scan: ``frames/<NNN>/<scan>.h5`` pairs with
    ``transfs/<NNN>/<scan>.h5`` beside ``frames/`` (the organisers' test.py opens both from the same subject folder and
    scan name); None for a scan outside ``frames/`` or without that file."""
    if scan.parent.parent.name != "frames":
        return None
    paired = scan.parent.parent.parent / "transfs" / scan.parent.name / scan.name
    return paired if paired.is_file() else None


def _frames_shape(h5: Any) -> tuple[int, ...]:
    if "frames" not in h5:
        raise BadData("unreadable", "the scan file has no 'frames' dataset")
    shape = tuple(int(n) for n in h5["frames"].shape)
    if len(shape) != 3 or shape[0] == 0:
        raise BadData("unreadable", f"'frames' has shape {shape}, not [N, H, W] with N > 0")
    if shape[0] > MAX_FRAMES or shape[1] * shape[2] > MAX_FRAME_PIXELS:
        raise BadData("too_large", f"'frames' has shape {shape}, over {MAX_FRAMES} frames or {MAX_FRAME_PIXELS} pixels")
    return shape


class TusRecScans(Converter):
    """Shared by the TUS-REC editions: tracked scans in HDF5 files, sampled as frames."""

    summary = "frames_transfs/<subject>/<scan>.h5 (frames, tforms) and frames/<subject>/<scan>.h5, frames sampled"
    Options = TusRecOptions
    layout = "frames_transfs/<subject>/<scan>.h5 or frames/<subject>/<scan>.h5 with transfs/<subject>/<scan>.h5"
    folder_splits = True
    split_note = "Official split: training data in frames_transfs/, validation data in frames/ (by subject)."

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        opts = ctx.options_as(TusRecOptions)
        ctx.split_note = self.split_note
        scans = scan_files(ctx, self.folder_splits)
        if not scans:
            ctx.find_dir(lambda d: False, self.layout)
        for split, subject, path in scans:
            sid = f"{subject}_{path.stem}"
            try:
                with _open(str(path)) as h5:
                    shape = _frames_shape(h5)
                    rows = spread(range(shape[0]), opts.frames)
                    own = "tforms" in h5
                    poses = self._poses(ctx, path, h5, shape[0], rows, sid) if own else None
            except BadData as exc:
                ctx.problem(exc.kind, path, exc.message, sample_id=sid)
                continue
            paired = None if own else pose_file(path)
            if paired is not None:
                try:
                    with _open(str(paired)) as h5:
                        poses = self._poses(ctx, paired, h5, shape[0], rows, sid)
                except BadData as exc:
                    ctx.problem(exc.kind, paired, f"{exc.message}; poses not kept", sample_id=sid, severity="warning")
            elif not own and path.parent.parent.name == "frames":
                message = f"no transfs/{subject}/{path.name} beside frames/: poses not kept"
                ctx.problem("missing_annotation", path, message, sample_id=sid, severity="warning")
            rel = ctx.rel(path)
            for i, k in enumerate(rows):
                extra: dict[str, object] = {"scan": path.stem, "frames_in_scan": shape[0]}
                if poses is not None:
                    extra["tform"] = [float(v) for v in poses[i].reshape(-1)]
                yield Item(
                    sample_id=f"{sid}_f{k:05d}",
                    image=Decode(h5_frame, (str(path), "frames", k), source=rel),
                    source_file=rel,
                    split=split,
                    subject_id=subject,
                    frame=k,
                    extra=extra,
                    annotation_file=ctx.rel(paired) if paired is not None and poses is not None else None,
                )

    @staticmethod
    def _poses(ctx: ConvertContext, path: Path, h5: Any, n_frames: int, rows: list[int], sid: str) -> np.ndarray | None:
        """The 4 x 4 poses of ``rows`` from the file's ``tforms``, its shape checked before anything is read; None (a
        warning) when it has none or another shape."""
        if "tforms" not in h5:
            ctx.problem(
                "missing_annotation", path, "no 'tforms' dataset; poses not kept", sample_id=sid, severity="warning"
            )
            return None
        shape = tuple(int(n) for n in h5["tforms"].shape)
        if shape != (n_frames, 4, 4):
            message = f"'tforms' has shape {shape}, not [{n_frames}, 4, 4]; poses not kept"
            ctx.problem("size_mismatch", path, message, sample_id=sid, severity="warning")
            return None
        return np.asarray(h5["tforms"][rows], dtype=np.float64)


@register
class TusRec2025(TusRecScans):
    name = "tus-rec-2025"
