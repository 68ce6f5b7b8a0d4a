"""STU-Hospital breast ultrasound set (GitHub xbhlk/STU-Hospital, with the RDAU-NET paper): 42 image/mask pairs.

Layout of the repository archive (``STU-Hospital-master/``): ``Hospital/Test_Image_<n>.png`` (128 x 128) with
``Hospital/mask_<n>.png``. Quirks, handled here because a generic folder loader rejects them:

- most masks are not the size of their image: the mask is resized to the image with nearest-neighbour sampling, as
  UltraSam's converter does (``imresize_like(..., interpolation="nearest")``), and each resize is reported (info);
- masks hold intermediate grey values at the lesion border: pixels above 127 are lesion (target ``lesion``).

No labels, split or subject ids are published: a seeded split is assigned.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import numpy as np
from PIL import Image

from ..base import CommonOptions, ConvertContext, Converter, Decode, Item, register
from ..common import image_decode
from ..decode import BadData, Decoded

IMAGE = re.compile(r"^Test_Image_(?P<n>\d+)\.png$", re.IGNORECASE)


def mask_resized(path: str, image_shape: tuple[int, int], threshold: int = 127) -> Decoded:
    """A grey mask thresholded to 0/1, resized (nearest) to ``image_shape`` when it differs; the resize is noted."""
    try:
        with Image.open(path) as im:
            grey = im.convert("L")
            notes = []
            h, w = image_shape
            if grey.size != (w, h):
                notes.append(("resized", "info", f"mask {grey.size[0]}x{grey.size[1]} resized to the image's {w}x{h}"))
                grey = grey.resize((w, h), Image.Resampling.NEAREST)
            arr = np.asarray(grey)
    except (OSError, ValueError) as exc:
        raise BadData("unreadable", f"cannot read the mask: {exc}") from None
    return Decoded((arr > threshold).astype(np.uint8), notes)


@register
class StuHospital(Converter):
    name = "stu-hospital"
    summary = "Hospital/Test_Image_<n>.png with Hospital/mask_<n>.png (masks resized to their image)"
    Options = CommonOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        ctx.declare_target("lesion", {0: "background", 1: "lesion"}, "grey masks above 127, resized to the image")
        images = [(f, m) for f in ctx.files() if f.parent.name == "Hospital" and (m := IMAGE.match(f.name))]
        if not images:
            ctx.find_dir(lambda d: False, "Hospital/Test_Image_<n>.png")
        for image, m in images:
            n = m.group("n")
            mask = image.parent / f"mask_{n}.png"
            if not mask.is_file():
                ctx.problem("missing_mask", image, f"no mask_{n}.png; skipped", sample_id=n)
                continue
            yield Item(
                sample_id=n,
                image=image_decode(ctx, image),
                source_file=ctx.rel(image),
                masks={"lesion": Decode(mask_resized, (str(mask),), needs_shape=True, source=ctx.rel(mask))},
            )
