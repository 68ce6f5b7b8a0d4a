"""MIMIC-IV-ECHO-Ext-MIMICEchoQA (PhysioNet 1.0.0): echocardiogram MP4 clips with closed-ended question/answer pairs.

Layout (from ultatron's ``data/adapters/cardiac/mimic_echoqa.py``, which reads the real download): ``MIMICEchoQA/``
holds ``MIMICEchoQA.json`` (a list of records: ``messages_id``, ``videos`` (the clip's path in MIMIC-IV-ECHO terms,
``mimic-iv-echo/0.1/files/p<NN>/p<subject>/s<study>/<study>_<NNNN>.mp4``), ``study``, ``view``, ``structure``,
``question``, ``option_A`` ... ``option_D``, ``correct_option``, ``answer``) and the clips under
``MIMICEchoQA/0.1/files/p<NN>/p<subject>/s<study>/``, found by that path's part from ``files/`` on.

- Each clip gives ``frames`` samples (default 3): frames evenly spaced over 10-90 % of the clip; sample id
  ``<clip stem>_<frame>``. A clip asked about in several records is converted once; all its question/answer records
  go to ``extra`` (``qa``), with the study and the view.
- There is no class label (the answers are free text per question). Subject = the MIMIC subject id (``p<subject>``
  folder), so a patient's clips stay in one split (seeded: none is published). A record whose clip is not in the
  download is reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import Field

from ..base import CommonOptions, ConvertContext, Converter, Decode, Item, register
from ..common import read_json
from ._video import probe, read_frame
from ._volumes import MAX_SLICES, slice_indices

RECORDS = "MIMICEchoQA.json"
SUBJECT = re.compile(r"(?:^|/)p(?P<subject>\d{5,})/s\d+/")
QA_KEYS = ("messages_id", "question", "option_A", "option_B", "option_C", "option_D", "correct_option", "answer")
MAX_RECORDS = 1_000_000


class EchoQAOptions(CommonOptions):
    frames: int = Field(3, ge=1, le=MAX_SLICES, description="Frames taken from each clip.")


def _clip_path(qa_dir: Path, video: str) -> Path | None:
    """The clip of a record's ``videos`` entry under ``qa_dir/0.1/``, from its ``files/`` part on."""
    rel = video.replace("\\", "/").lstrip("/")
    at = rel.find("files/")
    if at < 0:
        return None
    parts = [p for p in rel[at:].split("/") if p]
    if any(p in {".", ".."} for p in parts):
        return None
    return qa_dir / "0.1" / Path(*parts)


@register
class MimicIvExtEchoqa(Converter):
    name = "mimic-iv-ext-echoqa"
    summary = "MIMICEchoQA/MIMICEchoQA.json question/answer records with 0.1/files/p*/p*/s*/*.mp4 clips, a few frames"
    Options = EchoQAOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        opts = ctx.options_as(EchoQAOptions)
        qa_dir = ctx.find_dir(lambda d: (d / RECORDS).is_file(), RECORDS)
        table = qa_dir / RECORDS
        ctx.split_note = "No published split: a seeded split grouped by patient (the MIMIC subject id)."
        records = read_json(ctx, table, list, "a JSON list of records", "nothing converted")
        if records is None:
            return
        clips: dict[Path, dict[str, Any]] = {}
        for n, record in enumerate(records[:MAX_RECORDS]):
            videos = record.get("videos") if isinstance(record, dict) else None
            video = videos[0] if isinstance(videos, list) and videos and isinstance(videos[0], str) else None
            path = _clip_path(qa_dir, video) if video else None
            if path is None:
                ctx.problem("annotation_unreadable", table, f"record {n}: no clip path under files/; ignored")
                continue
            if not path.is_file():
                ctx.problem("missing_image", table, f"record {n}: {video} is not in the download; ignored")
                continue
            entry = clips.setdefault(path, {"study": str(record.get("study") or ""), "view": "", "qa": []})
            entry["view"] = entry["view"] or str(record.get("view") or "")
            entry["qa"].append({k: record[k] for k in (*QA_KEYS, "structure") if record.get(k) not in (None, "")})
        for path, entry in sorted(clips.items()):
            info = probe(str(path))
            if info is None or info[0] == 0:
                ctx.problem("unreadable", path, "not a readable video; skipped")
                continue
            count = info[0]
            m = SUBJECT.search(ctx.rel(path))
            picks = slice_indices(count, opts.frames)
            for k in picks:
                yield Item(
                    sample_id=f"{path.stem}_{k:04d}",
                    image=Decode(read_frame, (str(path), k, tuple(picks)), source=ctx.rel(path)),
                    source_file=ctx.rel(path),
                    subject_id=m.group("subject") if m else None,
                    frame=k,
                    extra={**entry, "frames_in_clip": count},
                    annotation_file=ctx.rel(table),
                )
