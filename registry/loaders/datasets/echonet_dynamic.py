"""EchoNet-Dynamic apical-4-chamber echocardiography videos (Stanford AIMI; Ouyang et al., Nature 2020).

Layout of the release (``EchoNet-Dynamic/``): ``Videos/<FileName>.avi`` (112 x 112), ``FileList.csv`` (``FileName``
with or without ``.avi``, ``EF``, ``ESV``, ``EDV``, ``FrameHeight``, ``FrameWidth``, ``FPS``, ``NumberOfFrames``,
``Split`` = TRAIN / VAL / TEST) and ``VolumeTracings.csv`` (``FileName``, ``X1``, ``Y1``, ``X2``, ``Y2``, ``Frame``):
for each traced frame (end-diastole and end-systole), the first row is the long axis of the left ventricle and the
following rows are the chords of the Simpson's-method tracing.

Sampling: one sample per traced frame, ``<FileName>_f<Frame>``; ``frame`` keeps the index in the video. The LV mask
is the polygon through the chords' first end points (in order) and their second end points (in reverse), filled, as
UltraSam's converter draws it (target ``lv``: 1 = left ventricle). The video is the subject (one patient each); the
split is FileList.csv's; EF, ESV and EDV go to ``extra``. Videos without a tracing are reported and not converted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..base import CommonOptions, ConvertContext, Converter, Decode, Item, register
from ..common import canonical_split
from ..decode import BadData, mask_polygons
from ..generic_csv import read_csv_rows
from ._video import check_frame_size


@lru_cache(maxsize=2)
def _video(path: str) -> np.ndarray:
    """Every frame of a video as an (n, h, w, 3) uint8 array (cached: a worker takes a video's frames in a row)."""
    try:
        import av
    except ImportError:  # pragma: no cover
        raise BadData("unreadable", "video input needs PyAV: pip install 'usreg[data]'") from None
    try:
        frames, kept = [], 0
        with av.open(path) as container:
            for frame in container.decode(video=0):  # every frame is kept: bounded as _video's picked frames are
                kept += frame.width * frame.height * 3
                check_frame_size(frame.width, frame.height, kept)
                frames.append(frame.to_ndarray(format="rgb24"))
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise BadData("unreadable", f"cannot decode the video: {exc}") from None
    if not frames:
        raise BadData("unreadable", "the video has no frames")
    return np.stack(frames)


def video_frame(path: str, frame: int) -> np.ndarray:
    """Frame ``frame`` (0-based) of a video file."""
    frames = _video(path)
    if not 0 <= frame < len(frames):
        raise BadData("unreadable", f"frame {frame} is outside the video's {len(frames)} frames")
    return frames[frame]


def tracing_polygon(rows: list[tuple[float, float, float, float]]) -> list[float]:
    """The LV outline from Simpson's chords: row 0 is the long axis; X1/Y1 forward, then X2/Y2 backward."""
    chords = rows[1:]
    points = [(x1, y1) for x1, y1, _, _ in chords] + [(x2, y2) for _, _, x2, y2 in reversed(chords)]
    return [c for p in points for c in p]


def _number(value: str) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def read_tracings(ctx: ConvertContext, path: Path) -> dict[str, dict[int, list[tuple[float, float, float, float]]]]:
    out: dict[str, dict[int, list]] = defaultdict(lambda: defaultdict(list))
    for n, row in enumerate(read_csv_rows(ctx, path), start=2):
        name = Path(row.get("FileName", "")).stem
        coords = [_number(row.get(k, "")) for k in ("X1", "Y1", "X2", "Y2")]
        frame = _number(row.get("Frame", ""))
        if not name or frame is None or any(c is None for c in coords):
            ctx.problem("annotation_unreadable", path, f"line {n}: incomplete tracing row {row}", severity="warning")
            continue
        out[name][int(frame)].append(tuple(coords))
    return out


@register
class EchonetDynamic(Converter):
    name = "echonet-dynamic"
    summary = "Videos/*.avi with FileList.csv (splits, EF) and VolumeTracings.csv (LV tracings of ED/ES frames)"
    Options = CommonOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        ctx.declare_target("lv", {0: "background", 1: "left ventricle"}, "filled Simpson's-method LV tracing")
        files = ctx.files()
        lists = [f for f in files if f.name == "FileList.csv"]
        traces = [f for f in files if f.name == "VolumeTracings.csv"]
        videos = {f.stem: f for f in files if f.suffix.lower() == ".avi" and f.parent.name == "Videos"}
        if not videos:
            ctx.find_dir(lambda d: False, "Videos/*.avi")
        info = {Path(r.get("FileName", "")).stem: r for f in lists for r in read_csv_rows(ctx, f)}
        tracings = read_tracings(ctx, traces[0]) if traces else {}
        if not traces:
            ctx.problem("missing_annotation", ctx.source_dir, "VolumeTracings.csv not found: no video can be converted")
        ctx.split_note = "Official split: FileList.csv's Split column (TRAIN / VAL / TEST)."
        for stem, video in sorted(videos.items()):
            traced = tracings.get(stem)
            if not traced:
                ctx.problem("missing_annotation", video, "no tracing in VolumeTracings.csv; not converted", "warning")
                continue
            row = info.get(stem)
            if lists and row is None:
                ctx.problem("missing_annotation", video, "not in FileList.csv: a seeded split is used", "warning")
            extra = {k.lower(): v for k in ("EF", "ESV", "EDV") if (v := _number((row or {}).get(k, ""))) is not None}
            split = canonical_split(row["Split"]) if row and row.get("Split") else None
            for frame, rows in sorted(traced.items()):
                sid = f"{stem}_f{frame:04d}"
                if len(rows) < 3:
                    ctx.problem("annotation_unreadable", video, f"frame {frame}: too few tracing rows", sample_id=sid)
                    continue
                yield Item(
                    sample_id=sid,
                    image=Decode(video_frame, (str(video), frame), source=ctx.rel(video)),
                    source_file=ctx.rel(video),
                    masks={
                        "lv": Decode(
                            mask_polygons, ([(1, tracing_polygon(rows))],), needs_shape=True, source=ctx.rel(traces[0])
                        )
                    },
                    split=split,
                    subject_id=stem,
                    frame=frame,
                    extra=extra,
                    annotation_file=ctx.rel(traces[0]),
                )
