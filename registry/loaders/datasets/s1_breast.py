"""S1 breast tumour ultrasound set (US-43d member; source article PMC8205136).

Layout (as ultatron's adapter and UltraSam's converter read it; the archive's top folder is ``S1/`` or ``Data/``):

- ``TrainingDataSet/BreastTumourImages/<n>.jpg`` with ``TrainingDataSet/General-1-channel-Labels/<n>.png``;
- ``TestingDataSet/Test-General-1-BreastTumourImages/<n>.jpg`` with
  ``TestingDataSet/Test-General-1-channel-Labels/<n>.png``;
- the ``Expanded`` variants (``Expanded-3-channel-Labels``, ``Test-Expanded-BreastTumourImages``,
  ``Test-Expanded-3-channel-Labels``) and ``Segmentation_Results/`` (model outputs) are left out on purpose: the
  test images would otherwise appear twice, and a generic folder pattern cannot leave one sibling folder out.

Target ``tumour``: the binary 1-channel label (non-zero = tumour). Split = the folder (train / test). No subject ids.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from pydantic import Field

from ..base import CommonOptions, ConvertContext, Converter, Decode, Item, register
from ..common import image_decode
from ..decode import mask_binary

SETS = (
    ("TrainingDataSet", "BreastTumourImages", "General-1-channel-Labels", "train"),
    ("TestingDataSet", "Test-General-1-BreastTumourImages", "Test-General-1-channel-Labels", "test"),
)


class S1Options(CommonOptions):
    ignore: list[str] = Field(
        default_factory=lambda: [
            "Expanded-3-channel-Labels/*",
            "Test-Expanded-BreastTumourImages/*",
            "Test-Expanded-3-channel-Labels/*",
            "Segmentation_Results/**/*",
        ],
        description="The Expanded variants and the model outputs are not converted.",
    )


@register
class S1Breast(Converter):
    name = "s1-breast"
    summary = "TrainingDataSet/ and TestingDataSet/ tumour images with their General 1-channel labels"
    Options = S1Options

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        ctx.declare_target("tumour", {0: "background", 1: "tumour"}, "General-1-channel labels, non-zero = tumour")
        ctx.split_note = "Official split: the TrainingDataSet/ and TestingDataSet/ folders."
        found = False
        for set_name, image_dir, label_dir, split in SETS:

            def is_set(d: Path, s: str = set_name, i: str = image_dir) -> bool:
                return d.name == s and (d / i).is_dir()

            for root in ctx.find_dirs(is_set):
                found = True
                for image in sorted(p for p in (root / image_dir).iterdir() if p.suffix.lower() in (".jpg", ".jpeg")):
                    sid = f"{split}_{image.stem}"
                    mask = root / label_dir / f"{image.stem}.png"
                    if not mask.is_file():
                        ctx.problem("missing_mask", image, f"no {label_dir}/{image.stem}.png; skipped", sample_id=sid)
                        continue
                    yield Item(
                        sample_id=sid,
                        image=image_decode(ctx, image),
                        source_file=ctx.rel(image),
                        masks={"tumour": Decode(mask_binary, ((str(mask),),), source=ctx.rel(mask))},
                        split=split,
                    )
        if not found:
            ctx.find_dir(lambda d: False, "TrainingDataSet/BreastTumourImages or TestingDataSet/")
