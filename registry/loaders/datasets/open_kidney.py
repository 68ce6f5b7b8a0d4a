"""The Open Kidney Ultrasound Data Set (Singla et al., 2023; github.com/rsingla92/kidneyUS).

Layout (not in docs/sources.md; read in the authors' repository: ``labels/README_labels``,
``src/annotation_analysis/create_masks.py``, and UltraBench's processing code): the images come as a zip
(``kidneyUS_images_<date>.zip``) of ``<n>_IM-XXXX-XXXX_anon.png`` files; the repository's ``labels/`` holds
``reviewed_labels_{1,2}.csv`` (VGG Image Annotator export: ``filename``, ``file_attributes`` JSON with ``Quality``,
``View``, ``Comments``, one row per region) and ``reviewed_masks_{1,2}/capsule/<filename>`` (0/1) and
``reviewed_masks_{1,2}/regions/<filename>`` (0 background, 1 central echo complex, 2 medulla, 3 cortex).

- ``sonographer`` (1 or 2) picks whose annotations are converted (default 1, as UltraBench).
- Targets ``capsule`` and ``regions``; label = the view; quality and a transplant flag (from the comments) go to
  ``extra``; the free-text comments themselves are not copied.
- Duplicates: files sharing the ``IM-XXXX-XXXX`` part are the same image (534 files, 514 unique); the first is kept
  and the others are reported, as UltraBench does, and left out on purpose with their masks (not counted as dropped).
- The repository holds both sonographers' masks (``reviewed_masks_1`` and ``_2``, 534 + 534 of each kind, as in
  rsingla92/kidneyUS@becfa9a); the one not picked is left out on purpose, not reported as dropped.
- No subject ids and no official split: a seeded split stratified by view.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from pydantic import Field

from ..base import CommonOptions, ConvertContext, Converter, Item, register
from ..common import MaskSpec, image_decode, mask_decode
from ..generic_csv import read_csv_rows


class KidneyOptions(CommonOptions):
    sonographer: Literal[1, 2] = Field(1, description="Whose annotations to convert.")


def _attrs(text: str) -> dict:
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


@register
class OpenKidney(Converter):
    name = "open-kidney"
    summary = "kidneyUS images zip + labels/reviewed_labels_{k}.csv and reviewed_masks_{k}/{capsule,regions}/"
    Options = KidneyOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        opts = ctx.options_as(KidneyOptions)
        k = opts.sonographer
        mask_root = ctx.find_dir(lambda d: d.name == f"reviewed_masks_{k}", f"labels/reviewed_masks_{k}/")
        csv_path = next((f for f in ctx.files() if f.name == f"reviewed_labels_{k}.csv"), None)
        ctx.declare_target("capsule", {0: "background", 1: "capsule"})
        ctx.declare_target("regions", {0: "background", 1: "central echo complex", 2: "medulla", 3: "cortex"})
        ctx.split_note = "No official split; a seeded split stratified by view (each image is of a distinct patient)."
        attrs: dict[str, dict] = {}
        if csv_path is None:
            ctx.problem("missing_annotation", mask_root.parent, f"reviewed_labels_{k}.csv is missing; no view labels")
        else:
            for row in read_csv_rows(ctx, csv_path):
                if row.get("filename"):
                    attrs.setdefault(row["filename"], _attrs(row.get("file_attributes", "")))
        masks_dirs = {mask_root / "capsule", mask_root / "regions"}
        other = 3 - k  # the repository holds both sonographers' masks; the other's are left out on purpose
        for f in ctx.files():
            if f"reviewed_masks_{other}" in f.relative_to(ctx.source_dir).parts[:-1]:
                ctx.ignore_file(f, f"sonographer {other}'s mask; option sonographer picks {k}")
        images: dict[str, Path] = {}
        for f in ctx.files():
            if f.suffix.lower() != ".png" or any(d in f.parents for d in masks_dirs):
                continue
            if "labels" in f.relative_to(ctx.source_dir).parts[:-1]:
                continue
            images.setdefault(f.name, f)
        views = sorted({str(a.get("View")) for a in attrs.values() if a.get("View")})
        if views:
            ctx.declare_labels(views)
        seen_ids: dict[str, str] = {}
        binary = MaskSpec(encoding="index")
        for name in sorted(set(images) | {p.name for p in (mask_root / "capsule").glob("*.png")}):
            image = images.get(name)
            capsule, regions = mask_root / "capsule" / name, mask_root / "regions" / name
            if image is None:
                ctx.problem("missing_image", capsule, "mask without an image in the download; ignored")
                continue
            sid = Path(name).stem
            parts = sid.split("_")
            file_id = parts[1] if len(parts) > 2 else sid
            if file_id in seen_ids:
                ctx.problem(
                    "duplicate_image",
                    image,
                    f"same image ({file_id}) as {seen_ids[file_id]}; dropped",
                    severity="info",
                    sample_id=sid,
                )
                for f in (image, capsule, regions):
                    if f.is_file():
                        ctx.ignore_file(f, f"a duplicate of {seen_ids[file_id]} ({file_id}); kept once")
                continue
            seen_ids[file_id] = name
            if not capsule.is_file() or not regions.is_file():
                ctx.problem("missing_mask", image, "no capsule or regions mask; skipped", sample_id=sid)
                continue
            a = attrs.get(name, {})
            comments = str(a.get("Comments", ""))
            yield Item(
                sample_id=sid,
                image=image_decode(ctx, image),
                source_file=ctx.rel(image),
                masks={
                    "capsule": mask_decode(ctx, capsule, binary, "capsule"),
                    "regions": mask_decode(ctx, regions, binary, "regions"),
                },
                label=ctx.check_label(a.get("View"), csv_path or image, sid) if a.get("View") else None,
                extra={"quality": a.get("Quality"), "transplant": "transplant" in comments.lower()} if a else {},
            )
