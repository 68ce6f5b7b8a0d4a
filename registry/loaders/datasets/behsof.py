"""BEHSOF (figshare 26389069): liver ultrasound images of NAFLD patients with a steatosis stage per patient.

Layout (from ultatron's ``data/adapters/liver/behsof.py``, which reads the figshare files): ``image_Data.zip`` holds
one folder per patient, ``BEH#####/Image*.jpg``; ``BEHSOF_images.csv`` gives one row per patient with ``Patient ID``
(sometimes written with a ``\\Data\\`` or ``/Data/`` prefix, which is removed), ``Steatosis stage`` and ``Fibroscan F``.

- Label: the patient's steatosis stage as ``S<stage>``; the FibroScan F grade goes to ``extra``. Images of a patient
  the table does not list keep no label (reported once per patient).
- Subject: the patient folder, so a patient's images never land in two splits (no split is published: seeded, by
  patient). Sample id ``<patient>_<image stem>``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ..base import CommonOptions, ConvertContext, Converter, Item, register
from ..common import image_decode
from ..generic_csv import read_csv_rows

TABLE = "behsof_images.csv"


def patient_id(raw: str) -> str:
    return raw.replace("\\Data\\", "").replace("/Data/", "").strip().strip("\\/")


def _int(raw: str) -> int | None:
    try:
        value = float(raw)
    except ValueError:
        return None
    return int(value) if value.is_integer() else None


@register
class Behsof(Converter):
    name = "behsof"
    summary = "BEH#####/Image*.jpg patient folders with BEHSOF_images.csv steatosis stages"
    Options = CommonOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        ctx.split_note = "No published split: a seeded split grouped by patient."
        tables = [f for f in ctx.files() if f.name.lower() == TABLE]
        rows: dict[str, tuple[int, int | None]] = {}
        if not tables:
            ctx.problem("missing_annotation", ctx.source_dir, "no BEHSOF_images.csv; the images keep no label")
        for table in tables[:1]:
            for n, row in enumerate(read_csv_rows(ctx, table), start=2):
                pid = patient_id(row.get("Patient ID", ""))
                stage = _int(row.get("Steatosis stage", ""))
                if not pid:
                    continue
                if stage is None:
                    ctx.problem("unknown_label", table, f"line {n}: steatosis stage {row.get('Steatosis stage')!r}")
                    continue
                rows[pid] = (stage, _int(row.get("Fibroscan F", "")))
        ctx.declare_labels([f"S{s}" for s in sorted({stage for stage, _ in rows.values()})])
        images = [f for f in ctx.files() if f.suffix.lower() in (".jpg", ".jpeg") and f.parent != ctx.source_dir]
        if not images:
            ctx.find_dir(lambda d: False, "BEH#####/Image*.jpg patient folders")
        reported: set[str] = set()
        for path in images:
            pid = path.parent.name
            stage, fibrosis = rows.get(pid, (None, None))
            if stage is None and tables and pid not in reported:
                reported.add(pid)
                ctx.problem("missing_annotation", path, f"BEHSOF_images.csv has no row for {pid}", "warning")
            yield Item(
                sample_id=f"{pid}_{Path(path.name).stem}",
                image=image_decode(ctx, path),
                source_file=ctx.rel(path),
                subject_id=pid,
                label=f"S{stage}" if stage is not None else None,
                annotation_file=ctx.rel(tables[0]) if stage is not None else None,
                extra={"fibroscan_f": fibrosis} if fibrosis is not None else {},
            )
