"""Stanford AIMI thyroid ultrasound cine-clip dataset (192 nodules, 167 patients).

Layout of the download: ``dataset.hdf5`` with four datasets of one row per frame, ``annot_id`` (the clip / nodule
id, bytes, sometimes padded with ``_``), ``frame_num``, ``image`` (grey frames) and ``mask`` (nodule masks), plus
``metadata.csv`` (demographics, TI-RADS, pathology; not read by this loader).

Sampling: every frame of every clip is one sample, ``<annot_id>_f<frame_num>`` (``frame`` = frame_num); the mask's
non-zero pixels (255 in the release) are the nodule (target ``nodule``). The ``annot_id`` without its padding names
the clip (``extra.source_item``, so the declared 192 videos are counted in the one HDF5 file) and its group for the
seeded split (``extra.split_group``: a clip's frames stay together). It is not the patient: UltraBench reads it as
the patient id, but the release has 192 annot_ids for its 167 patients and no patient column, so no subject is set.
Frames are read from the HDF5 file one at a time.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Any

import numpy as np

from ..base import CommonOptions, ConvertContext, Converter, Decode, Item, register
from ..decode import MAX_FRAME_PIXELS, BadData
from ..splits import SPLIT_GROUP
from ._hdf5 import open_hdf5

KEYS = ("annot_id", "frame_num", "image", "mask")
MAX_ROWS = 1_000_000  # frames in the file (the release: 17,412)


def _open(path: str) -> Any:
    try:
        import h5py  # noqa: F401  (only checks that it is installed)
    except ImportError:  # pragma: no cover
        raise BadData("unreadable", "HDF5 input needs h5py: pip install 'usreg[data]'") from None
    try:
        return open_hdf5(path)
    except (OSError, ValueError) as exc:
        raise BadData("unreadable", f"not a readable HDF5 file: {exc}") from None


@lru_cache(maxsize=2)
def _h5(path: str) -> Any:
    """The file kept open in a worker process, which reads its frames one after another."""
    return _open(path)


def h5_frame(path: str, key: str, index: int, binary: bool = False) -> np.ndarray:
    """Row ``index`` of dataset ``key`` in an HDF5 file (a 2-D frame), as uint8; ``binary`` maps non-zero to 1."""
    try:
        arr = np.asarray(_h5(path)[key][index])
    except (KeyError, IndexError, OSError, ValueError) as exc:
        raise BadData("unreadable", f"{key}[{index}] cannot be read: {exc}") from None
    if arr.ndim == 3 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    if binary:
        return (arr != 0).astype(np.uint8)
    if arr.dtype != np.uint8:
        lo, hi = float(arr.min()), float(arr.max())
        arr = np.zeros(arr.shape, np.uint8) if hi <= lo else ((arr - lo) * (255.0 / (hi - lo))).astype(np.uint8)
    return arr


def _oversized(h5: Any) -> str | None:
    """What makes the file's datasets too large to plan (rows past ``MAX_ROWS``, frames past ``MAX_FRAME_PIXELS``),
    or None. A file of a few kB can declare 10^9 rows (chunks never written read as zeros): every row was a sample."""
    for key in KEYS:
        shape = tuple(h5[key].shape or ())
        if not shape or shape[0] > MAX_ROWS:
            return f"'{key}' has shape {shape}, not at most {MAX_ROWS:,} rows"
        if key in ("image", "mask") and int(np.prod(shape[1:], dtype=object)) > MAX_FRAME_PIXELS:
            return f"'{key}' has frames of shape {shape[1:]}, over {MAX_FRAME_PIXELS:,} pixels"
    return None


def _clip_id(value: Any) -> str:
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return text.strip().rstrip("_") or "clip"


@register
class StanfordThyroidCineclip(Converter):
    name = "stanford-thyroid-cineclip"
    summary = "dataset.hdf5 with per-frame annot_id, frame_num, image and mask datasets"
    Options = CommonOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        ctx.declare_target("nodule", {0: "background", 1: "thyroid nodule"}, "non-zero mask pixels")
        ctx.split_note = "No official split: a seeded split grouped by annot_id is assigned."
        found = [f for f in ctx.files() if f.name.lower() == "dataset.hdf5"]
        if not found:
            ctx.find_dir(lambda d: False, "dataset.hdf5")
        path = found[0]
        try:
            with _open(str(path)) as h5:
                missing = [k for k in KEYS if k not in h5]
                if missing:
                    ctx.problem("unreadable", path, f"dataset.hdf5 has no {', '.join(missing)} dataset(s)")
                    return
                oversized = _oversized(h5)
                if oversized:  # checked from the shapes, before any row is read or a sample planned
                    ctx.problem("unreadable", path, f"dataset.hdf5's {oversized}; not read")
                    return
                annot = h5["annot_id"][:]
                frames = h5["frame_num"][:]
                n, n_masks = len(h5["image"]), len(h5["mask"])
        except BadData as exc:
            ctx.problem(exc.kind, path, exc.message)
            return
        if not len(annot) == len(frames) == n == n_masks:
            ctx.problem("unreadable", path, "annot_id, frame_num, image and mask differ in length")
            return
        for i in range(n):
            clip = _clip_id(annot[i])
            frame = int(frames[i])
            yield Item(
                sample_id=f"{clip}_f{frame:04d}",
                image=Decode(h5_frame, (str(path), "image", i), source=ctx.rel(path)),
                source_file=ctx.rel(path),
                masks={"nodule": Decode(h5_frame, (str(path), "mask", i), {"binary": True}, source=ctx.rel(path))},
                frame=frame,
                extra={"row": i, "source_item": clip, SPLIT_GROUP: clip},
            )
