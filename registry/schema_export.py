"""Generate ``schemas/*.schema.json`` from the pydantic models (never hand-edited)."""

from __future__ import annotations

import json
from pathlib import Path

from .schema import SCHEMA_FILES

SCHEMA_BASE_URL = "https://usreg.org/schemas/"


def schema_documents() -> dict[str, str]:
    """File name -> JSON text for every published schema."""
    docs = {}
    for kind, model in SCHEMA_FILES.items():
        schema = model.model_json_schema(mode="validation")
        schema = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"{SCHEMA_BASE_URL}{kind}.schema.json",
            **schema,
        }
        docs[f"{kind}.schema.json"] = json.dumps(schema, indent=2, sort_keys=True) + "\n"
    return docs


def write_schemas(root: Path) -> list[Path]:
    out = root / "schemas"
    out.mkdir(exist_ok=True)
    written = []
    for name, text in schema_documents().items():
        path = out / name
        if not path.exists() or path.read_text() != text:
            tmp = path.with_suffix(".tmp")
            tmp.write_text(text)
            tmp.replace(path)
            written.append(path)
    return written


def stale_schemas(root: Path) -> list[str]:
    out = root / "schemas"
    return [n for n, text in schema_documents().items() if not (out / n).exists() or (out / n).read_text() != text]
