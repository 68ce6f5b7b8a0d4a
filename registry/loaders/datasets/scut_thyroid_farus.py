"""SCUT thyroid gland set (FARUS robotic scanning; Su et al. 2024): thyroid ultrasound images with gland masks.

Layout (from the authors' ``dataset/SCUT8k.py`` in Ciel04sk/SCUT_Thyroid_DataSet, which reads the release): a data
root with ``image/<NNNN>.jpg``, ``mask/<NNNN>.png`` (grey, 0/255) and ``trainval.json`` (``{"train": [i, ...],
"val": [...]}``; entry ``i`` names ``image/<i zero-padded to 4>.jpg``). The two Google Drive archives (student and
elderly cohorts) each unpack to such a root under their own folder.

- Target ``gland``: mask pixels above 127 are thyroid gland (1).
- Split: ``trainval.json`` beside the images; an image it does not list gets a seeded split (reported). A root without
  ``trainval.json`` is split by seed.
- Sample id ``<root folder>_<NNNN>`` (the two archives reuse the numbers); no subject ids are released.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

from ..base import CommonOptions, ConvertContext, Converter, Item, register
from ..common import MaskSpec, image_decode, mask_decode
from ..tables import read_document

MAX_IDS = 1_000_000


def read_trainval(ctx: ConvertContext, path: Path) -> dict[str, str]:
    """Zero-padded stem -> split from a trainval.json ({split: [ints]}); problems reported, never raised."""
    try:
        text = read_document(ctx, path, "no split is taken from it")
        if text is None:
            return {}
        doc = json.loads(text)
        if not isinstance(doc, dict):
            raise ValueError("expected an object {split: [ids]}")
    except (OSError, ValueError) as exc:
        ctx.problem("annotation_unreadable", path, f"split list not readable: {exc}")
        return {}
    out: dict[str, str] = {}
    for split, ids in doc.items():
        if not isinstance(ids, list):
            continue
        for i in ids[:MAX_IDS]:
            if isinstance(i, int) or (isinstance(i, str) and i.isdigit()):
                out[str(int(i)).zfill(4)] = "val" if split == "val" else "train" if split == "train" else str(split)
    return out


@register
class ScutThyroidFarus(Converter):
    name = "scut-thyroid-farus"
    summary = "<root>/image/NNNN.jpg with <root>/mask/NNNN.png and <root>/trainval.json (SCUT8k.py layout)"
    Options = CommonOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        ctx.declare_target("gland", {0: "background", 1: "thyroid gland"}, "grey masks above 127")
        ctx.split_note = "Official split: trainval.json of each archive (train/val); unlisted images by seed."
        spec = MaskSpec(encoding="binary", threshold=127)
        roots = sorted(
            {f.parent.parent for f in ctx.files() if f.parent.name == "image" and f.suffix.lower() == ".jpg"}
        )
        if not roots:
            ctx.find_dir(lambda d: False, "image/NNNN.jpg with mask/NNNN.png")
        for root in roots:
            lists = root / "trainval.json"
            splits = read_trainval(ctx, lists) if lists.is_file() else {}
            if not lists.is_file():
                ctx.problem("missing_annotation", root, "no trainval.json beside image/; seeded split", "warning")
            part = re.sub(r"[^A-Za-z0-9]+", "_", ctx.rel(root)).strip("_") or "root"
            unlisted = sorted(stem for stem in splits if not (root / "image" / f"{stem}.jpg").is_file())
            if unlisted:
                ctx.problem(
                    "listed_not_found",
                    lists,
                    f"{len(unlisted)} id(s) name no image/ file (first: {', '.join(unlisted[:3])})",
                    "warning",
                )
            for image in sorted(p for p in (root / "image").iterdir() if p.is_file() and p.suffix.lower() == ".jpg"):
                sid = f"{part}_{image.stem}"
                mask = root / "mask" / f"{image.stem}.png"
                if not mask.is_file():
                    ctx.problem("missing_mask", image, f"no mask/{mask.name} beside it; image skipped", sample_id=sid)
                    continue
                split = splits.get(image.stem)
                if split is None and splits:
                    ctx.problem("not_in_split_list", image, "not in trainval.json; seeded split", "warning", sid)
                yield Item(
                    sample_id=sid,
                    image=image_decode(ctx, image),
                    source_file=ctx.rel(image),
                    masks={"gland": mask_decode(ctx, mask, spec, "gland")},
                    split=split,
                    extra={"part": part},
                )
