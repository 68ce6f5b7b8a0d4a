"""Chinese multi-organ ultrasound image-report dataset (Li et al., TMI 2024): images paired with Chinese reports.

Layout (from the authors' ``KMVE_RG/modules/datasets.py`` and ``config.py``, and ultatron's
``data/adapters/breast/chinese_us_report_adapter.py``): per organ an annotation file ``new_<Organ>2.json`` (``Mammary``,
``Thyroid``, ``Liver``) mapping each split (``train``, ``val``, ``test``) to records ``{"uid", "image_path": [file
names], "finding": report text, "labels": ...}``, and the images in ``<Organ>_report/<file name>``.

- One sample per image (``<Organ>_<file stem>``), with the split of its record; subject = ``<Organ>_<uid>`` (a
  patient's images stay together).
- No class label: the record's ``labels`` value is the authors' unsupervised knowledge-distiller cluster, not a
  diagnosis; it goes to ``extra`` with the organ, the uid and the report text (``finding``).
- A real copy of the release (17,149 images, 14,707 of them named by the 7,364 records) shows two quirks: some
  records name one image twice (converted once, the repeat reported), and the ``<Organ>_report/`` folders hold images
  that no record names (most of uids without a record): they have no report and no split, so they are left out on
  purpose (not counted as dropped), with the reason.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..base import CommonOptions, ConvertContext, Converter, Item, register
from ..common import canonical_split, image_decode, read_json

ANNOTATION = re.compile(r"^new_(?P<organ>[A-Za-z]+)2\.json$")


@register
class ChineseUsReportText(Converter):
    name = "chinese-us-report-text"
    summary = "new_<Organ>2.json records (uid, image_path, finding) with <Organ>_report/ images"
    Options = CommonOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        tables = [(f, m) for f in ctx.files() if (m := ANNOTATION.match(f.name))]
        if not tables:
            ctx.problem("missing_annotation", ctx.source_dir, "no new_<Organ>2.json annotation file")
        for table, m in tables:
            organ = m.group("organ")
            images = table.parent / f"{organ}_report"
            doc = read_json(ctx, table, dict, "a JSON object of split -> records", "nothing converted from it")
            if doc is None:
                continue
            named: set[Path] = set()
            for split, records in doc.items():
                for n, rec in enumerate(records if isinstance(records, list) else []):
                    yield from self._record(ctx, table, images, organ, canonical_split(str(split)), n, rec, named)
            for f in ctx.files():
                if f.parent == images and f not in named:
                    ctx.ignore_file(f, f"no record of {table.name} names this image (no report, no split)")

    def _record(self, ctx, table: Path, images: Path, organ: str, split: str, n: int, rec: Any, named: set[Path]):
        where = f"{ctx.rel(table)}: {split} record {n + 1}"
        names = rec.get("image_path") if isinstance(rec, dict) else None
        if not isinstance(names, list) or not names or "uid" not in rec:
            ctx.problem("annotation_unreadable", table, f"{where} has no uid or image_path list; ignored")
            return
        uid = str(rec["uid"])
        for name in names:
            path = Path(os.path.normpath(images / str(name)))
            if not path.is_file() or not path.is_relative_to(ctx.source_dir):
                ctx.problem("missing_image", table, f"{where}: {organ}_report/{name} is not in the download")
                continue
            if path in named:
                ctx.problem("duplicate", table, f"{where} names {name} again; converted once", severity="warning")
                continue
            named.add(path)
            yield Item(
                sample_id=f"{organ}_{path.stem}",
                image=image_decode(ctx, path),
                source_file=ctx.rel(path),
                split=split,
                subject_id=f"{organ}_{uid}",
                extra={"organ": organ, "uid": uid, "report": rec.get("finding", ""), "cluster": rec.get("labels")},
                annotation_file=where,
            )
