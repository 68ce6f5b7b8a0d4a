"""Regensburg pediatric appendicitis (Zenodo 7711412): abdominal B-mode views with a per-patient diagnosis.

Layout (from ultatron's ``data/adapters/gallbladder/regensburg_pediatric_appendicitis.py``, which reads the Zenodo
files): ``US_Pictures.zip`` unpacks to ``US_Pictures/`` (sometimes ``US_Pictures/US_Pictures/``) holding
``<US number>.<view>[ <view name>].bmp``; ``app_data.xlsx`` gives one row per patient (sheet ``All cases`` where
present) with the ``US_Number`` and ``Diagnosis`` columns; ``test_set_codes.csv`` lists the US numbers of the test
patients.

- Label: the patient's ``Diagnosis`` (``appendicitis`` or ``no appendicitis``), given to every view of the patient;
  a patient the table does not list keeps no label (reported).
- Split: the patients of ``test_set_codes.csv`` are ``test``; the others get a seeded split grouped by patient.
- Subject: the US number, so a patient's views never land in two splits.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path

from ..base import CommonOptions, ConvertContext, Converter, Item, register
from ..common import image_decode
from ..tables import csv_lists
from ._xlsx import bounded_rows, damage_reported, open_workbook

VIEW = re.compile(r"^(?P<patient>\d+)\.(?P<view>\d+)")
LABELS = ["appendicitis", "no appendicitis"]
MAX_ROWS = 100_000


def _key(header: object) -> str:
    return str(header or "").strip().lower().replace(" ", "_")


def _cell(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip() if value is not None else ""


def read_diagnoses(ctx: ConvertContext, path: Path) -> dict[str, str]:
    """US number -> diagnosis (lower case) from app_data.xlsx; problems reported, never raised."""
    book = open_workbook(ctx, path, "regensburg-appendicitis: reading app_data.xlsx")
    if book is None:
        return {}
    out: dict[str, str] = {}
    with damage_reported(ctx, path, book, out):
        sheet = book["All cases"] if "All cases" in book.sheetnames else book.active
        rows = sheet.iter_rows(values_only=True)
        header = [_key(h) for h in next(rows, ())]
        if "us_number" not in header or "diagnosis" not in header:
            ctx.problem("annotation_unreadable", path, f"no US_Number and Diagnosis columns (columns: {header[:20]})")
            return {}
        id_col, dx_col = header.index("us_number"), header.index("diagnosis")
        for _, row in bounded_rows(ctx, path, rows, MAX_ROWS, start=1):
            # The release's sheet ends with summary rows (=COUNTBLANK(J2:J783), =J784/783) that the cached values
            # turn into numbers in both columns, e.g. US number 22 with diagnosis 2: a number is never a diagnosis.
            if len(row) <= max(id_col, dx_col) or isinstance(row[dx_col], (int, float)):
                continue
            patient, diagnosis = _cell(row[id_col]), _cell(row[dx_col]).lower()
            if patient and diagnosis:
                out[patient] = diagnosis
    return out


def read_test_codes(ctx: ConvertContext, path: Path) -> set[str]:
    try:
        return {
            cell.strip() for _, row in csv_lists(ctx, path, max_rows=MAX_ROWS) for cell in row if cell.strip().isdigit()
        }
    except (OSError, csv.Error) as exc:
        ctx.problem("annotation_unreadable", path, f"not a readable CSV file: {exc}")
        return set()


def _first(ctx: ConvertContext, name: str) -> Path | None:
    found = [f for f in ctx.files() if f.name.lower() == name]
    return min(found, key=lambda f: (len(f.parts), str(f))) if found else None


@register
class RegensburgAppendicitis(Converter):
    name = "regensburg-appendicitis"
    summary = "US_Pictures/<US number>.<view>*.bmp with app_data.xlsx diagnoses and test_set_codes.csv"
    Options = CommonOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        ctx.declare_labels(LABELS)
        ctx.split_note = "test_set_codes.csv names the test patients; the others get a seeded split grouped by patient."
        table, codes = _first(ctx, "app_data.xlsx"), _first(ctx, "test_set_codes.csv")
        diagnoses = read_diagnoses(ctx, table) if table else {}
        if table is None:
            ctx.problem("missing_annotation", ctx.source_dir, "no app_data.xlsx; the views keep no label")
        test = read_test_codes(ctx, codes) if codes else set()
        if codes is None:
            ctx.problem("missing_annotation", ctx.source_dir, "no test_set_codes.csv; every patient is split by seed")
        views = [f for f in ctx.files() if f.suffix.lower() == ".bmp" and "US_Pictures" in f.parts]
        if not views:
            ctx.find_dir(lambda d: False, "US_Pictures/<US number>.<view>*.bmp")
        unlabelled: set[str] = set()
        for path in views:
            m = VIEW.match(path.name)
            if not m:
                ctx.problem("not_converted", path, "file name is not <US number>.<view>*.bmp; not converted")
                continue
            patient = m.group("patient")
            diagnosis = diagnoses.get(patient)
            if diagnosis is None and table is not None and patient not in unlabelled:
                unlabelled.add(patient)
                ctx.problem(
                    "missing_annotation", path, f"app_data.xlsx has no diagnosis for patient {patient}", "warning"
                )
            yield Item(
                sample_id=re.sub(r"[^A-Za-z0-9]+", "_", path.stem).strip("_"),
                image=image_decode(ctx, path),
                source_file=ctx.rel(path),
                split="test" if patient in test else None,
                subject_id=patient,
                label=ctx.check_label(diagnosis, table or path, patient) if diagnosis else None,
                annotation_file=ctx.rel(table) if table and diagnosis else None,
                extra={"view": int(m.group("view"))},
            )
