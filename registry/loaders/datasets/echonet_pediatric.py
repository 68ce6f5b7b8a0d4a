"""EchoNet-Pediatric echocardiography videos (Stanford AIMI; Reddy et al., JASE 2023).

Layout of the release: ``pediatric_echo_avi/pediatric_echo_avi/{A4C,PSAX}/`` each with ``Videos/<FileName>.avi``,
``FileList.csv`` (``FileName``, ``EF``, ``Sex``, ``Age``, ``Weight``, ``Height``, ``Split`` = a fold number 0-9) and
``VolumeTracings.csv`` (``FileName``, ``X``, ``Y``, ``Frame``): the LV outline of the traced end-diastolic and
end-systolic frames as a list of points; ``Frame`` reads ``No Systolic`` or ``No Diastolic`` where a phase was not
traced (those rows are skipped).

Sampling: one sample per traced frame, ``<view>_<FileName>_f<Frame>`` (``frame`` keeps the index), the LV mask being
the polygon through the points in order, filled (target ``lv``). The subject is the patient: the part of the file name
before its first ``-`` (``CR32a7555`` of ``CR32a7555-CR32a9850-000040``), which a real file listing shows shared by
a patient's A4C and PSAX videos, over several ages, always within one fold; a name without ``-`` is its own subject.
The ``Split`` column is a cross-validation fold, not a train/test split: it goes to ``extra`` (``fold``) with the view,
EF, age and sex, and a seeded split grouped by patient is assigned.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from ..base import CommonOptions, ConvertContext, Converter, Decode, Item, register
from ..decode import mask_polygons
from ..generic_csv import read_csv_rows
from .echonet_dynamic import _number, video_frame


def _tracings(ctx: ConvertContext, path: Path) -> dict[str, dict[int, list[float]]]:
    out: dict[str, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    for n, row in enumerate(read_csv_rows(ctx, path), start=2):
        frame_text = row.get("Frame", "")
        if frame_text.lower().startswith("no "):
            continue  # "No Systolic" / "No Diastolic": that phase was not traced
        x, y, frame = _number(row.get("X", "")), _number(row.get("Y", "")), _number(frame_text)
        name = Path(row.get("FileName", "")).stem
        if not name or x is None or y is None or frame is None:
            ctx.problem("annotation_unreadable", path, f"line {n}: incomplete tracing row {row}", severity="warning")
            continue
        out[name][int(frame)] += [x, y]
    return out


def patient(view: str, stem: str) -> str:
    """The patient of a video: its name before the first ``-`` (``CR32a7555-CR32a9850-000040``), else the video."""
    head, sep, _ = stem.partition("-")
    return head if sep and head else f"{view}_{stem}"


@register
class EchonetPediatric(Converter):
    name = "echonet-pediatric"
    summary = "{A4C,PSAX}/Videos/*.avi with FileList.csv (folds, EF) and VolumeTracings.csv (LV outline points)"
    Options = CommonOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        ctx.declare_target("lv", {0: "background", 1: "left ventricle"}, "filled LV outline of the traced frames")
        ctx.split_note = "FileList.csv's Split is a 10-fold index (kept as extra.fold); a seeded split by patient."
        views = ctx.find_dirs(lambda d: (d / "VolumeTracings.csv").is_file() and (d / "Videos").is_dir(), max_depth=5)
        if not views:
            ctx.find_dir(lambda d: False, "{A4C,PSAX}/ with Videos/ and VolumeTracings.csv")
        for view_dir in views:
            view = view_dir.name
            info = {Path(r.get("FileName", "")).stem: r for r in read_csv_rows(ctx, view_dir / "FileList.csv")}
            tracings = _tracings(ctx, view_dir / "VolumeTracings.csv")
            videos = sorted(p for p in (view_dir / "Videos").iterdir() if p.suffix.lower() == ".avi")
            for video in videos:
                traced = tracings.get(video.stem)
                if not traced:
                    ctx.problem(
                        "missing_annotation", video, "no tracing in VolumeTracings.csv; not converted", "warning"
                    )
                    continue
                row = info.get(video.stem, {})
                extra: dict = {"view": view}
                if row.get("Split", "") != "":
                    extra["fold"] = row["Split"]
                for key in ("EF", "Age"):
                    if (value := _number(row.get(key, ""))) is not None:
                        extra[key.lower()] = value
                if row.get("Sex"):
                    extra["sex"] = row["Sex"]
                for frame, points in sorted(traced.items()):
                    sid = f"{view}_{video.stem}_f{frame:04d}"
                    if len(points) < 6:
                        ctx.problem(
                            "annotation_unreadable", video, f"frame {frame}: fewer than 3 points", sample_id=sid
                        )
                        continue
                    yield Item(
                        sample_id=sid,
                        image=Decode(video_frame, (str(video), frame), source=ctx.rel(video)),
                        source_file=ctx.rel(video),
                        masks={"lv": Decode(mask_polygons, ([(1, points)],), needs_shape=True, source=ctx.rel(video))},
                        subject_id=patient(view, video.stem),
                        frame=frame,
                        extra=extra,
                        annotation_file=ctx.rel(view_dir / "VolumeTracings.csv"),
                    )
