"""COVIDx-US (NRC Canada / University of Waterloo): lung ultrasound videos gathered from public sources and processed
into frames by the authors' notebook.

Layout (from ``create_COVIDxUS.ipynb`` and ``image_data.py`` of nrc-cnrc/COVID-US@caf3aca, the code that builds the
dataset): the notebook runs in a clone of the repository and writes, under ``data/``,

- ``video/original/`` (the downloads), ``video/cropped/<id>_prc.avi`` and ``video/clean/<id>_prc_<probe>_clean.avi``;
- ``image/original/`` and ``image/cropped/<id>_prc_<probe>_frame<N>.jpg`` (every frame, then frames with artefacts on
  the region of interest deleted);
- ``image/clean/<id>_prc_<probe>_clean_frame<N>.jpg``: the cropped frames after on-screen overlays are inpainted (or
  copied as they are when a video needs no mask): the dataset's processed images;
- ``mask/<id>_prc_<probe>_frame<N>_mask.jpg``: the overlay masks used for inpainting (shipped in the repository).

``<id>`` is the video id of the repository's label tables, ``<number>_<source>_<class>`` (``6_butterfly_covid``);
``<probe>`` is ``convex`` or ``linear``. ``labels/COVIDx-US1.4_4class.csv`` gives each id its 4-class label (COVID,
Pneumonia, Normal, Other), its LUSS score, source, probe and a de-identified patient id.

- One sample per ``data/image/clean`` frame: label, subject (the patient column) and LUSS from the label table; the
  video is kept in ``extra`` and as the split group. No split is published: the seeded split keeps patients whole.
- The intermediate frames (``image/original``, ``image/cropped``), the inpainting masks and the repository's figures
  are left out on purpose. A frame whose video is not in the label table is kept without label or subject, reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from pydantic import Field

from ..base import CommonOptions, ConvertContext, Converter, Item, register
from ..common import image_decode
from ..patterns import IMAGE_EXTS
from ..splits import SPLIT_GROUP
from ..tables import csv_dicts

CLEAN_FRAME = re.compile(
    r"^(?P<video>\d+_[A-Za-z]+_[A-Za-z]+)_prc_(?P<probe>convex|linear)_clean_frame(?P<frame>\d+)\.jpg$", re.I
)
#: why a folder's image files are not converted (relative to the repository clone)
LEFT_OUT = {
    "data/image/original": "frames of the original videos, before cropping and cleaning",
    "data/image/cropped": "cropped frames before overlays are inpainted; their cleaned copies are in data/image/clean",
    "data/mask": "overlay masks the notebook inpaints with, not annotations",
    "figure": "README figures",
    "utils": "README sample",
}
_IMAGE_SUFFIXES = tuple(f".{e}" for e in IMAGE_EXTS)


class CovidxUsOptions(CommonOptions):
    labels_table: str = Field(
        "labels/COVIDx-US1.4_4class.csv",
        description="The label table (id, LUSS, source, probe, class, ..., patient), relative to the clone.",
    )


def _read_table(ctx: ConvertContext, path: Path) -> dict[str, tuple[int, dict[str, str]]]:
    """Video id -> (line, row) of the label table (the first row of an id is kept; a repeat is reported)."""
    rows: dict[str, tuple[int, dict[str, str]]] = {}
    for line, row in csv_dicts(ctx, path, strip=True):
        vid = row.get("id", "")
        if not vid:
            ctx.problem("annotation_unreadable", path, f"line {line}: no video id", "warning")
        elif vid in rows:
            ctx.problem("annotation_unreadable", path, f"line {line}: video {vid} is listed twice; the first is kept")
        else:
            rows[vid] = (line, row)
    return rows


@register
class CovidxUs(Converter):
    name = "covidx-us"
    summary = "data/image/clean/<id>_prc_<probe>_clean_frame<N>.jpg with labels/COVIDx-US1.4_4class.csv"
    Options = CovidxUsOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        opts = ctx.options_as(CovidxUsOptions)
        root = ctx.find_dir(lambda d: (d / "data" / "image" / "clean").is_dir(), "data/image/clean/ (the notebook's)")
        table = root / opts.labels_table
        videos: dict[str, tuple[int, dict[str, str]]] = {}
        if table.is_file():
            videos = _read_table(ctx, table)
        else:
            ctx.problem("missing_annotation", root, f"{opts.labels_table} is missing: frames have no label or subject")
        ctx.declare_labels(sorted({row.get("class", "") for _, row in videos.values()} - {""}))
        clean = root / "data" / "image" / "clean"
        unlisted: set[str] = set()
        for f in ctx.files():
            rel = f.relative_to(root).as_posix() if f.is_relative_to(root) else ""
            if f.parent != clean:
                why = next((w for d, w in LEFT_OUT.items() if rel.startswith(d + "/")), None)
                if why and f.name.lower().endswith(_IMAGE_SUFFIXES):
                    ctx.ignore_file(f, why)
                continue
            m = CLEAN_FRAME.match(f.name)
            if not m:
                continue  # not a cleaned frame: reported as dropped by the pipeline
            video = m.group("video")
            line, row = videos.get(video, (0, {}))
            if not row and video not in unlisted and videos:
                unlisted.add(video)
                ctx.problem("missing_annotation", table, f"video {video} is not in {table.name}: no label, no subject")
            extra: dict[str, object] = {"source_video": video, "probe": m.group("probe").lower(), SPLIT_GROUP: video}
            for column in ("source", "LUSS"):
                if row.get(column):
                    extra[column.lower()] = row[column]
            yield Item(
                sample_id=f.stem,
                image=image_decode(ctx, f),
                source_file=ctx.rel(f),
                subject_id=row.get("patient") or None,
                label=ctx.check_label(row.get("class"), table, f.stem) if row else None,
                frame=int(m.group("frame")),
                extra=extra,
                annotation_file=f"{ctx.rel(table)}:{line}" if row else None,
            )
