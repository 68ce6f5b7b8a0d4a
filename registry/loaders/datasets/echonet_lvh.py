"""EchoNet-LVH (Duffy et al. 2022): parasternal long-axis echo videos with LV wall and cavity caliper measurements.

Layout (from ultatron's ``data/adapters/cardiac/echonet_lvh.py`` and zea's EchoNet-LVH converter, which read the real
download): ``EchoNet-LVH.zip`` unpacks to ``Batch1/`` ... ``Batch4/`` holding ``<HashedFileName>.avi`` and
``MeasurementsList.csv`` with columns ``HashedFileName, Calc, CalcValue, Frame, X1, X2, Y1, Y2, Frames, FPS, Width,
Height, split``: one row per caliper measurement (``IVSd``, ``LVIDd``, ``LVPWd``, ``IVSs``, ``LVIDs``, ``LVPWs``).

- One sample per measured frame of a video (``<HashedFileName>_<frame>``): the caliper end points of every
  measurement on that frame are the sample's points (in the order of ``Calc``), and ``{Calc: [value, x1, y1, x2, y2]}``
  goes to ``extra``. ``Frame`` is used as a 0-based frame index, as in EchoNet-Dynamic's tracings.
- Split from the ``split`` column (the official split); subject = the video (patient ids are not released).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from ..base import CommonOptions, ConvertContext, Converter, Decode, Item, register
from ..common import canonical_split
from ..tables import csv_dicts
from ._video import read_frame

MAX_FRAME = 100_000


def _num(text: str | None) -> float | None:
    try:
        return float(text) if text not in (None, "") else None
    except ValueError:
        return None


@register
class EchonetLvh(Converter):
    name = "echonet-lvh"
    summary = "Batch*/<hash>.avi with MeasurementsList.csv calipers; one sample per measured frame"
    Options = CommonOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        root = ctx.find_dir(lambda d: (d / "MeasurementsList.csv").is_file(), "MeasurementsList.csv")
        table = root / "MeasurementsList.csv"
        videos = {p.stem.upper(): p for p in sorted(root.glob("Batch*/*")) if p.suffix.lower() == ".avi"}
        frames: dict[tuple[str, int], list[tuple[int, dict[str, str]]]] = defaultdict(list)
        splits: dict[str, str] = {}
        for line, row in csv_dicts(ctx, table):
            name = (row.get("HashedFileName") or "").strip()
            frame = _num(row.get("Frame"))
            if not name or frame is None or not 0 <= frame < MAX_FRAME or frame != int(frame):
                ctx.problem("annotation_unreadable", table, f"line {line}: no file name or no frame index; ignored")
                continue
            frames[(name, int(frame))].append((line, row))
            if row.get("split"):
                splits.setdefault(name, canonical_split(row["split"]))
        missing: set[str] = set()
        per_video: dict[str, list[int]] = defaultdict(list)
        for name, frame in frames:
            per_video[name].append(frame)
        for (name, frame), rows in sorted(frames.items()):
            video = videos.get(name.upper())
            if video is None:
                if name not in missing:
                    missing.add(name)
                    ctx.problem("missing_image", table, f"{name}.avi is not in Batch1-4; its measurements are ignored")
                continue
            points: list[tuple[float, float]] = []
            extra: dict[str, list[float | None]] = {}
            for line, row in sorted(rows, key=lambda r: r[1].get("Calc") or ""):
                x1, y1, x2, y2 = coords = [_num(row.get(k)) for k in ("X1", "Y1", "X2", "Y2")]
                calc = (row.get("Calc") or f"line{line}").strip()
                extra[calc] = [_num(row.get("CalcValue")), *coords]
                if x1 is None or y1 is None or x2 is None or y2 is None:
                    ctx.problem("annotation_unreadable", table, f"line {line}: caliper end points missing", "warning")
                    continue
                points += [(x1, y1), (x2, y2)]
            wanted = tuple(sorted(per_video[name]))
            yield Item(
                sample_id=f"{name}_{frame:04d}",
                image=Decode(read_frame, (str(video), frame, wanted), source=ctx.rel(video)),
                source_file=ctx.rel(video),
                split=splits.get(name),
                subject_id=name,
                frame=frame,
                points=points,
                extra={"measurements": extra},
                annotation_file=ctx.rel(table),
            )
