"""ERDES (Ozkut et al. 2025): ocular point-of-care ultrasound clips labelled for retinal detachment, as sampled frames.

Layout: MP4 clips in a class tree ``Non_Retinal_Detachment/{Normal,Posterior_Vitreous_Detachment}/<code>_<n>.mp4``
and ``Retinal_Detachment/{Macula_Detached,Macula_Intact}/<TD|ND|Bilateral>/<code>_<n>.mp4``, as the authors' split
files list them (``data/splits/non_rd_vs_rd/{train,val,test}.csv``, columns ``path,label``) and as ultatron's adapter
reads the Zenodo release (``clips/<file_path>`` listed in ``erdes_metadata.csv``, with ``splits/<task>/<split>.csv``).

- Label: the top class folder, ``non_rd`` or ``rd`` (the benchmark's non_rd_vs_rd task); the sub-class path (e.g.
  ``Macula_Detached/TD``) goes to ``extra``.
- Split: the official ``non_rd_vs_rd`` split files when present (matched on the path from the class folder on),
  otherwise a seeded split.
- Subject: the clip itself (its file stem), so a clip's frames stay in one split. No patient or eye id is published:
  the part before the last ``_`` (ultatron's "study id") is one code per sub-class folder (the authors' split files
  list 4,233 ``Normal/164267_<n>.mp4`` clips and six codes in all), so it cannot group an eye's clips.
- Frames: each clip is sampled at ``frame_rate`` frames per second (default 1; every ``int(fps)``-th frame from the
  first), at most ``max_frames`` (default 10) per clip.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from pydantic import Field

from ..base import CommonOptions, ConvertContext, Converter, Decode, Item, register
from ..common import canonical_split
from ..tables import csv_dicts
from ._video import every_nth, probe, read_frame

CLASSES = {"Non_Retinal_Detachment": "non_rd", "Retinal_Detachment": "rd"}


class ErdesOptions(CommonOptions):
    task: str = Field("non_rd_vs_rd", description="Folder of the official split files under splits/.")
    frame_rate: float = Field(1.0, gt=0, le=100, description="Sampling rate of the frames (per second).")
    max_frames: int = Field(10, ge=1, le=10_000, description="Most frames taken from one clip.")


def _class_path(path: Path) -> tuple[str, ...] | None:
    """The path from the class folder on (``Retinal_Detachment/.../x.mp4``), or None outside the class tree."""
    parts = path.parts
    for i, part in enumerate(parts):
        if part in CLASSES:
            return tuple(parts[i:])
    return None


def _official_split(ctx: ConvertContext, task: str) -> dict[tuple[str, ...], str]:
    out: dict[tuple[str, ...], str] = {}
    for f in ctx.files():
        if f.suffix.lower() != ".csv" or f.parent.name != task or f.parent.parent.name != "splits":
            continue
        split = canonical_split(f.stem)
        for _, row in csv_dicts(ctx, f):
            key = _class_path(Path((row.get("path") or row.get("file_path") or "").strip()))
            if key:
                out[key] = split
    return out


@register
class Erdes(Converter):
    name = "erdes"
    summary = "{Non_,}Retinal_Detachment/<subclass>/<code>_<n>.mp4 clips, sampled frames; splits/<task>/*.csv"
    Options = ErdesOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        opts = ctx.options_as(ErdesOptions)
        ctx.declare_labels(list(CLASSES.values()))
        splits = _official_split(ctx, opts.task)
        if not splits:
            ctx.split_note = "No split files found: a seeded split grouped by clip (no patient or eye id is published)."
        clips = [f for f in ctx.files() if f.suffix.lower() == ".mp4" and _class_path(f.relative_to(ctx.source_dir))]
        if not clips:
            ctx.problem(
                "missing_image", ctx.source_dir, "no .mp4 clip under Retinal_Detachment/ or Non_Retinal_Detachment/"
            )
        for path in clips:
            key = _class_path(path.relative_to(ctx.source_dir))
            assert key is not None
            split = splits.get(key)
            if splits and split is None:
                ctx.problem(
                    "not_in_split", path, f"not listed in the {opts.task} split files; not converted", "warning"
                )
                continue
            info = probe(str(path))
            if info is None or info[0] == 0:
                ctx.problem("unreadable", path, "not a readable video; skipped")
                continue
            count, fps = info
            wanted = tuple(range(0, count, every_nth(fps, opts.frame_rate))[: opts.max_frames])
            for k in wanted:
                yield Item(
                    sample_id=f"{path.stem}_{k:04d}",
                    image=Decode(read_frame, (str(path), k, wanted), source=ctx.rel(path)),
                    source_file=ctx.rel(path),
                    split=split,
                    subject_id=path.stem,
                    label=CLASSES[key[0]],
                    frame=k,
                    extra={"subclass": "/".join(key[1:-1]), "clip": path.stem, "fps": fps},
                )
