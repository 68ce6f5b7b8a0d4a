"""MIMIC-IV-ECHO (PhysioNet, version 1.0): echocardiogram DICOM clips of MIMIC-IV patients, as sampled frames.

Layout (from ultatron's ``data/adapters/cardiac/mimic_echo.py``, which reads the real download): the PhysioNet tree
``physionet.org/files/mimic-iv-echo/1.0/`` with ``echo-record-list.csv`` (columns ``subject_id``, ``study_id``,
``acquisition_datetime``, ``dicom_filepath``) and ``files/p<NN>/p<subject_id>/s<study_id>/<study_id>_<NNNN>.dcm``.

- Driven by ``echo-record-list.csv``: a listed file that is not in the download is reported.
- Each DICOM gives ``frames`` samples (default 3): frames evenly spaced over 10-90 % of the clip (a single-frame file
  gives its one frame); sample id ``<file stem>_<frame>``.
- Subject = ``subject_id`` (the patient), so a patient's studies stay in one split (seeded: none is published); the
  study id and acquisition time go to ``extra``. There are no labels (reports and measurements are separate tables).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from pydantic import Field

from ..base import CommonOptions, ConvertContext, Converter, Decode, Item, register
from ..tables import csv_dicts
from ._dicom import frame_count, read_clip_frame
from ._volumes import MAX_SLICES, slice_indices

RECORDS = "echo-record-list.csv"


class MimicEchoOptions(CommonOptions):
    frames: int = Field(3, ge=1, le=MAX_SLICES, description="Frames taken from each DICOM clip.")


@register
class MimicIvEcho(Converter):
    name = "mimic-iv-echo"
    summary = "echo-record-list.csv + files/p*/p*/s*/*.dcm echo clips, a few frames per clip"
    Options = MimicEchoOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        opts = ctx.options_as(MimicEchoOptions)
        base = ctx.find_dir(lambda d: (d / RECORDS).is_file(), RECORDS)
        table = base / RECORDS
        ctx.split_note = "No published split: a seeded split grouped by patient (subject_id)."
        rows = list(csv_dicts(ctx, table))
        for line, row in rows:
            rel = (row.get("dicom_filepath") or "").strip()
            subject = (row.get("subject_id") or "").strip()
            path = Path(os.path.normpath(base / rel)) if rel else None
            if path is None or not subject or not path.is_relative_to(ctx.source_dir):
                ctx.problem("annotation_unreadable", table, f"line {line}: no dicom_filepath or subject_id; ignored")
                continue
            if not path.is_file():
                ctx.problem("missing_image", table, f"line {line}: {rel} is not in the download")
                continue
            count = frame_count(str(path))
            if count is None:
                ctx.problem("unreadable", path, "not a readable DICOM file; skipped")
                continue
            for k in slice_indices(count, opts.frames):
                yield Item(
                    sample_id=f"{path.stem}_{k:04d}",
                    image=Decode(read_clip_frame, (str(path), k), source=ctx.rel(path)),
                    source_file=ctx.rel(path),
                    subject_id=subject,
                    frame=k,
                    extra={
                        "study_id": (row.get("study_id") or "").strip(),
                        "acquisition_datetime": (row.get("acquisition_datetime") or "").strip(),
                        "frames_in_clip": count,
                    },
                    annotation_file=f"{ctx.rel(table)}:{line}",
                )
