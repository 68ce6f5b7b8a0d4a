"""B-mode fatty liver dataset (Byra et al. 2018, Zenodo 1009146): 55 patients, 10 B-mode frames each, in one .mat file.

Layout (from UltraBench's ``process/fatty_liver.py``, which reads the real download): a single MATLAB file
(``dataset_liver_bmodes_steatosis_assessment_IJCARS.mat``) whose variable ``data`` is a 1 x 55 struct array; each
record holds, in this order, the patient id, the class (0 normal, 1 fatty liver: at least 5 % of hepatocytes with
steatosis on biopsy), the steatosis percentage and the frames (10 x 434 x 636, uint8).

- One sample per frame, ``<patient>_<frame>`` as in UltraBench; subject = patient id, so the seeded split keeps a
  patient's frames together.
- Label: the record's class, named by the entry's classes; the steatosis percentage goes to ``extra``.
- A record whose fields do not have this shape is reported (``annotation_unreadable``) and skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ...errors import UsregError
from ..base import CommonOptions, ConvertContext, Converter, Decode, Item, register
from ..common import entry_classes
from ._matlab import scalar, struct_records

MAX_FRAMES = 1000  # per patient; the release has 10


def frame_array(frame: np.ndarray) -> np.ndarray:
    """The frame itself (already decoded from the .mat file in the main process)."""
    return np.ascontiguousarray(frame)


def _records(path: Path) -> np.ndarray:
    return struct_records(
        "fatty-liver-bmode", path, "dataset_liver_bmodes_steatosis_assessment_IJCARS.mat from Zenodo record 1009146"
    )


@register
class FattyLiverBmode(Converter):
    name = "fatty-liver-bmode"
    summary = "one .mat file: data(1..55) = {patient id, class, steatosis %, 10 x H x W frames}"
    Options = CommonOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        mats = [p for p in ctx.files() if p.suffix.lower() == ".mat"]
        if not mats:
            raise UsregError(
                f"fatty-liver-bmode: no .mat file under {ctx.source_dir}",
                hint="the release is dataset_liver_bmodes_steatosis_assessment_IJCARS.mat (Zenodo 1009146)",
            )
        classes = entry_classes(ctx.entry)
        ctx.declare_labels([classes[k] for k in sorted(classes)])
        ctx.split_note = "No official split: a seeded split grouped by patient (10 frames per patient)."
        for mat in mats:
            source = ctx.rel(mat)
            for n, record in enumerate(_records(mat)):
                try:
                    patient = str(scalar(record[0]))
                    cls = int(scalar(record[1]))
                    fat = float(scalar(record[2]))
                    frames = np.asarray(record[3])
                    if frames.ndim == 2:
                        frames = frames[None]
                    if frames.ndim != 3 or not 0 < frames.shape[0] <= MAX_FRAMES:
                        raise ValueError(f"frames of shape {frames.shape}, expected (n, height, width)")
                except (IndexError, TypeError, ValueError) as exc:
                    ctx.problem("annotation_unreadable", mat, f"record {n + 1}: {exc}; skipped")
                    continue
                label = classes.get(cls)
                if label is None:
                    ctx.problem("unknown_label", mat, f"record {n + 1} (patient {patient}): class {cls} is not 0 or 1")
                for i in range(frames.shape[0]):
                    sid = f"{patient}_{i}"
                    yield Item(
                        sample_id=sid,
                        image=Decode(frame_array, (frames[i],), source=f"{source}#{patient}/{i}"),
                        source_file=f"{source}#data({n + 1}).images({i + 1})",
                        subject_id=patient,
                        label=label,
                        frame=i,
                        extra={"steatosis_percent": fat, "class": cls},
                        annotation_file=source,
                    )
