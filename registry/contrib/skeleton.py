"""`usreg new`: a skeleton entry with every field, a short hint per field, and an empty evidence list."""

from __future__ import annotations

import json
import types
import typing
from enum import Enum
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from ..catalog import SCHEMA_COMMENT
from ..schema import Dataset, Model

KIND_MODELS: dict[str, type[BaseModel]] = {"dataset": Dataset, "model": Model}
HINTS = {
    "id": "kebab-case, equal to the file name",
    "name": "the dataset's or model's own name",
    "anatomy": "one or more of the anatomy vocabulary (see schemas/*.schema.json)",
    "tasks": "segmentation, classification, detection, regression, ...",
    "license": "an SPDX id such as CC-BY-4.0, or LicenseRef-<name> with license_url",
    "access": "open | registration | request | challenge",
    "sources": "where the files live: [{kind: zenodo, id: '1234567'}], see CONTRIBUTING.md",
    "evidence": "one item per source URL: {url: https://..., fields: [counts.images, license]}",
    "trained_on": "dataset ids from entries/datasets",
    "evaluated_on": "dataset ids from entries/datasets",
}


def _yaml_scalar(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return json.dumps(str(value), ensure_ascii=False)


def _submodel(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                return arg
    return None


def _is_list(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin is list:
        return True
    if origin in (typing.Union, types.UnionType):
        return any(typing.get_origin(a) is list for a in typing.get_args(annotation))
    return False


def _hint(name: str, info: FieldInfo, top_level: bool) -> str:
    text = (HINTS.get(name) if top_level else None) or (info.description or "")
    return f"  # {text}" if text else ""


def _optional(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (typing.Union, types.UnionType) and type(None) in typing.get_args(
        annotation
    )


def _lines(model: type[BaseModel], values: dict[str, Any], indent: int = 0) -> list[str]:
    pad = "  " * indent
    lines: list[str] = []
    for name, info in model.model_fields.items():
        annotation = info.annotation
        sub = _submodel(annotation)
        hint = _hint(name, info, indent == 0)
        if name in values:
            lines.append(f"{pad}{name}: {_yaml_scalar(values[name])}{hint}")
        elif sub is not None and not _is_list(annotation) and not _optional(annotation):
            lines.append(f"{pad}{name}:{hint}")
            lines.extend(_lines(sub, {}, indent + 1))
        elif _is_list(annotation):
            lines.append(f"{pad}{name}: []{hint}")
        elif typing.get_origin(annotation) is dict:
            lines.append(f"{pad}{name}: {{}}{hint}")
        else:
            default = None if info.is_required() or sub is not None else info.get_default(call_default_factory=True)
            lines.append(f"{pad}{name}: {_yaml_scalar(default)}{hint}")
    return lines


def skeleton(kind: str, entry_id: str, values: dict[str, Any] | None = None) -> str:
    """The YAML text of a new entry: schema comment, every field with a hint, given values filled in."""
    model = KIND_MODELS[kind]
    filled = {"id": entry_id, **(values or {})}
    body = _lines(model, filled)
    return SCHEMA_COMMENT.format(kind=kind) + "\n" + "\n".join(body) + "\n"
