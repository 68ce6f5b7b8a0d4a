"""The typed schema of ``manifest.parquet``: one row per sample.

Columns (docs/format.md) plus three additions the loaders need: ``points`` (landmarks for regression),
``channels`` (1 grey, 3 colour) and ``extra`` (per-sample facts from the source as a JSON object string, e.g. BI-RADS,
view, fold). Paths are relative to the dataset directory. The split kind and seed are stored in the Parquet schema
metadata under ``usreg.split_kind`` and ``usreg.split_seed`` as well as in ``metadata.json``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

MANIFEST_NAME = "manifest.parquet"

BOX_TYPE = pa.struct(
    [
        ("x_min", pa.float64()),
        ("y_min", pa.float64()),
        ("x_max", pa.float64()),
        ("y_max", pa.float64()),
        ("category", pa.string()),
        ("category_id", pa.int32()),
    ]
)
MASK_TYPE = pa.struct([("target", pa.string()), ("path", pa.string())])
POINT_TYPE = pa.struct([("x", pa.float64()), ("y", pa.float64())])

SCHEMA = pa.schema(
    [
        pa.field("sample_id", pa.string(), nullable=False),
        pa.field("split", pa.string(), nullable=False),
        pa.field("subject_id", pa.string()),
        pa.field("image", pa.string(), nullable=False),
        pa.field("masks", pa.list_(MASK_TYPE)),
        pa.field("label", pa.string()),
        pa.field("boxes", pa.list_(BOX_TYPE)),
        pa.field("points", pa.list_(POINT_TYPE)),
        pa.field("frame", pa.int32()),
        pa.field("width", pa.int32(), nullable=False),
        pa.field("height", pa.int32(), nullable=False),
        pa.field("channels", pa.int8(), nullable=False),
        pa.field("source_file", pa.string()),
        pa.field("image_sha256", pa.string(), nullable=False),
        pa.field("phash", pa.string(), nullable=False),
        pa.field("extra", pa.string()),
    ]
)
COLUMNS = [f.name for f in SCHEMA]


def to_table(rows: list[dict[str, Any]], split_kind: str, split_seed: int | None) -> pa.Table:
    """Rows (dicts with the schema's keys) to a typed table, sorted by sample id."""
    rows = sorted(rows, key=lambda r: r["sample_id"])
    data = {name: [_cell(name, r.get(name)) for r in rows] for name in COLUMNS}
    meta = {b"usreg.split_kind": split_kind.encode(), b"usreg.split_seed": str(split_seed).encode()}
    return pa.Table.from_pydict(data, schema=SCHEMA.with_metadata(meta))


def _cell(name: str, value: Any) -> Any:
    if name == "extra":
        return json.dumps(value, sort_keys=True, default=str) if value else None
    if name in {"masks", "boxes", "points"}:
        return value or []
    return value


def write_manifest(path: Path, rows: list[dict[str, Any]], split_kind: str, split_seed: int | None) -> None:
    pq.write_table(to_table(rows, split_kind, split_seed), path, compression="zstd")
