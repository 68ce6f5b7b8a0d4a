"""Generic converter for CSV files listing image paths (and mask paths, labels, subjects, splits).

Example entry::

    loader:
      name: csv-paths
      options:
        csv: "{split}.csv"
        image_column: image_path
        mask_columns: {lesion: mask_path}
        label_column: diagnosis
        subject_column: patient
        relative_to: csv

CSVs that give a bare name rather than a path use ``image_template``: ``{}`` is the image column's value and
``{Column}`` any column's value (``"Images/{}.png"``, ``"{Center}/{Filename}.png"``); ``mask_templates`` build mask
paths the same way. Codes rather than names are mapped with ``split_values`` (``{"1": train, "0": test}``) and
``label_values`` (``{"0": benign, "1": malignant}``).
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from pydantic import Field

from .base import CommonOptions, ConvertContext, Converter, Item, register
from .common import MaskSpec, canonical_split, entry_classes, image_decode, mask_decode, target_classes
from .generic_folders import Colour
from .patterns import match_files
from .splits import SPLIT_GROUP
from .tables import MAX_TABLE_ROWS, csv_dicts


class CsvOptions(CommonOptions):
    csv: str | dict[str, str] = Field(description="CSV file pattern (may use {split}), or split -> pattern.")
    image_column: str = "image"
    image_template: str = Field("{}", description="Image path: '{}' is the image column's value, '{Col}' a column's.")
    mask_templates: dict[str, str] = Field(
        default_factory=dict, description="Target -> mask path template (placeholders as image_template)."
    )
    mask_columns: dict[str, str] = Field(default_factory=dict, description="Target -> column of mask paths.")
    mask: MaskSpec | dict[str, MaskSpec] = Field(default_factory=MaskSpec)
    classes: dict[str, dict[int, str]] | None = None
    labels: list[str] | None = Field(None, description="Label classes; default: the entry's classes, else found.")
    label_column: str | None = None
    label_values: dict[str, str] = Field(default_factory=dict, description="Label column value -> class name.")
    subject_column: str | None = None
    group_column: str | None = Field(
        None,
        description="Column naming a sample's group (a case, a lesion) when no subject is given: a group stays in one "
        "seeded split and is kept in extra.split_group, never counted as a subject.",
    )
    split_column: str | None = None
    split_values: dict[str, str] = Field(
        default_factory=dict, description="Split column value -> split name, e.g. {'1': train}."
    )
    frame_column: str | None = None
    id_column: str | None = None
    relative_to: Literal["csv", "root"] = "csv"
    delimiter: str = ","
    colour: Colour = "auto"


_FIELD = re.compile(r"\{([^{}]*)\}")


def fill_template(template: str, value: str, row: dict[str, str]) -> str | None:
    """``template`` with ``{}`` replaced by ``value`` and ``{Column}`` by that column's value (None if one is empty)."""
    missing = False

    def one(match: re.Match[str]) -> str:
        nonlocal missing
        name = match.group(1).strip()
        found = value if not name else row.get(name, "")
        missing = missing or not found
        return found

    filled = _FIELD.sub(one, template)
    return None if missing else filled


#: rows read from one CSV table (a damaged or hostile file must not fill memory); the rest are reported, not read
MAX_CSV_ROWS = MAX_TABLE_ROWS


def read_csv_rows(ctx: ConvertContext, path: Path, delimiter: str = ",") -> list[dict[str, str]]:
    """The rows of a CSV table as dicts (keys and values stripped); at most ``MAX_CSV_ROWS``, problems reported."""
    try:
        return [row for _, row in csv_dicts(ctx, path, delimiter=delimiter, max_rows=MAX_CSV_ROWS, strip=True)]
    except (OSError, csv.Error) as exc:
        ctx.problem("annotation_unreadable", path, f"not a readable CSV file: {exc}")
        return []


@register
class CsvPaths(Converter):
    name = "csv-paths"
    summary = "CSV files listing image (and mask) paths with labels, subjects and splits"
    Options = CsvOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        opts = ctx.options_as(CsvOptions)
        tables: list[tuple[str | None, Path]] = []
        if isinstance(opts.csv, dict):
            for split_name, pattern in opts.csv.items():
                tables += [
                    (canonical_split(split_name), m.path) for m in match_files(pattern, ctx.files(), ctx.source_dir)
                ]
        else:
            for m in match_files(opts.csv, ctx.files(), ctx.source_dir):
                tables.append((canonical_split(m.groups["split"]) if "split" in m.groups else None, m.path))
        if not tables:
            ctx.problem("missing_annotation", ctx.source_dir, f"no CSV file matches {opts.csv!r}")
            return
        for target in [*opts.mask_columns, *opts.mask_templates]:
            spec = opts.mask.get(target, MaskSpec()) if isinstance(opts.mask, dict) else opts.mask
            ctx.declare_target(target, target_classes(ctx, spec, (opts.classes or {}).get(target)))
        if opts.label_column:
            declared = opts.labels or [n for n in entry_classes(ctx.entry).values() if n != "background"]
            if declared:
                ctx.declare_labels(declared)
        for split, table in tables:
            base = table.parent if opts.relative_to == "csv" else ctx.source_dir
            for n, row in enumerate(read_csv_rows(ctx, table, opts.delimiter), start=2):
                yield from self._row(ctx, opts, table, base, n, row, split)

    def _row(self, ctx, opts: CsvOptions, table: Path, base: Path, line: int, row: dict[str, str], split):
        where = f"{ctx.rel(table)}:{line}"
        value = row.get(opts.image_column, "")
        if not value:
            ctx.problem("annotation_unreadable", table, f"line {line}: no value in column {opts.image_column!r}")
            return
        rel = fill_template(opts.image_template, value, row)
        if rel is None:
            ctx.problem("annotation_unreadable", table, f"line {line}: a column of {opts.image_template!r} is empty")
            return
        image = Path(os.path.normpath(base / rel))
        if not image.is_file() or not image.is_relative_to(ctx.source_dir):
            ctx.problem("missing_image", table, f"line {line}: image {rel!r} is not in the download")
            return
        sid = row.get(opts.id_column, "") if opts.id_column else ""
        sid = sid or Path(value).stem
        masks = {}
        mask_paths = {target: row.get(column, "") for target, column in opts.mask_columns.items()}
        mask_paths.update({t: fill_template(tpl, value, row) or "" for t, tpl in opts.mask_templates.items()})
        for target, mrel in mask_paths.items():
            mpath = Path(os.path.normpath(base / mrel)) if mrel else None
            if mpath is None or not mpath.is_file() or not mpath.is_relative_to(ctx.source_dir):
                ctx.problem(
                    "missing_mask",
                    table,
                    f"line {line}: mask {mrel!r} of target '{target}' is not in the download; image skipped",
                    sample_id=sid,
                )
                return
            spec = opts.mask.get(target, MaskSpec()) if isinstance(opts.mask, dict) else opts.mask
            masks[target] = mask_decode(ctx, mpath, spec, target)
        row_split = row.get(opts.split_column, "") if opts.split_column else ""
        row_split = opts.split_values.get(row_split, row_split)
        frame = row.get(opts.frame_column, "") if opts.frame_column else ""
        group = row.get(opts.group_column, "") if opts.group_column else ""
        yield Item(
            sample_id=sid,
            image=image_decode(ctx, image),
            source_file=ctx.rel(image),
            masks=masks,
            split=canonical_split(row_split) if row_split else split,
            subject_id=(row.get(opts.subject_column) or None) if opts.subject_column else None,
            label=ctx.check_label(self._label(opts, row), where, sid) if opts.label_column else None,
            frame=int(frame) if frame.lstrip("-").isdigit() else None,
            annotation_file=where,
            colour=opts.colour,
            extra={SPLIT_GROUP: group} if group else {},
        )

    @staticmethod
    def _label(opts: CsvOptions, row: dict[str, str]) -> str | None:
        raw = row.get(opts.label_column or "")
        return opts.label_values.get(raw, raw) if raw is not None else None
