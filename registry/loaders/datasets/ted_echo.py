"""TED (CREATIS / VITALab; Painchaud et al., IEEE TMI 2022): apical four-chamber 2D+time echocardiography sequences
with a segmentation of every frame.

Layout (from ultatron's ``data/adapters/cardiac/ted.py``, which reads the real download, and VITALab's
``vital/data/camus/camus2ted.py``, which writes CAMUS patients in the TED format): ``database/patientNNN/`` holds
``patientNNN_4CH_sequence.mhd`` (+ ``.raw``; the whole cycle, frames along the third axis), its per-frame label map
``patientNNN_4CH_sequence_gt.mhd`` (+ ``.raw``) and ``patientNNN_4CH_info.cfg`` (``ED``, ``ES``, ``NbFrame``, ``EF``,
``Sex``, ``Age``, ``ImageQuality`` ...; ED and ES are 1-based frame numbers).

- ``frames: sequence`` (default) converts every frame of each sequence (``<patient>_f<NNN>``, ``frame`` = the
  0-based index); ``frames: ed-es`` converts only the ED and ES frames that the info file names.
- Target ``heart``: the CAMUS label convention that TED keeps (0 background, 1 LV endocardium (cavity),
  2 LV myocardium).
- Subject = patient; the phase (ED/ES when the frame is one), EF, age, sex and image quality go to ``extra``. The
  release publishes no split: a seeded split grouped by patient is assigned.
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

CLASSES = {0: "background", 1: "LV endocardium", 2: "LV myocardium"}
FILE = re.compile(r"^(?P<patient>patient\d+)_4CH_sequence(?P<gt>_gt)?\.(?:mhd|mha|nii\.gz|nii)$", re.IGNORECASE)
INFO = re.compile(r"^(?P<patient>patient\d+)_4CH_info\.cfg$", re.IGNORECASE)
EXTRA_KEYS = {"ef": "ef", "sex": "sex", "age": "age", "imagequality": "image_quality"}
MAX_FRAMES = 10_000


class TedOptions(CommonOptions):
    frames: Literal["sequence", "ed-es"] = Field(
        "sequence", description="Every frame of each sequence, or only the ED and ES frames of its info file."
    )


def _frame_number(cfg: dict[str, str], key: str) -> int | None:
    try:
        value = int(cfg.get(key, ""))
    except ValueError:
        return None
    return value if value >= 1 else None


@register
class TedEcho(Converter):
    name = "ted-echo"
    summary = "database/patientNNN/patientNNN_4CH_sequence[_gt].mhd with patientNNN_4CH_info.cfg; one sample per frame"
    Options = TedOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        opts = ctx.options_as(TedOptions)
        ctx.declare_target("heart", CLASSES, "TED labels (the CAMUS convention): LV cavity and myocardium")
        ctx.split_note = "TED publishes no split: a seeded split grouped by patient is assigned."
        groups: dict[str, dict[str, Path]] = {}
        for f in ctx.files():
            m = FILE.match(f.name)
            if m:
                groups.setdefault(m.group("patient").lower(), {})["gt" if m.group("gt") else "image"] = f
                continue
            m = INFO.match(f.name)
            if m:
                groups.setdefault(m.group("patient").lower(), {})["cfg"] = f
        for patient, files in sorted(groups.items()):
            image, gt = files.get("image"), files.get("gt")
            if image is None:
                if gt is not None:
                    ctx.problem("missing_image", gt, "ground truth without its sequence; ignored")
                continue
            if gt is None:
                ctx.problem("missing_mask", image, "no _gt sequence for this sequence; skipped", sample_id=patient)
                continue
            try:
                count, gt_count = volume_frames(str(image)), volume_frames(str(gt))
            except BadData as exc:
                ctx.problem(exc.kind, image, f"cannot use the sequence header: {exc.message}")
                continue
            if count != gt_count:
                ctx.problem(
                    "size_mismatch",
                    image,
                    f"the sequence has {count} frames and its ground truth {gt_count}; skipped",
                    sample_id=patient,
                )
                continue
            cfg = {k.lower(): v for k, v in read_key_values(files.get("cfg")).items()}
            ed, es = _frame_number(cfg, "ed"), _frame_number(cfg, "es")
            phases = {n - 1: name for name, n in (("ED", ed), ("ES", es)) if n is not None and n <= count}
            if opts.frames == "ed-es":
                if not phases:
                    ctx.problem(
                        "missing_annotation",
                        files.get("cfg", image),
                        "no ED/ES frame numbers within the sequence in the info file; skipped",
                        sample_id=patient,
                    )
                    continue
                frames = sorted(phases)
            else:
                frames = list(range(min(count, MAX_FRAMES)))
            base = {v: cfg[k] for k, v in EXTRA_KEYS.items() if cfg.get(k)}
            for frame in frames:
                extra = dict(base)
                if frame in phases:
                    extra["phase"] = phases[frame]
                yield Item(
                    sample_id=f"{patient}_f{frame + 1:03d}",
                    image=image_decode(ctx, image, frame),
                    source_file=ctx.rel(image),
                    masks={"heart": Decode(mask_index, (str(gt),), {"frame": frame}, source=ctx.rel(gt))},
                    subject_id=patient,
                    frame=frame,
                    extra=extra,
                )
