"""US-365K (Ultrasound-CLIP, JJY-0823/US-365K on Hugging Face): ultrasound images paired with captions.

Layout (from ultatron's ``scripts/materialize_us365k.py`` and ``scripts/download_us_365k.sh``, which open the Hugging
Face snapshot): ``images.zip`` holding the JPEG images, beside one JSON-lines file per split, ``train.jsonl``,
``valid.jsonl`` and ``test.jsonl``, whose lines are ``{"image": <file name>, "caption": <text>}``. The zip is unpacked
by the fetch layer; whatever folders it holds, an image is found by its file name, as ultatron does.

- One sample per JSON line, with the split of its file; the caption goes to ``extra``. No subject id and no class
  label: the release pairs images with free text only.
- Reported, not dropped silently: a line that is not a JSON object with an ``image`` name (``annotation_unreadable``),
  an image not in the download (``missing_image``), an empty caption (kept, warned), an image listed twice
  (``duplicate``), two images with the same file name (``duplicate_image``), a missing split file
  (``missing_annotation``). Images that no line names are reported as dropped by the pipeline.
- Bounded reads: a line longer than ``MAX_LINE_BYTES`` and lines past ``MAX_LINES`` per file are reported and skipped.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from ..base import CommonOptions, ConvertContext, Converter, Item, register
from ..common import image_decode
from ..patterns import IMAGE_EXTS

SPLIT_FILES = {"train.jsonl": "train", "valid.jsonl": "val", "test.jsonl": "test"}
MAX_LINE_BYTES = 1 << 20
MAX_LINES = 2_000_000
_IMAGE_SUFFIXES = tuple(f".{e}" for e in IMAGE_EXTS)


@register
class Us365k(Converter):
    name = "us-365k"
    summary = "images.zip with train.jsonl / valid.jsonl / test.jsonl lines {image, caption}"
    Options = CommonOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        images = self._image_index(ctx)
        tables = {name: [f for f in ctx.files() if f.name == name] for name in SPLIT_FILES}
        if not any(tables.values()):
            ctx.problem("missing_annotation", ctx.source_dir, "no train.jsonl, valid.jsonl or test.jsonl split file")
            return
        seen: dict[str, str] = {}
        for name, split in SPLIT_FILES.items():
            found = sorted(tables[name], key=lambda p: (len(p.parts), p.as_posix()))
            if not found:
                ctx.problem("missing_annotation", ctx.source_dir, f"no {name}: the {split} split is absent")
                continue
            for extra_copy in found[1:]:
                ctx.problem("duplicate", extra_copy, f"a second {name}; only {ctx.rel(found[0])} is read")
            yield from self._table(ctx, found[0], split, images, seen)

    @staticmethod
    def _image_index(ctx: ConvertContext) -> dict[str, Path]:
        index: dict[str, Path] = {}
        for f in sorted(ctx.files(), key=lambda p: (len(p.parts), p.as_posix())):  # the shallowest copy wins
            if not f.name.lower().endswith(_IMAGE_SUFFIXES):
                continue
            if f.name in index:
                ctx.problem(
                    "duplicate_image",
                    f,
                    f"another image is named {f.name} ({ctx.rel(index[f.name])}); the captions name that one",
                )
                continue
            index[f.name] = f
        return index

    def _table(
        self, ctx: ConvertContext, table: Path, split: str, images: dict[str, Path], seen: dict[str, str]
    ) -> Iterator[Item]:
        with table.open("rb") as handle:
            for n in range(1, MAX_LINES + 1):
                raw = handle.readline(MAX_LINE_BYTES + 1)
                if not raw:
                    return
                where = f"{ctx.rel(table)} line {n}"
                if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                    ctx.problem("annotation_unreadable", table, f"{where} is over {MAX_LINE_BYTES} bytes; skipped")
                    while raw and not raw.endswith(b"\n"):  # skip the rest of the line, in bounded chunks
                        raw = handle.readline(MAX_LINE_BYTES)
                    continue
                text = raw.decode("utf-8", errors="replace").strip()
                if not text:
                    continue
                item = self._record(ctx, table, where, text, split, images, seen)
                if item is not None:
                    yield item
            if handle.readline(1):
                ctx.problem("too_large", table, f"more than {MAX_LINES:,} lines; the rest is not read")

    @staticmethod
    def _record(
        ctx: ConvertContext,
        table: Path,
        where: str,
        text: str,
        split: str,
        images: dict[str, Path],
        seen: dict[str, str],
    ) -> Item | None:
        try:
            rec: Any = json.loads(text)
        except (ValueError, RecursionError) as exc:  # RecursionError: arrays or objects nested too deep
            ctx.problem("annotation_unreadable", table, f"{where} is not valid JSON ({exc}); skipped")
            return None
        name = rec.get("image") if isinstance(rec, dict) else None
        if not isinstance(name, str) or not name.strip():
            ctx.problem("annotation_unreadable", table, f"{where} has no image file name; skipped")
            return None
        base = PurePosixPath(name.strip().replace("\\", "/")).name
        path = images.get(base)
        if path is None:
            ctx.problem("missing_image", table, f"{where}: {name} is not in the download")
            return None
        if base in seen:
            ctx.problem("duplicate", table, f"{where}: {name} is already listed ({seen[base]}); this line is skipped")
            return None
        seen[base] = where
        caption = rec.get("caption")
        if not isinstance(caption, str) or not caption.strip():
            ctx.problem(
                "missing_annotation",
                table,
                f"{where}: {name} has no caption; the image is kept without one",
                severity="warning",
            )
            caption = ""
        return Item(
            sample_id=Path(base).stem,
            image=image_decode(ctx, path),
            source_file=ctx.rel(path),
            split=split,
            extra={"caption": caption.strip(), "image": name},
            annotation_file=where,
        )
