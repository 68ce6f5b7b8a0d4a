"""Annotated heterogeneous ultrasound database (AHU, Yang et al., Sci Data 2025): web-sourced videos and photo series
with their anomalies in the file names.

Layout (ultatron's ``data/adapters/annotated_heterogeneous_us_db.py``, which reads the download):

- ``Filtered Data/Video_<case>_<anomalies>.mp4``: one video per case, e.g. ``Video_10_Tumor,Calcification.mp4``;
- ``Filtered Data/Photos_<case>_<anomalies>/<NN>.jpg``: a series of still images per case;
- ``Processed Data/noise_files.txt``: photo frames judged noisy, one path per line, ending
  ``<case>_<anomalies>\\<NN>.jpg``.

The anomalies are a comma-separated list from 13 names (anomalies, calcification, cyst, ectopic, hernia, inflammation,
injury, nodule, occupancy, polyp, stone, tumor, vascular), matched without regard to case, spaces or hyphens.

- Samples: ``frames`` (default 10) evenly spaced frames of each video (``Video_<case>_f<frame>``, frame index kept) and
  every photo not listed as noisy (``Photos_<case>_<NN>``); the noisy photos are left out on purpose.
- Label: the item's anomaly when it names exactly one; an item naming several keeps no single label (reported once),
  and every item keeps its anomalies in ``extra``. An unknown anomaly name is reported.
- Subject: the case id, so the frames of a video or a photo series stay in one split (no split is published: a
  seeded split grouped by case).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from pydantic import Field

from ..base import CommonOptions, ConvertContext, Converter, Decode, Item, register
from ..common import image_decode
from ..tables import read_lines
from ._video import VIDEO_EXTS, probe, read_frame
from ._volumes import spread

ANOMALIES = (
    "anomalies",
    "calcification",
    "cyst",
    "ectopic",
    "hernia",
    "inflammation",
    "injury",
    "nodule",
    "occupancy",
    "polyp",
    "stone",
    "tumor",
    "vascular",
)
NAME = re.compile(r"^(?P<kind>Video|Photos)_(?P<case>\d+)_(?P<labels>.+)$")
PHOTO_EXTS = (".jpg", ".jpeg", ".png")
MAX_NOISE_LINES = 1_000_000


class AhuOptions(CommonOptions):
    frames: int = Field(10, ge=1, le=10_000, description="Frames sampled per video, evenly spaced.")


def _anomaly(raw: str) -> str:
    return re.sub(r"[^a-z0-9_]+", "", raw.strip().lower().replace(" ", "_").replace("-", "_"))


def _noisy(ctx: ConvertContext, root: Path) -> set[tuple[str, str]]:
    """(photo folder without 'Photos_', frame stem) of every line of Processed Data/noise_files.txt."""
    out: set[tuple[str, str]] = set()
    for table in [p for p in ctx.files() if p.name.lower() == "noise_files.txt"][:1]:
        try:
            lines = read_lines(table, MAX_NOISE_LINES, ctx=ctx)
        except OSError as exc:
            ctx.problem("annotation_unreadable", table, f"not readable: {exc.strerror or exc}")
            continue
        for line in lines:
            parts = line.strip().replace("\\", "/").split("/")
            if len(parts) >= 2 and parts[-2].strip() and parts[-1].strip():
                out.add((parts[-2].strip(), _frame_key(Path(parts[-1].strip()).stem)))
    return out


def _frame_key(stem: str) -> str:
    """``02`` and ``2`` name the same photo (ultatron compares the numbers)."""
    return str(int(stem)) if stem.isdigit() else stem


@register
class AnnotatedHeterogeneousUsDb(Converter):
    name = "annotated-heterogeneous-us-db"
    summary = "Filtered Data/Video_<case>_<anomalies>.mp4 and Photos_<case>_<anomalies>/<NN>.jpg; frames sampled"
    Options = AhuOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        opts = ctx.options_as(AhuOptions)
        root = ctx.find_dir(lambda d: (d / "Filtered Data").is_dir(), "'Filtered Data/'")
        filtered = root / "Filtered Data"
        ctx.declare_labels(list(ANOMALIES))
        ctx.split_note = "No published split: a seeded split grouped by case."
        noisy = _noisy(ctx, root)
        for path in ctx.files():
            rel_parts = Path(ctx.rel(path)).parts
            if "Processed Data" in rel_parts and path.suffix.lower() in PHOTO_EXTS:
                ctx.ignore_file(path, "Processed Data holds processed copies; the converter reads Filtered Data")
        for entry in sorted(filtered.iterdir()):
            stem = entry.stem if entry.is_file() else entry.name
            m = NAME.match(stem)
            is_video = entry.is_file() and entry.suffix.lower() in VIDEO_EXTS
            if not m or (m.group("kind") == "Video") != is_video or (not is_video and not entry.is_dir()):
                if entry.is_file() and entry.suffix.lower() in PHOTO_EXTS:
                    ctx.problem("not_converted", entry, "not Video_<case>_<anomalies> or Photos_<case>_<anomalies>/")
                continue
            case = m.group("case")
            raw = [t for t in (s.strip() for s in m.group("labels").split(",")) if t]
            anomalies = list(dict.fromkeys(_anomaly(t) for t in raw))
            unknown = [t for t in raw if _anomaly(t) not in ANOMALIES]
            if unknown:
                ctx.problem("unknown_label", entry, f"anomaly {unknown} is not one of the 13 names", "warning")
            known = [a for a in anomalies if a in ANOMALIES]
            label = known[0] if len(known) == 1 else None
            if len(known) > 1:
                ctx.problem(
                    "multiple_labels",
                    entry,
                    f"{len(known)} anomalies ({', '.join(known)}): kept in extra, no single label",
                    "warning",
                )
            extra: dict[str, object] = {"case": case, "anomalies": known}
            if is_video:
                yield from self._video(ctx, entry, case, label, extra, opts.frames)
            else:
                yield from self._photos(ctx, entry, case, label, extra, noisy)

    def _video(
        self, ctx: ConvertContext, path: Path, case: str, label: str | None, extra: dict, frames: int
    ) -> Iterator[Item]:
        info = probe(str(path))
        if info is None or info[0] == 0:
            ctx.problem("unreadable", path, "not a readable video; skipped")
            return
        wanted = tuple(spread(range(info[0]), frames))
        rel = ctx.rel(path)
        for k in wanted:
            yield Item(
                sample_id=f"Video_{case}_f{k:05d}",
                image=Decode(read_frame, (str(path), k, wanted), source=rel),
                source_file=rel,
                subject_id=case,
                label=label,
                frame=k,
                extra={**extra, "frames_in_video": info[0]},
            )

    def _photos(
        self, ctx: ConvertContext, folder: Path, case: str, label: str | None, extra: dict, noisy: set
    ) -> Iterator[Item]:
        key = folder.name.removeprefix("Photos_")
        for path in sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in PHOTO_EXTS):
            if (key, _frame_key(path.stem)) in noisy:
                ctx.ignore_file(path, "listed as noisy in Processed Data/noise_files.txt")
                continue
            yield Item(
                sample_id=f"Photos_{case}_{path.stem}",
                image=image_decode(ctx, path),
                source_file=ctx.rel(path),
                subject_id=case,
                label=label,
                extra=extra,
            )
