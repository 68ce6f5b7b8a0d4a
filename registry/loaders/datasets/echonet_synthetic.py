"""EchoNet-Synthetic: diffusion-generated echocardiography videos with ejection-fraction labels (Reynaud et al., 2024).

Layout (the authors' README, HReynaud/EchoNet-Synthetic, and ``echosyn/lvdm/sample.py`` /
``scripts/update_split_filelist.py``, which write it): ``EchoNet-Synthetic/<subset>/Videos/sample_<NNNNNN>.avi`` with
``EchoNet-Synthetic/<subset>/FileList.csv`` (``FileName`` without ``.avi``, ``EF``, ``ESV``, ``EDV`` (0),
``FrameHeight``, ``FrameWidth``, ``FPS``, ``NumberOfFrames``, ``Split`` = TRAIN / VAL / TEST / EXTRA). The README
builds ``dynamic/`` (the EchoNet-Dynamic surrogate) and the paediatric A4C and PSAX sets "with the exact same
process"; every folder holding ``Videos/`` and ``FileList.csv`` is read as a subset, named by its folder.

- Each video gives ``frames`` samples (default 3): frames evenly spaced over 10-90 % of the video;
  sample id ``<subset>_<FileName>_f<frame>``. There is no class label: EF (the generation's conditioning value),
  the subset and the video's frame count go to ``extra``.
- Split: FileList.csv's ``Split``; ``EXTRA`` rows (videos beyond the README's target counts) are left out on purpose.
- Subject: the video (synthetic videos have no patient).
- A video without a FileList.csv row, or a row without a video, is reported and not converted.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from pydantic import Field

from ..base import CommonOptions, ConvertContext, Converter, Decode, Item, register, safe_id
from ..common import canonical_split
from ..generic_csv import read_csv_rows
from ._video import probe, read_frame
from ._volumes import MAX_SLICES, slice_indices
from .echonet_dynamic import _number

FILE_LIST = "FileList.csv"
OFFICIAL = {"train", "val", "test"}


class Options(CommonOptions):
    frames: int = Field(3, ge=1, le=MAX_SLICES, description="Frames taken from each video (10-90 % of its length).")


@register
class EchonetSynthetic(Converter):
    name = "echonet-synthetic"
    summary = "EchoNet-Synthetic/<subset>/Videos/sample_*.avi with <subset>/FileList.csv (EF, Split), a few frames"
    Options = Options

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        opts = ctx.options_as(Options)
        subsets = ctx.find_dirs(lambda d: (d / "Videos").is_dir() and (d / FILE_LIST).is_file())
        if not subsets:
            ctx.find_dir(lambda d: False, f"a folder with Videos/ and {FILE_LIST}")
        ctx.split_note = "Official split: each subset's FileList.csv Split column (EXTRA rows are left out)."
        for folder in subsets:
            yield from self._subset(ctx, folder, opts.frames)

    def _subset(self, ctx: ConvertContext, folder: Path, frames: int) -> Iterator[Item]:
        subset = folder.name
        table = folder / FILE_LIST
        rows: dict[str, dict[str, str]] = {}
        for n, listed in enumerate(read_csv_rows(ctx, table), start=2):
            name = Path(listed.get("FileName", "")).stem
            if not name:
                ctx.problem("annotation_unreadable", table, f"line {n}: no FileName", severity="warning")
                continue
            if name in rows:
                ctx.problem(
                    "annotation_unreadable", table, f"line {n}: {name} is listed again; this row is used", "warning"
                )
            rows[name] = listed
        videos = {p.stem: p for p in sorted((folder / "Videos").iterdir()) if p.suffix.lower() == ".avi"}
        for name in sorted(set(rows) - set(videos)):
            ctx.problem("missing_image", table, f"{subset}: {name}.avi is listed but not in Videos/")
        for stem, video in sorted(videos.items()):
            row = rows.get(stem)
            if row is None:
                ctx.problem(
                    "missing_annotation", video, f"not in {subset}/{FILE_LIST} (no EF, no split); not converted"
                )
                continue
            split = canonical_split(row.get("Split") or "")
            if split == "extra":
                ctx.ignore_file(video, "Split EXTRA in FileList.csv: beyond the README's target counts")
                continue
            info = probe(str(video))
            if info is None or info[0] == 0:
                ctx.problem("unreadable", video, "not a readable video; skipped")
                continue
            count = info[0]
            ef = _number(row.get("EF", ""))
            if ef is None:
                ctx.problem("annotation_unreadable", table, f"{stem}: EF {row.get('EF')!r} is not a number", "warning")
            if split not in OFFICIAL:
                ctx.problem(
                    "annotation_unreadable", table, f"{stem}: Split {row.get('Split')!r}; a seeded split", "warning"
                )
            extra = {"subset": subset, "ef": ef, "frames_in_video": count}
            picks = slice_indices(count, frames)
            for k in picks:
                yield Item(
                    sample_id=safe_id(f"{subset}_{stem}_f{k:04d}"),
                    image=Decode(read_frame, (str(video), k, tuple(picks)), source=ctx.rel(video)),
                    source_file=ctx.rel(video),
                    split=split if split in OFFICIAL else None,
                    subject_id=f"{subset}/{stem}",
                    frame=k,
                    extra={k2: v for k2, v in extra.items() if v is not None},
                    annotation_file=ctx.rel(table),
                )
