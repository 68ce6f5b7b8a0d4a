"""ReMIND (Juvekar et al. 2024, TCIA): intraoperative brain ultrasound of the ReMIND collection, as 2-D slices.

Layout (from ultatron's ``data/adapters/remind_brain_ius.py``, which reads the real download): per case, DICOM series
of three modalities, MR, US and SEG (``remind/<case>/<study>/US_*/*.dcm`` in that copy; TCIA's downloader names the
folders differently). This converter does not rely on folder names: it reads each ``.dcm`` file's header and keeps
the ultrasound (``Modality`` US).

- A multi-frame file (a 3-D ultrasound volume) gives ``slices`` samples (default 10), frames evenly spaced over 10-90 %
  of the volume; a series of single-frame files gives the same number of files, evenly spaced in instance order.
- Subject = ``PatientID`` (the case), so all of a patient's ultrasound stays in one split (seeded: none is published);
  sample ids are ``<PatientID>_s<n>_<file stem>[_<frame>]`` with ``n`` the series' rank within the patient; the series
  UID and the frame or instance number go to ``extra``. MR and SEG series are not converted: their files are left out
  on purpose (reported as ignored, not as dropped).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import Field

from ..base import CommonOptions, ConvertContext, Converter, Decode, Item, register
from ._dicom import header, read_clip_frame
from ._volumes import MAX_SLICES, slice_indices


class RemindOptions(CommonOptions):
    slices: int = Field(10, ge=1, le=MAX_SLICES, description="Slices taken from each ultrasound volume or series.")


@register
class Remind(Converter):
    name = "remind"
    summary = "DICOM series of the ReMIND collection; the ultrasound (Modality US) volumes, sliced"
    Options = RemindOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        opts = ctx.options_as(RemindOptions)
        ctx.split_note = "No published split: a seeded split grouped by patient (PatientID)."
        series: dict[str, list[tuple[Path, dict[str, Any]]]] = defaultdict(list)
        for path in ctx.files():
            if path.suffix.lower() != ".dcm":
                continue
            info = header(str(path))
            if info is None:
                ctx.problem("unreadable", path, "not a readable DICOM file; skipped")
                continue
            if info["modality"].upper() != "US":
                modality = info["modality"] or "not given"
                ctx.ignore_file(path, f"Modality {modality}: only the ultrasound (US) series are converted")
                continue
            if not info["patient"]:
                ctx.problem("annotation_unreadable", path, "an ultrasound DICOM without PatientID; skipped")
                continue
            series[info["series"] or ctx.rel(path)].append((path, info))
        if not series:
            ctx.problem("missing_image", ctx.source_dir, "no ultrasound DICOM (Modality US) in the download")
        per_patient: dict[str, int] = defaultdict(int)
        for uid, members in sorted(series.items(), key=lambda s: (s[1][0][1]["patient"], s[0])):
            patient = members[0][1]["patient"]
            per_patient[patient] += 1
            prefix = f"{patient}_s{per_patient[patient]}"
            members.sort(key=lambda m: (m[1]["instance"] is None, m[1]["instance"] or 0, m[0].name))
            picks: list[tuple[Path, dict[str, Any], int]]
            if len(members) == 1 or any(info["frames"] > 1 for _, info in members):
                picks = [(p, i, k) for p, i in members for k in slice_indices(i["frames"], opts.slices)]
            else:
                picks = [(members[k][0], members[k][1], 0) for k in slice_indices(len(members), opts.slices)]
            for path, info, k in picks:
                multi = info["frames"] > 1
                yield Item(
                    sample_id=f"{prefix}_{path.stem}" + (f"_{k:04d}" if multi else ""),
                    image=Decode(read_clip_frame, (str(path), k), source=ctx.rel(path)),
                    source_file=ctx.rel(path),
                    subject_id=info["patient"],
                    frame=k if multi else None,
                    extra={"series_uid": uid, "frame": k, "instance": info["instance"], "frames": info["frames"]},
                )
