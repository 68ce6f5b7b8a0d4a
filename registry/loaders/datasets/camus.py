"""CAMUS echocardiography (CREATIS, Leclerc et al. 2019): 500 patients, 2- and 4-chamber views.

Layout of the current NIfTI release (not in docs/sources.md; from UltraBench's processing code and common use):
``database_nifti/patientNNNN/patientNNNN_{2CH,4CH}_{ED,ES}.nii.gz`` with ``..._gt.nii.gz`` label maps,
``patientNNNN_{2CH,4CH}_half_sequence.nii.gz`` (+ ``_gt``) and ``Info_{2CH,4CH}.cfg`` (``ED``, ``ES``, ``NbFrame``,
``Sex``, ``Age``, ``ImageQuality``, ``EF``, ``FrameRate``), plus ``database_split/subgroup_{training,validation,
testing}.txt`` (one patient id per line; the official 400/50/50 split). The older MetaImage release (``.mhd`` +
``.raw`` in ``training/patientNNNN/``) is read the same way.

- ``frames: ed-es`` (default) converts the ED and ES frames; ``frames: sequence`` converts every frame of the
  half sequences that have a ground-truth sequence (``frame`` column set).
- Target ``heart``: 0 background, 1 LV endocardium (cavity), 2 LV myocardium, 3 left atrium.
- Arrays are read with SimpleITK, whose (row, column) order is the image's natural orientation (readers based on
  nibabel must rotate instead).
- Subject = patient; view, phase, image quality, EF, sex and age go to ``extra``. Without the split files a seeded
  split grouped by patient is assigned.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from pydantic import Field

from ..base import CommonOptions, ConvertContext, Converter, Decode, Item, register
from ..common import image_decode, read_key_values
from ..decode import BadData, mask_index, volume_frames
from ..tables import read_lines

CLASSES = {0: "background", 1: "LV endocardium", 2: "LV myocardium", 3: "left atrium"}
FILE = re.compile(
    r"^(?P<patient>patient\d+)_(?P<view>[24]CH)_(?P<phase>ED|ES|half_sequence|sequence)(?P<gt>_gt)?"
    r"\.(?P<ext>nii\.gz|nii|mhd|mha)$",
    re.IGNORECASE,
)
SPLIT_FILES = {"subgroup_training.txt": "train", "subgroup_validation.txt": "val", "subgroup_testing.txt": "test"}


class CamusOptions(CommonOptions):
    frames: Literal["ed-es", "sequence"] = Field("ed-es", description="ED/ES frames only, or whole half sequences.")


@register
class Camus(Converter):
    name = "camus"
    summary = "database_nifti/patientNNNN/*_{2CH,4CH}_{ED,ES}[_gt].nii.gz with database_split/subgroup_*.txt"
    Options = CamusOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        opts = ctx.options_as(CamusOptions)
        ctx.declare_target("heart", CLASSES, "CAMUS structures")
        splits: dict[str, str] = {}
        for f in ctx.files():
            if f.name.lower() in SPLIT_FILES:
                for name in (word for line in read_lines(f, ctx=ctx) for word in line.split()):
                    splits[name] = SPLIT_FILES[f.name.lower()]
        ctx.split_note = (
            "Official split: database_split/subgroup_{training,validation,testing}.txt."
            if splits
            else "No split files in the download: a seeded split grouped by patient is assigned."
        )
        groups: dict[tuple[str, str, str], dict[str, Path]] = {}
        for f in ctx.files():
            m = FILE.match(f.name)
            if not m:
                continue
            phase = m.group("phase").upper() if m.group("phase").upper() in {"ED", "ES"} else "SEQ"
            key = (m.group("patient").lower(), m.group("view").upper(), phase)
            groups.setdefault(key, {})["gt" if m.group("gt") else "image"] = f
        wanted = {"ED", "ES"} if opts.frames == "ed-es" else {"SEQ"}
        for (patient, view, phase), files in sorted(groups.items()):
            if phase not in wanted:
                why = "half sequences are converted with frames: sequence" if phase == "SEQ" else "frames: sequence"
                for f in files.values():
                    ctx.ignore_file(f, f"not converted with frames: {opts.frames} ({why})")
                continue
            image, gt = files.get("image"), files.get("gt")
            sid = f"{patient}_{view}_{phase}"
            if image is None:
                if gt is not None:
                    ctx.problem("missing_image", gt, "ground truth without an image; ignored")
                continue
            if gt is None:
                ctx.problem("missing_mask", image, "no _gt file for this image; skipped", sample_id=sid)
                continue
            cfg = read_key_values(image.parent / f"Info_{view}.cfg")
            extra = {
                "view": view,
                "phase": phase,
                **{k.lower(): v for k, v in cfg.items() if k in {"ImageQuality", "EF", "Sex", "Age", "FrameRate"}},
            }
            split = splits.get(patient) if splits else None
            if splits and split is None:
                ctx.problem(
                    "missing_annotation",
                    image,
                    f"{patient} is in no subgroup file; a seeded split is used",
                    severity="warning",
                    sample_id=sid,
                )
            try:
                frames = [None] if phase != "SEQ" else list(range(volume_frames(str(image))))
            except BadData as exc:  # a header that cannot be read or declares more frames than any sequence has
                ctx.problem(exc.kind, image, f"{exc.message}; skipped", sample_id=sid)
                continue
            for frame in frames:
                yield Item(
                    sample_id=sid if frame is None else f"{patient}_{view}_f{frame + 1:03d}",
                    image=image_decode(ctx, image, frame),
                    source_file=ctx.rel(image),
                    masks={
                        "heart": Decode(
                            mask_index, (str(gt),), {"frame": frame} if frame is not None else {}, source=ctx.rel(gt)
                        )
                    },
                    split=split,
                    subject_id=patient,
                    frame=frame,
                    extra=extra,
                )
