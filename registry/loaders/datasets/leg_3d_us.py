"""LEG 3D US (TU Munich CAMP): 3-D ultrasound volumes of the lower leg with soleus and gastrocnemius labels, as slices.

Layout (from torch-em's ``torch_em/data/datasets/medical/leg_3d_us.py``, which downloads the three archives and reads
them): ``leg_train_data.zip``, ``leg_validation_data.zip`` and ``leg_test_data.zip`` unpack to ``train/``, ``val/``
and ``test/``; each holds one folder per scan with the image volume ``x*.mha`` and its label volume ``masksX*.mha``
(the image name with ``x`` replaced by ``masksX``). Split = the top folder.

- Label values 100 (soleus), 150 (gastrocnemius medialis) and 200 (gastrocnemius lateralis) are kept as the class ids
  the entry declares; any other value becomes background, as torch-em's preprocessing does.
- Slicing: along the first axis of SimpleITK's array (the axis torch-em's 2-D patches of shape (1, 512, 512) take).
  Of the slices that show a muscle, ``slices`` (default 20) evenly spaced ones are converted per volume (0: all of
  them); sample id ``<split>_<scan folder>_<volume stem>_s<slice>``.
- Subject = the scan folder (with its split), so the slices of one scan never leave their split.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

import numpy as np
from pydantic import Field

from ..base import CommonOptions, ConvertContext, Converter, Decode, Item, register
from ..decode import BadData
from ._volumes import MAX_SLICES, spread
from .microseg import _shape, _volume, volume_slice

CLASSES = {
    0: "background",
    100: "soleus (SOL)",
    150: "gastrocnemius medialis (GM)",
    200: "gastrocnemius lateralis (GL)",
}
KEPT = (100, 150, 200)
SPLITS = {"train": "train", "val": "val", "validation": "val", "test": "test"}
IMAGE = re.compile(r"^x(?P<rest>.*)\.mha$")


@lru_cache(maxsize=1)
def _labels(path: str) -> np.ndarray:
    arr = _volume(path)
    return np.where(np.isin(arr, KEPT), arr, 0).astype(np.uint8)


def label_slice(path: str, frame: int) -> np.ndarray:
    """Slice ``frame`` of a LEG 3D US label volume: 100/150/200 kept, every other value 0."""
    arr = _labels(path)
    if not 0 <= frame < arr.shape[0]:
        raise BadData("unreadable", f"slice {frame} is outside the label volume's {arr.shape[0]} slices")
    return np.ascontiguousarray(arr[frame])


class LegOptions(CommonOptions):
    slices: int = Field(20, ge=0, le=MAX_SLICES, description="Labelled slices taken per volume (0: every one).")


@register
class Leg3dUs(Converter):
    name = "leg-3d-us"
    summary = "{train,val,test}/<scan>/x*.mha volumes with masksX*.mha labels, sliced"
    Options = LegOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        opts = ctx.options_as(LegOptions)
        ctx.declare_target("muscles", dict(CLASSES), "label values 100/150/200; other values are background")
        ctx.split_note = "Official split: the train/, val/ and test/ folders of the three archives."
        volumes = [(f, m) for f in ctx.files() if (m := IMAGE.match(f.name)) and f.parent.parent.name.lower() in SPLITS]
        if not volumes:
            ctx.find_dir(lambda d: False, "{train,val,test}/<scan>/x*.mha")
        for image, m in volumes:
            split = SPLITS[image.parent.parent.name.lower()]
            scan = image.parent.name
            stem = image.name[: -len(".mha")]
            sid = f"{split}_{scan}_{stem}"
            mask = image.with_name("masksX" + m.group("rest") + ".mha")
            if not mask.is_file():
                ctx.problem("missing_mask", image, f"no label volume {mask.name} beside it; skipped", sample_id=sid)
                continue
            try:
                shape, labels = _shape(str(image)), _labels(str(mask))
            except BadData as exc:
                ctx.problem(exc.kind, image, exc.message, sample_id=sid)
                continue
            if shape[:3] != labels.shape[:3]:
                ctx.problem(
                    "size_mismatch", mask, f"label volume {labels.shape} differs from image {shape}", sample_id=sid
                )
                continue
            shown = [int(k) for k in np.flatnonzero(labels.reshape(labels.shape[0], -1).any(axis=1))]
            for k in spread(shown, opts.slices):
                yield Item(
                    sample_id=f"{sid}_s{k:03d}",
                    image=Decode(volume_slice, (str(image), k), source=ctx.rel(image)),
                    source_file=ctx.rel(image),
                    masks={"muscles": Decode(label_slice, (str(mask), k), source=ctx.rel(mask))},
                    split=split,
                    subject_id=f"{split}_{scan}",
                    frame=k,
                    extra={"slice": k, "depth": shape[0]},
                )
