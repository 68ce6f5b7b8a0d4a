"""High-resolution ultrasound of GL261 mouse brain tumours (Dorosti et al., Scientific Data 2025; figshare 27237894).

Layout (renebidart/gl261-benchmark ``download.py`` and ``prepare.py``, and a SAM2 converter that opened the figshare
"download all" archive): one zip per recording session, each holding ``rec__YYYYMMDD_HHMMSS/`` with ``Images/*.png``,
``Masks/*.png``, ``ReadMe.xlsx`` (tumour or not, in or ex vivo) and the session's ``*.mp4``. An image
``Images/<stem>.png`` (``frame<N>_img.png``, in some sessions ``Extracted Frames<N>img.png``) has the mask
``Masks/<stem>_mask.png``; in some sessions an annotator's name sits before the suffix (``<stem>_<name>_mask.png``).
The figshare "download all" zip wraps the per-session zips; the fetch layer unpacks both levels.

Masks are RGB, averaged over the annotators: foreground is any channel above 0, as both converters read them.
Tumour-free images have empty masks and are kept as negatives. Target ``tumor`` (binary). The release names no
mouse and has no split: the recording session is the subject and a seeded split keeps each session in one split.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from ..base import CommonOptions, ConvertContext, Converter, Item, register, safe_id
from ..common import MaskSpec, image_decode, mask_decode

SESSION = re.compile(r"^rec__\d{8}_\d+$")
MASK_SUFFIX = "_mask"


def _natural(text: str) -> list:
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", text)]


def _pngs(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(
        (p for p in folder.iterdir() if p.is_file() and p.suffix.lower() == ".png"), key=lambda p: _natural(p.name)
    )


@register
class MouseBrainTumorHrUs(Converter):
    name = "mouse-brain-tumor-hr-us"
    summary = "rec__<date>_<time>/Images/<stem>.png with Masks/<stem>[_<annotator>]_mask.png, one zip per session"
    Options = CommonOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        is_session = lambda d: bool(SESSION.match(d.name)) and (d / "Images").is_dir()  # noqa: E731
        sessions = ctx.find_dirs(is_session) or [ctx.find_dir(is_session, "the rec__<date>_<time>/Images/ folders")]
        ctx.declare_target("tumor", {0: "background", 1: "tumor"})
        ctx.split_note = (
            "No official split and no mouse ids in the release; a seeded split grouped by recording session "
            "(several sessions may come from one mouse)."
        )
        spec = MaskSpec(encoding="binary", threshold=0)
        for session in sorted(sessions, key=lambda d: d.name):
            masks = _pngs(session / "Masks")
            used: set[Path] = set()
            for image in _pngs(session / "Images"):
                sid = safe_id(f"{session.name}_{image.stem}")
                found = self._mask_of(ctx, image, masks, sid)
                if found is None:
                    ctx.problem(
                        "missing_mask", image, "no Masks/<stem>_mask.png for this image; skipped", sample_id=sid
                    )
                    continue
                used.add(found)
                yield Item(
                    sample_id=sid,
                    image=image_decode(ctx, image),
                    source_file=ctx.rel(image),
                    masks={"tumor": mask_decode(ctx, found, spec, "tumor")},
                    subject_id=session.name,
                    extra={"session": session.name, "mask_file": found.name},
                )
            for mask in masks:
                if mask not in used and ctx.rel(mask) not in ctx.ignored:
                    ctx.problem("missing_image", mask, "mask without an image in Images/; ignored")

    @staticmethod
    def _mask_of(ctx: ConvertContext, image: Path, masks: list[Path], sid: str) -> Path | None:
        exact = [m for m in masks if m.stem == image.stem + MASK_SUFFIX]
        if exact:
            return exact[0]
        named = [m for m in masks if m.stem.startswith(image.stem + "_") and m.stem.endswith(MASK_SUFFIX)]
        if len(named) > 1:
            ctx.problem(
                "ambiguous_mask",
                image,
                f"{len(named)} masks name this image ({', '.join(m.name for m in named)}); the first is used",
                severity="warning",
                sample_id=sid,
            )
            for extra in named[1:]:
                ctx.ignore_file(extra, "another annotator's mask of an image whose first mask is used")
        return named[0] if named else None
