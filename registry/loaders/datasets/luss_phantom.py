"""LUSS_phantom (University of Leeds; Howell et al., Ultrasonics 2024): lung-phantom ultrasound frames with multi-class
artefact masks.

Layout (from UltraSam's ``datasets/datasets/LUSS_phantom.py``, which converted the real labelled archive): every
``.png`` of the archive is either a frame or a mask; a file whose path (below the archive root) contains ``masks``
is a mask, the others are frames, and a frame and its mask share the file name's stem (the part before the first
``.``), wherever they sit. The folder names themselves are not shown by that code, so the converter pairs by stem
as UltraSam does, and does not depend on them.

- Target ``artefacts``: the mask's grey value is the class id, as UltraSam reads it (``rgb2gray`` then one category
  per value): 1 rib, 2 pleural line, 3 A-line, 4 B-line, 5 B-line confluence; 0 background.
- A path folder named ``train``/``training``/``val``/``validation``/``test``/``testing`` gives the split (the archive
  is described as a train/test set); without one, a seeded split is assigned. The frames come from cine loops of one
  phantom: no subject is recorded.
- A stem used by two frames or two masks is reported (the pairing would be ambiguous) and not converted; a frame
  without a mask and a mask without a frame are reported.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from ..base import CommonOptions, ConvertContext, Converter, Decode, Item, register
from ..common import canonical_split, image_decode
from ..decode import mask_index

CLASSES = {0: "background", 1: "rib", 2: "pleural line", 3: "A-line", 4: "B-line", 5: "B-line confluence"}
SPLIT_FOLDERS = {"train", "training", "val", "validation", "test", "testing"}


def _split_of(rel: str) -> str | None:
    folders = [p.lower() for p in rel.split("/")[:-1]]
    found = [canonical_split(p) for p in folders if p in SPLIT_FOLDERS]
    return found[-1] if found else None


@register
class LussPhantom(Converter):
    name = "luss-phantom"
    summary = "every .png of the archive: paths containing 'masks' are label maps, paired with frames by file stem"
    Options = CommonOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        ctx.declare_target("artefacts", CLASSES, "lung-phantom objects and artefacts (UltraSam's category ids)")
        frames: dict[str, list[Path]] = defaultdict(list)
        masks: dict[str, list[Path]] = defaultdict(list)
        for f in ctx.files():
            if f.suffix.lower() != ".png":
                continue
            rel = ctx.rel(f)
            stem = f.name.split(".")[0]
            (masks if "masks" in rel.lower() else frames)[stem].append(f)
        splits_seen = False
        for stem in sorted(set(frames) | set(masks)):
            images, labels = frames.get(stem, []), masks.get(stem, [])
            if len(images) > 1 or len(labels) > 1:
                for f in images + labels:
                    ctx.problem(
                        "ambiguous_pair",
                        f,
                        f"{len(images)} frame(s) and {len(labels)} mask(s) share the stem {stem!r}; not converted",
                        sample_id=stem,
                    )
                continue
            if not labels:
                ctx.problem("missing_mask", images[0], "no mask with this file stem; skipped", sample_id=stem)
                continue
            if not images:
                ctx.problem("missing_image", labels[0], "a mask without a frame of the same stem; ignored")
                continue
            image, mask = images[0], labels[0]
            split = _split_of(ctx.rel(image))
            splits_seen = splits_seen or split is not None
            yield Item(
                sample_id=stem,
                image=image_decode(ctx, image),
                source_file=ctx.rel(image),
                masks={"artefacts": Decode(mask_index, (str(mask),), source=ctx.rel(mask))},
                split=split,
            )
        ctx.split_note = (
            "Split from the train/test folders of the archive."
            if splits_seen
            else "No train/test folder in the archive: a seeded split is assigned."
        )
