"""HMC-QU (Kaggle aysendegerli/hmcqu-dataset): A4C echocardiography videos with left-ventricle wall masks.

Layout (from Phrungck/myocardial-segmentation's ``hmc_load.py``, which reads the Kaggle download; the vital
library's HMC-QU generator reads the same masks): ``A4C.xlsx`` (column ``ECHO`` first, the cardiac cycle's first and
last frame, 1-based, in the third- and second-to-last columns, and ``ü`` in the last column where masks exist),
``HMC-QU/A4C/<ECHO>.avi`` and ``LV Ground-truth Segmentation Masks/Mask_<ECHO>.mat`` whose ``predicted`` array holds
one 224 x 224 mask per frame of that cycle.

- Samples: every frame of the annotated cycle (video frame ``first - 1 + i`` with mask ``i``), sample id
  ``<ECHO>_<frame>``; the mask is resized (nearest) to the video frame and reported once as ``resized`` (info).
- Target ``lv_wall``: any non-zero mask pixel is 1 (the whole left-ventricle wall).
- Subject: the patient part of the ECHO id (``ES0001`` of ``ES0001 _4CH_1``), so a patient's frames stay in one split
  (no split is published: seeded, by patient). A2C videos and A4C videos without masks are not converted (info).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image

from ..base import CommonOptions, ConvertContext, Converter, Decode, Item, register
from ..decode import BadData, Decoded
from . import _matlab
from ._video import probe, read_frame
from ._xlsx import bounded_rows, damage_reported, open_workbook

AVAILABLE = "ü"
MAX_ROWS = 100_000


@lru_cache(maxsize=1)
def _masks(path: str) -> np.ndarray:
    import scipy.io

    if _matlab.unpacked_size(Path(path)) > _matlab.MAX_UNPACKED_BYTES:  # scipy inflates each variable whole
        raise BadData(
            "unreadable", f"the .mat file unpacks to more than {_matlab.MAX_UNPACKED_BYTES:,} bytes; not read"
        )
    try:
        arr = np.asarray(scipy.io.loadmat(path)["predicted"])
    except (OSError, ValueError, KeyError, NotImplementedError) as exc:
        raise BadData("unreadable", f"no 'predicted' mask array in the .mat file: {str(exc)[:200]}") from None
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim != 3:
        raise BadData("unreadable", f"expected frames x height x width masks, found shape {arr.shape}")
    return arr


def mask_count(path: str) -> int:
    return int(_masks(path).shape[0])


def mask_frame(path: str, index: int, image_shape: tuple[int, int]) -> Decoded:
    """Mask ``index`` of a Mask_<ECHO>.mat as 0/1, resized (nearest) to the video frame when its size differs."""
    arr = _masks(path)
    if not 0 <= index < arr.shape[0]:
        raise BadData("unreadable", f"mask {index} is outside the file's {arr.shape[0]} masks")
    mask = (arr[index] > 0).astype(np.uint8)
    h, w = image_shape
    notes = []
    if mask.shape != (h, w):
        notes.append(("resized", "info", f"mask {mask.shape[1]}x{mask.shape[0]} resized to the frame's {w}x{h}"))
        mask = np.asarray(Image.fromarray(mask).resize((w, h), Image.Resampling.NEAREST))
    return Decoded(mask, notes)


def read_cycles(ctx: ConvertContext, path: Path) -> list[tuple[str, int, int]]:
    """(ECHO, first frame, last frame) of the rows of A4C.xlsx marked as having masks."""
    book = open_workbook(ctx, path, "hmc-qu: reading A4C.xlsx")
    if book is None:
        return []
    out: list[tuple[str, int, int]] = []
    with damage_reported(ctx, path, book, out):
        rows = book.active.iter_rows(values_only=True)
        next(rows, None)  # header: ECHO, SEG1 ... SEG7, first frame, last frame, masks available
        for n, row in bounded_rows(ctx, path, rows, MAX_ROWS):
            cells = [c for c in row]
            while cells and cells[-1] is None:
                cells.pop()
            if len(cells) < 4 or str(cells[-1]).strip() != AVAILABLE or not cells[0]:
                continue
            try:
                first, last = int(cells[-3]), int(cells[-2])
            except (TypeError, ValueError):
                bad = f"row {n}: frames {cells[-3]!r}..{cells[-2]!r} are not numbers"
                ctx.problem("annotation_unreadable", path, bad)
                continue
            if first < 1 or last < first:
                ctx.problem("annotation_unreadable", path, f"row {n}: frames {first}..{last} are not a 1-based range")
                continue
            out.append((str(cells[0]).strip(), first, last))
    return out


@register
class HmcQu(Converter):
    name = "hmc-qu"
    summary = "A4C.xlsx cycles, HMC-QU/A4C/<ECHO>.avi frames with LV Ground-truth Segmentation Masks/Mask_<ECHO>.mat"
    Options = CommonOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        ctx.declare_target("lv_wall", {0: "background", 1: "left ventricle wall"}, "Mask_<ECHO>.mat 'predicted'")
        ctx.split_note = "No published split: a seeded split by patient (the ECHO id before its first _ or space)."
        tables = [f for f in ctx.files() if f.name.lower() == "a4c.xlsx"]
        if not tables:
            ctx.find_dir(lambda d: False, "A4C.xlsx")
        videos = {f.stem: f for f in ctx.files() if f.suffix.lower() == ".avi" and f.parent.name.upper() == "A4C"}
        masks = {f.stem[len("Mask_") :]: f for f in ctx.files() if f.name.startswith("Mask_") and f.suffix == ".mat"}
        used: set[str] = set()
        for echo, first, last in read_cycles(ctx, tables[0]):
            video, mask = videos.get(echo), masks.get(echo)
            if video is None or mask is None:
                missing = "video HMC-QU/A4C/" if video is None else "mask file Mask_"
                ctx.problem("missing_image", tables[0], f"{echo}: no {missing}{echo} in the download; skipped")
                continue
            info = probe(str(video))
            if info is None or info[0] == 0:
                ctx.problem("unreadable", video, "not a readable video; skipped")
                continue
            try:
                count = mask_count(str(mask))
            except BadData as exc:
                ctx.problem(exc.kind, mask, exc.message)
                continue
            frames = min(count, last - first + 1, info[0] - (first - 1))
            if frames != count or frames <= 0:
                ctx.problem(
                    "size_mismatch",
                    mask,
                    f"{count} masks for frames {first}..{last} of a {info[0]}-frame video; {max(frames, 0)} paired",
                )
            used.add(echo)
            wanted = tuple(first - 1 + i for i in range(max(frames, 0)))
            subject = re.split(r"[_\s]", echo)[0]
            stem = re.sub(r"[^A-Za-z0-9]+", "_", echo).strip("_")
            for i, k in enumerate(wanted):
                yield Item(
                    sample_id=f"{stem}_{k:04d}",
                    image=Decode(read_frame, (str(video), k, wanted), source=ctx.rel(video)),
                    source_file=ctx.rel(video),
                    masks={"lv_wall": Decode(mask_frame, (str(mask), i), needs_shape=True, source=ctx.rel(mask))},
                    subject_id=subject,
                    frame=k,
                    annotation_file=ctx.rel(tables[0]),
                )
        skipped = sorted(set(videos) - used)
        if skipped:
            ctx.problem(
                "not_converted",
                videos[skipped[0]],
                f"{len(skipped)} A4C video(s) without masks in A4C.xlsx are not converted (first: {skipped[0]})",
                "info",
            )
        a2c = sorted(f for f in ctx.files() if f.suffix.lower() == ".avi" and f.parent.name.upper() == "A2C")
        if a2c:
            ctx.problem("not_converted", a2c[0], f"{len(a2c)} A2C video(s) have no masks and are not converted", "info")
