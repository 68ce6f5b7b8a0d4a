"""POCUS (Born et al. 2020/2021): lung point-of-care ultrasound images and videos of COVID-19, pneumonia, healthy lungs.

Layout (from UltraBench's ``process/pocus.py``, which reads the GitHub archive of jannisborn/covid19_ultrasound):
``data/pocus_images/<probe>/`` and ``data/pocus_videos/<probe>/`` (``convex``, ``linear``), the class given by the
file name's prefix (``Cov``, ``Pne``, ``Reg``, compared in lower case), images as PNG/JPG, videos as MP4, AVI, MOV,
MPEG, M4V or GIF.

- As in UltraBench (and the dataset paper): convex probe only by default (option ``probes``); videos are sampled at
  about 3 frames per second (every ``int(fps / 3)``-th frame starting at the second) and at most 30 frames per video;
  files of other classes (e.g. viral pneumonia) are not converted and are listed as ``not_converted``.
- Subject = the source file's stem, so frames of one video stay in one split (patient ids are not in the layout).
- Labels ``covid``, ``pneumonia``, ``regular``; the probe, source file and frame go to ``extra``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from pydantic import Field

from ..base import CommonOptions, ConvertContext, Converter, Decode, Item, register
from ..common import image_decode
from ._video import VIDEO_EXTS, every_nth, probe, read_frame

CLASSES = {"cov": "covid", "pne": "pneumonia", "reg": "regular"}
IMAGE_EXTS = (".png", ".jpg", ".jpeg")


class PocusOptions(CommonOptions):
    probes: list[str] = Field(default_factory=lambda: ["convex"], description="Probe folders to convert.")
    frame_rate: float = Field(3.0, gt=0, le=100, description="Sampling rate of the video frames (per second).")
    max_frames: int = Field(30, ge=1, le=10_000, description="Most frames taken from one video.")


def _label(name: str) -> str | None:
    return CLASSES.get(name[:3].lower())


@register
class PocusCovid19(Converter):
    name = "pocus-covid19"
    summary = "data/pocus_{images,videos}/<probe>/<Cov|Pne|Reg>*.{png,jpg,mp4,...}; videos sampled at 3 Hz"
    Options = PocusOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        opts = ctx.options_as(PocusOptions)
        root = ctx.find_dir(
            lambda d: (d / "data" / "pocus_images").is_dir() or (d / "data" / "pocus_videos").is_dir(),
            "data/pocus_images/ or data/pocus_videos/",
        )
        ctx.declare_labels(sorted(CLASSES.values()))
        ctx.split_note = "No official split: a seeded split grouped by source file (frames of a video together)."
        for probe_name in opts.probes:
            for kind in ("images", "videos"):
                folder = root / "data" / f"pocus_{kind}" / probe_name
                if not folder.is_dir():
                    continue
                for path in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")):
                    yield from self._file(ctx, opts, path, kind, probe_name)

    def _file(self, ctx: ConvertContext, opts: PocusOptions, path: Path, kind: str, probe_name: str):
        suffix = path.suffix.lower()
        exts = IMAGE_EXTS if kind == "images" else VIDEO_EXTS
        if suffix not in exts:
            return
        label = _label(path.name)
        if label is None:
            ctx.problem(
                "not_converted",
                path,
                f"file name prefix {path.name[:3]!r} is not Cov, Pne or Reg; not converted",
                "info",
            )
            return
        extra = {"probe": probe_name, "source": path.name}
        if kind == "images":
            yield Item(
                sample_id=path.stem,
                image=image_decode(ctx, path),
                source_file=ctx.rel(path),
                subject_id=path.stem,
                label=label,
                extra=extra,
            )
            return
        info = probe(str(path))
        if info is None or info[0] == 0:
            ctx.problem("unreadable", path, "not a readable video; skipped")
            return
        count, fps = info
        wanted = tuple(range(1, count, every_nth(fps, opts.frame_rate))[: opts.max_frames])
        for k in wanted:
            yield Item(
                sample_id=f"{path.stem}_{k:04d}",
                image=Decode(read_frame, (str(path), k, wanted), source=ctx.rel(path)),
                source_file=ctx.rel(path),
                subject_id=path.stem,
                label=label,
                frame=k,
                extra={**extra, "fps": fps},
            )
