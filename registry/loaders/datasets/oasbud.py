"""OASBUD, Open Access Series of Breast Ultrasonic Data (Piotrzkowska-Wróblewska et al. 2017, Zenodo 545928).

Layout (from code that read the real download: the TensorFlow Datasets builder ``oasbud.py`` and other projects'
readers): a single MATLAB file ``OASBUD.mat`` whose variable ``data`` is a 1 x 100 struct array, one record per
lesion, holding in this order the scan id, the two orthogonal RF scans (``rf1``, ``rf2``; 2-D, samples x 510 scan
lines), their two lesion ROI masks of the same size, the BI-RADS category (``birads``) and the lesion class
(``class``). The fields are read by position, as the TFDS builder does.

- The record's id is the patient's ("one patient has two tumors, so ID is not unique", TFDS): one sample per scan
  plane, ``<id>_row<NNN>_scan<k>`` (the record's row, k = 1, 2), subject = the id, so the seeded split keeps a
  patient's lesions and both orthogonal scans of each together.
- Image: the release has no B-mode image, so the converter makes one as the TFDS builder does after the authors'
  MATLAB method (Hilbert transform, log compression, dB threshold): the envelope of each scan line (the analytic
  signal along the axial axis, axis 0, as MATLAB's ``hilbert`` works on columns), log-compressed to
  ``dynamic_range_db`` (default 50, TFDS's -50 dB threshold) below the scan's maximum and scaled to 8 bits. The RF
  itself is not kept.
- Mask ``lesion``: the ROI matrix of the scan, foreground where it is non-zero.
- Label: none. Code that reads the file disagrees on whether ``class`` 0 is benign or malignant, so the raw class code
  and the BI-RADS category go to ``extra`` (``class_code``, ``birads``) instead of a guessed name.
- A record whose fields do not have this shape is reported (``annotation_unreadable``) and skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import Field

from ...errors import UsregError
from ..base import CommonOptions, ConvertContext, Converter, Decode, Item, register
from ._beamform import log_compress
from ._matlab import scalar, struct_records

FIELDS = 7  # id, rf1, rf2, roi1, roi2, birads, class


class OasbudOptions(CommonOptions):
    dynamic_range_db: float = Field(
        50.0, gt=0, le=120, description="Log-compression range of the B-mode image made from the RF, in dB."
    )


def bmode_from_rf(rf: np.ndarray, dynamic_range_db: float = 50.0) -> np.ndarray:
    """An 8-bit B-mode image of one RF scan (samples x lines): envelope along axis 0, log-compressed."""
    from scipy.signal import hilbert

    return log_compress(hilbert(np.asarray(rf, dtype=np.float64), axis=0), dynamic_range_db)  # |analytic| = envelope


def roi_mask(roi: np.ndarray) -> np.ndarray:
    """The lesion ROI of one scan as 0/1."""
    return (np.asarray(roi) != 0).astype(np.uint8)


def _text(value: Any) -> str:
    arr = np.asarray(value)
    if arr.dtype.kind in "US":
        return "".join(str(v) for v in arr.reshape(-1)).strip()
    return str(scalar(arr)).strip()


def _records(path: Path) -> np.ndarray:
    return struct_records("oasbud", path, "OASBUD.mat from Zenodo record 545928")


def _scan(rf: Any, roi: Any, which: int) -> tuple[np.ndarray, np.ndarray]:
    rf_arr, roi_arr = np.asarray(rf), np.asarray(roi)
    if rf_arr.ndim != 2 or min(rf_arr.shape) < 2:
        raise ValueError(f"rf{which} has shape {rf_arr.shape}, expected (samples, lines)")
    if roi_arr.shape != rf_arr.shape:
        raise ValueError(f"roi{which} has shape {roi_arr.shape} but rf{which} has {rf_arr.shape}")
    return rf_arr, roi_arr


@register
class Oasbud(Converter):
    name = "oasbud"
    summary = "one OASBUD.mat: data(1..100) = {id, rf1, rf2, roi1, roi2, birads, class}; B-mode made from the RF"
    Options = OasbudOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        opts = ctx.options_as(OasbudOptions)
        mats = [p for p in ctx.files() if p.suffix.lower() == ".mat"]
        if not mats:
            raise UsregError(
                f"oasbud: no .mat file under {ctx.source_dir}", hint="the release is OASBUD.mat (Zenodo 545928)"
            )
        ctx.declare_target("lesion", {0: "background", 1: "lesion"}, "roi1/roi2 of OASBUD.mat, non-zero = lesion")
        ctx.split_note = (
            "No official split: a seeded split grouped by patient id, so a patient's scans stay in one split."
        )
        for mat in mats:
            source = ctx.rel(mat)
            for n, record in enumerate(_records(mat)):
                try:
                    if len(record) < FIELDS:
                        raise ValueError(f"{len(record)} fields, expected {FIELDS}")
                    rid = _text(record[0])
                    scans = [_scan(record[1], record[3], 1), _scan(record[2], record[4], 2)]
                    birads = _text(record[5])
                    code = int(scalar(record[6]))
                except (IndexError, TypeError, ValueError) as exc:
                    ctx.problem("annotation_unreadable", mat, f"record {n + 1}: {exc}; skipped")
                    continue
                for k, (rf, roi) in enumerate(scans, start=1):
                    sid = f"{rid or 'record'}_row{n + 1:03d}_scan{k}"
                    yield Item(
                        sample_id=sid,
                        image=Decode(bmode_from_rf, (rf, opts.dynamic_range_db), source=f"{source}#{rid}/rf{k}"),
                        source_file=f"{source}#data({n + 1}).rf{k}",
                        masks={"lesion": Decode(roi_mask, (roi,), source=f"{source}#{rid}/roi{k}")},
                        subject_id=rid or None,
                        extra={"row": n + 1, "scan": k, "birads": birads, "class_code": code},
                        annotation_file=source,
                    )
