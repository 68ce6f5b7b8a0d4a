"""COVID-BLUeS (Maastricht): BLUE-protocol lung ultrasound videos with a severity score per video, as sampled frames.

Layout (the authors' repository NinaWie/COVID-BLUES, which is the download; ultatron's ``data/adapters/lung/
covid_blues.py`` reads the same files): ``lus_videos/patient_<id>_<point>.mp4`` (points L1-L3, R1-R3, sometimes with a
repeat suffix ``_<n>``), ``severity.csv`` (``video_file`` without extension, ``Severity Score`` 0.0-3.0, A-lines,
B-lines, comments) and ``clinical_variables.csv`` (per patient; not used here).

- Frames: each video is sampled at about ``frame_rate`` frames per second (default 1), at most ``max_frames``
  (default 10) per video, starting at the first frame that is not blank; sample id ``<video stem>_<frame>``. In the
  real repository (NinaWie/COVID-BLUES at commit 1857a6f) 25 of the 362 videos open with two all-black frames
  (``patient_2_*``, ``patient_26_*``, ...): sampling from frame 0 made 25 black samples, identical across patients
  and splits. Such leading uniform frames (within the first sampling step) are skipped and reported
  (``blank_frame``, a warning).
- Label: the video's severity score from ``severity.csv`` as ``0``, ``1``, ``2`` or ``3``; a video the table does not
  score keeps no label (reported), a scored video that is missing is reported too.
- Subject: the patient id of the file name, so no patient's frames are in two splits (the README asks for this; no
  split is published, so a seeded split grouped by patient is drawn).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from pydantic import Field

from ..base import CommonOptions, ConvertContext, Converter, Decode, Item, register
from ..decode import BadData
from ..generic_csv import read_csv_rows
from ._video import every_nth, probe, read_frame

VIDEO = re.compile(r"^patient_(?P<patient>\d+)_(?P<point>[LR]\d+)(?:_(?P<repeat>\d+))?$", re.IGNORECASE)
LABELS = ["0", "1", "2", "3"]


class BluesOptions(CommonOptions):
    frame_rate: float = Field(1.0, gt=0, le=100, description="Sampling rate of the video frames (per second).")
    max_frames: int = Field(10, ge=1, le=10_000, description="Most frames taken from one video.")


def _first_shown(path: str, limit: int) -> int:
    """The index of the first of the video's first ``limit`` frames that is not uniform (all-black lead-in frames);
    0 when the first frame is not uniform, when all ``limit`` are, or when they cannot be decoded here (the worker
    then reports the video as unreadable)."""
    wanted = tuple(range(limit))
    try:
        for k in wanted:
            frame = read_frame(path, k, wanted)
            if frame.min() != frame.max():
                return k
    except BadData:
        return 0
    return 0


def _score(raw: str) -> str | None:
    try:
        value = float(raw)
    except ValueError:
        return None
    return str(int(value)) if value.is_integer() and str(int(value)) in LABELS else None


@register
class Blues(Converter):
    name = "blues"
    summary = "lus_videos/patient_<id>_<point>.mp4 with severity.csv scores; frames sampled, patient as subject"
    Options = BluesOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        opts = ctx.options_as(BluesOptions)
        root = ctx.find_dir(lambda d: (d / "lus_videos").is_dir(), "lus_videos/")
        ctx.declare_labels(LABELS)
        ctx.split_note = "No published split: a seeded split grouped by patient (the README asks not to mix them)."
        scores: dict[str, str | None] = {}
        table = root / "severity.csv"
        if table.is_file():
            for n, row in enumerate(read_csv_rows(ctx, table), start=2):
                stem = Path(row.get("video_file", "")).stem
                if not stem:
                    continue
                scores[stem] = _score(row.get("Severity Score", ""))
                if scores[stem] is None:
                    ctx.problem("unknown_label", table, f"line {n}: severity {row.get('Severity Score')!r} is not 0-3")
        else:
            ctx.problem("missing_annotation", root, "no severity.csv beside lus_videos/; frames keep no label")
        seen: set[str] = set()
        for path in sorted(p for p in (root / "lus_videos").iterdir() if p.is_file() and p.suffix.lower() == ".mp4"):
            m = VIDEO.match(path.stem)
            if not m:
                ctx.problem("not_converted", path, "file name is not patient_<id>_<point>.mp4; not converted")
                continue
            seen.add(path.stem)
            label = scores.get(path.stem)
            if path.stem not in scores and table.is_file():
                ctx.problem("missing_annotation", path, "severity.csv gives no score for this video", "warning")
            info = probe(str(path))
            if info is None or info[0] == 0:
                ctx.problem("unreadable", path, "not a readable video; skipped")
                continue
            count, fps = info
            step = every_nth(fps, opts.frame_rate)
            start = _first_shown(str(path), min(step, count))
            if start:
                ctx.problem(
                    "blank_frame",
                    path,
                    f"the video opens with {start} blank (uniform) frame(s); sampling starts at frame {start}",
                    "warning",
                )
            wanted = tuple(range(start, count, step)[: opts.max_frames])
            for k in wanted:
                yield Item(
                    sample_id=f"{path.stem}_{k:04d}",
                    image=Decode(read_frame, (str(path), k, wanted), source=ctx.rel(path)),
                    source_file=ctx.rel(path),
                    subject_id=m.group("patient"),
                    label=label,
                    frame=k,
                    annotation_file=ctx.rel(table) if label else None,
                    extra={"point": m.group("point").upper(), "fps": fps},
                )
        for stem in sorted(set(scores) - seen):
            ctx.problem("missing_image", table, f"severity.csv scores {stem!r}, which is not in lus_videos/", "warning")
