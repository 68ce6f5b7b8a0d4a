"""HC18 fetal head circumference challenge (Zenodo record 1327317).

Layout (not in docs/sources.md; from the Zenodo file list and common use): ``training_set.zip`` ->
``training_set/<nnn>_HC.png`` with ``<nnn>_HC_Annotation.png``, ``test_set.zip`` -> ``test_set/<nnn>_HC.png`` (no
annotations; the ground truth is held by the organisers), ``training_set_pixel_size_and_HC.csv`` (``filename``,
``pixel size(mm)``, ``head circumference (mm)``) and ``test_set_pixel_size.csv`` (``filename``, ``pixel size(mm)``).

Quirks handled:

- the annotation is the ellipse's outline, not a filled region: it is filled by a least-squares ellipse fit, which
  also closes outlines cut by the image border (target ``head``, 1 = fetal head);
- several images come from one examination (``010_HC.png``, ``010_2HC.png``): the leading number is the subject id,
  so the checks treat them as one subject; the test set numbers its images independently, so subject ids carry the
  set (``train-010``, ``test-010``);
- pixel size and head circumference (mm) go to ``extra``;
- the leading number identifies an examination, not a woman: the real release numbers 806 training and 335 test
  examinations (1141) of 551 women, so a subject count taken from the numbers can never match the declared one.
  Option ``examination_subjects`` (default true) makes it the subject id; the catalog entry turns it off (checked
  against a real copy of the release), and the number then goes to ``extra['examination']``;
- both sets number their images from 000, so sample ids carry the set: ``train_000_HC``, ``test_000_HC``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from pydantic import Field

from ..base import CommonOptions, ConvertContext, Converter, Decode, Item, register
from ..common import image_decode
from ..decode import mask_ellipse_outline
from ..generic_csv import read_csv_rows

IMAGE = re.compile(r"^(?P<subject>\d+)_(?P<n>\d*)HC$", re.IGNORECASE)


def _csv_values(ctx: ConvertContext, name: str) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for f in ctx.files():
        if f.name.lower() != name.lower():
            continue
        for row in read_csv_rows(ctx, f):
            fname = row.get("filename", "")
            vals = {}
            for key, value in row.items():
                k = key.lower()
                try:
                    if "pixel" in k:
                        vals["pixel_size_mm"] = float(value)
                    elif "circumference" in k:
                        vals["head_circumference_mm"] = float(value)
                except ValueError:
                    ctx.problem(
                        "annotation_unreadable", f, f"{fname}: {key} = {value!r} is not a number", severity="warning"
                    )
            out[Path(fname).stem] = vals
    return out


class Hc18Options(CommonOptions):
    examination_subjects: bool = Field(
        True,
        description="Use the image's examination number (set-prefixed) as its subject id; off when the numbers are "
        "known not to identify women (HC18: 1141 examinations of 551 women).",
    )


@register
class Hc18(Converter):
    name = "hc18"
    summary = "training_set/ (images + ellipse outline annotations) and test_set/ with pixel-size CSVs"
    Options = Hc18Options

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        ctx.declare_target("head", {0: "background", 1: "fetal head"}, "filled ellipse from the annotated outline")
        ctx.split_note = "Official training set (train) and test set (test, no annotations: held by the organisers)."
        values = {
            "train": _csv_values(ctx, "training_set_pixel_size_and_HC.csv"),
            "test": _csv_values(ctx, "test_set_pixel_size.csv"),
        }
        subjects = ctx.options_as(Hc18Options).examination_subjects
        found = False
        for set_dir, split in (("training_set", "train"), ("test_set", "test")):

            def is_set(p: Path, n: str = set_dir) -> bool:
                return p.name.lower() == n

            for d in ctx.find_dirs(is_set):
                found = True
                yield from self._set(ctx, d, split, values[split], subjects)
                break
        if not found:
            ctx.find_dir(lambda d: False, "training_set/ or test_set/")

    def _set(self, ctx, folder: Path, split: str, values, subjects: bool) -> Iterator[Item]:
        files = {p.stem: p for p in folder.iterdir() if p.is_file() and p.suffix.lower() == ".png"}
        for stem, image in sorted(files.items()):
            if stem.lower().endswith("_annotation"):
                if stem[: -len("_annotation")] not in files:
                    ctx.problem("missing_image", image, "annotation without an image; ignored")
                continue
            m = IMAGE.match(stem)
            sid = f"{split}_{stem}"
            masks = {}
            annotation = files.get(f"{stem}_Annotation") or files.get(f"{stem}_annotation")
            if split == "train":
                if annotation is None:
                    ctx.problem(
                        "missing_mask", image, "no _Annotation.png for this training image; skipped", sample_id=sid
                    )
                    continue
                masks["head"] = Decode(mask_ellipse_outline, (str(annotation),), source=ctx.rel(annotation))
            extra: dict[str, object] = dict(values.get(stem, {}))
            exam = f"{split}-{m.group('subject')}" if m else None
            if not extra:
                ctx.problem(
                    "missing_annotation", image, "not listed in the pixel-size CSV", severity="warning", sample_id=sid
                )
            yield Item(
                sample_id=sid,
                image=image_decode(ctx, image),
                source_file=ctx.rel(image),
                masks=masks,
                split=split,
                subject_id=exam if subjects else None,
                extra={**extra, "examination": exam} if exam and not subjects else extra,
            )
