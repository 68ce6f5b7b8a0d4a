"""BUS-BRA breast ultrasound dataset (Zenodo record 8231412, ``BUSBRA.zip``).

Layout (docs/sources.md §3): ``BUSBRA/Images/bus_XXXX-s.png`` with ``BUSBRA/Masks/mask_XXXX-s.png`` (0/255), and
``bus_data.csv`` (the real copy's header: ``ID,Case,Histology,Pathology,BIRADS,Device,Width,Height,Side,BBOX``;
columns are matched case-insensitively and BI-RADS, histology, device, side and box go to ``extra``), ``5-fold-cv.csv``
(``ID``, ``Pathology``, ``kFold`` 1-5) and ``10-fold-cv.csv`` (the same shape, ``kFold`` 1-10). A real copy of
the unpacked archive (solutionbeyondnumbers/Ultra-net-codes- at commit ad75b72) confirms this layout; its masks are
1-bit PNGs, and both fold files add ``valid_1`` ... ``valid_k`` columns (NaN in the test fold, else 0/1: an
image-level validation subset, not patient-level), which are not read.

- Subject ids are the patients' ``Case`` ids from ``bus_data.csv`` (falling back to the number in ``bus_XXXX``).
- The official split is the 5-fold partition: ``split`` is ``test`` for ``kFold == test_fold`` (default 1, as UltraSam
  uses) and ``train`` otherwise; every sample keeps its fold in ``extra.fold``. ``folds: 10`` uses ``10-fold-cv.csv``.
- The label is the pathology (benign / malignant).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from pydantic import Field

from ..base import CommonOptions, ConvertContext, Converter, Item, register
from ..common import MaskSpec, image_decode, mask_decode
from ..generic_csv import read_csv_rows

EXTRA_COLUMNS = ("birads", "bi-rads", "histology", "device", "side", "bbox", "age")


class BusBraOptions(CommonOptions):
    folds: Literal[5, 10] = Field(5, description="Which official partition defines the split: 5- or 10-fold.")
    test_fold: int = Field(1, ge=1, le=10, description="The fold used as the test split.")


def _col(row: dict[str, str], *names: str) -> str | None:
    lower = {k.lower().replace(" ", "").replace("_", ""): v for k, v in row.items()}
    for n in names:
        v = lower.get(n.lower().replace(" ", "").replace("_", ""))
        if v not in (None, ""):
            return v
    return None


def _index(ctx: ConvertContext, path: Path | None) -> dict[str, dict[str, str]]:
    if path is None:
        return {}
    out = {}
    for row in read_csv_rows(ctx, path):
        key = _col(row, "ID", "Image", "Filename")
        if key:
            out[Path(key).stem] = row
    return out


@register
class BusBra(Converter):
    name = "bus-bra"
    summary = "BUSBRA/Images + Masks with bus_data.csv (Case ids) and the official k-fold CSV split"
    Options = BusBraOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        opts = ctx.options_as(BusBraOptions)
        root = ctx.find_dir(lambda d: (d / "Images").is_dir() and (d / "Masks").is_dir(), "Images/ and Masks/")
        ctx.declare_target("lesion", {0: "background", 1: "lesion"})
        ctx.declare_labels(["benign", "malignant"])
        fold_csv = root / f"{opts.folds}-fold-cv.csv"
        if not fold_csv.is_file():
            ctx.problem("missing_annotation", fold_csv, "the official fold file is missing; a seeded split is used")
        data = _index(ctx, root / "bus_data.csv" if (root / "bus_data.csv").is_file() else None)
        folds = _index(ctx, fold_csv if fold_csv.is_file() else None)
        ctx.split_note = (
            f"Official {opts.folds}-fold partition ({fold_csv.name}); fold {opts.test_fold} is the test "
            "split, the other folds train. Each sample's fold is in extra.fold."
        )
        ctx.split_info = {"folds": opts.folds, "test_fold": opts.test_fold}
        spec = MaskSpec(encoding="binary", threshold=127)
        masks = {p.name: p for p in (root / "Masks").iterdir() if p.is_file()}
        used = set()
        for image in sorted(p for p in (root / "Images").iterdir() if p.is_file()):
            sid = image.stem
            mask = masks.get(re.sub(r"^bus_", "mask_", image.name))
            if mask is None:
                ctx.problem("missing_mask", image, "no mask_* file for this image; skipped", sample_id=sid)
                continue
            used.add(mask.name)
            meta, fold_row = data.get(sid, {}), folds.get(sid, {})
            if not meta and not fold_row:
                ctx.problem(
                    "missing_annotation",
                    image,
                    "the image is in neither bus_data.csv nor the fold file",
                    severity="warning",
                    sample_id=sid,
                )
            case = _col(meta, "Case", "Patient")
            m = re.match(r"bus_(\d+)", sid)
            subject = case or (m.group(1) if m else None)
            fold_text = _col(fold_row, "kFold", "Fold", "k_fold")
            fold = int(float(fold_text)) if fold_text and re.fullmatch(r"\d+(\.0)?", fold_text) else None
            pathology = _col(meta, "Pathology") or _col(fold_row, "Pathology")
            extra: dict[str, object] = {k: v for k in EXTRA_COLUMNS if (v := _col(meta, k))}
            if fold is not None:
                extra["fold"] = fold
            yield Item(
                sample_id=sid,
                image=image_decode(ctx, image),
                source_file=ctx.rel(image),
                masks={"lesion": mask_decode(ctx, mask, spec, "lesion")},
                split=None if fold is None else ("test" if fold == opts.test_fold else "train"),
                subject_id=str(subject) if subject else None,
                label=ctx.check_label(pathology.lower() if pathology else None, fold_csv, sid),
                extra=extra,
            )
        for name, mask in sorted(masks.items()):
            if name not in used:
                ctx.problem("missing_image", mask, "mask without an image; ignored")
