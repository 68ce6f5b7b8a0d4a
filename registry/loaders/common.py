"""Building blocks shared by converters: decoders for images and masks, class maps from entries, split names."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from . import decode
from .base import ConvertContext, Decode
from .split_names import SPLIT_ALIASES as SPLIT_ALIASES
from .split_names import canonical_split as canonical_split
from .tables import read_document, read_lines

if TYPE_CHECKING:
    from ..schema import Dataset

Encoding = Literal["binary", "index", "palette"]
JsonDoc = TypeVar("JsonDoc", dict, list)
MAX_INFO_LINES = 200


def image_decode(ctx: ConvertContext, path: Path, frame: int | None = None) -> Decode:
    return Decode(decode.read_image, (str(path),), {"frame": frame} if frame is not None else {}, source=ctx.rel(path))


class PaletteColour(BaseModel):
    model_config = ConfigDict(extra="forbid")
    color: list[int] = Field(min_length=3, max_length=3)
    id: int = Field(ge=0, le=254)


class MaskSpec(BaseModel):
    """How a source mask encodes its classes."""

    model_config = ConfigDict(extra="forbid")
    encoding: Encoding = Field(
        "binary",
        description="binary (foreground > threshold), index (value = class id), palette (RGB colour per class)",
    )
    threshold: int = Field(0, ge=0, le=254, description="binary: foreground is any channel above this value")
    value: int = Field(1, ge=1, le=255, description="binary: class id written for the foreground")
    palette: list[PaletteColour] | None = Field(None, description="palette: colours; default from the entry's classes")


def mask_decode(
    ctx: ConvertContext, paths: list[Path] | Path, spec: MaskSpec, target: str, frame: int | None = None
) -> Decode:
    paths = [paths] if isinstance(paths, Path) else list(paths)
    source = ", ".join(ctx.rel(p) for p in paths)
    if spec.encoding == "binary":
        return Decode(
            decode.mask_binary,
            (tuple(str(p) for p in paths),),
            {"threshold": spec.threshold, "value": spec.value},
            source=source,
        )
    if spec.encoding == "index":
        return Decode(decode.mask_index, (str(paths[0]),), {"frame": frame} if frame is not None else {}, source=source)
    return Decode(decode.mask_palette, (str(paths[0]), palette_tuple(ctx, spec, target)), source=source)


def palette_tuple(ctx: ConvertContext, spec: MaskSpec, target: str) -> tuple[tuple[int, int, int, int], ...]:
    if spec.palette:
        return tuple((c.color[0], c.color[1], c.color[2], c.id) for c in spec.palette)
    coloured = [(c.color, c.id) for c in ctx.entry.annotation.classes if c.color]
    if not coloured:
        from ..errors import UsregError

        raise UsregError(
            f"{ctx.dataset_id}: mask target '{target}' uses palette encoding but no colours are given",
            hint="give loader.options palette: [{color: [r, g, b], id: N}, ...] or `color` on annotation.classes",
        )
    return tuple((color[0], color[1], color[2], cid) for color, cid in coloured)


def entry_classes(entry: Dataset) -> dict[int, str]:
    """The entry's ``annotation.classes`` as {id: name} (empty if none)."""
    return {int(c.id): c.name for c in entry.annotation.classes}


def target_classes(ctx: ConvertContext, spec: MaskSpec, explicit: dict[int, str] | None = None) -> dict[int, str]:
    """The class map of a mask target: explicit option, else the entry's classes, else a binary default."""
    if explicit:
        classes = {int(k): v for k, v in explicit.items()}
    elif spec.encoding == "palette" and spec.palette:
        classes = {c.id: f"class_{c.id}" for c in spec.palette}
        classes.update({k: v for k, v in entry_classes(ctx.entry).items() if k in classes})
    elif entry_classes(ctx.entry):
        classes = entry_classes(ctx.entry)
    else:
        classes = {spec.value: "foreground"} if spec.encoding == "binary" else {}
    classes.setdefault(0, "background")
    if spec.encoding == "binary":
        classes = {0: classes[0], spec.value: classes.get(spec.value, "foreground")}
    return dict(sorted(classes.items()))


def read_json(ctx: ConvertContext, path: Path, kind: type[JsonDoc], what: str, consequence: str) -> JsonDoc | None:
    """An annotation file's JSON document when it is a ``kind`` (dict or list); else None, with an
    ``annotation_unreadable`` problem: "not valid JSON (<why>); <consequence>" or "not <what>; <consequence>" (or, for a
    file over ``MAX_DOCUMENT_BYTES``, that it is not read)."""
    try:
        text = read_document(ctx, path, consequence, encoding="utf-8-sig", errors="replace")
        if text is None:
            return None
        doc = json.loads(text)
    except (OSError, ValueError, RecursionError) as exc:  # RecursionError: arrays or objects nested too deep
        why = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
        ctx.problem("annotation_unreadable", path, f"not valid JSON ({why}); {consequence}")
        return None
    if not isinstance(doc, kind):
        ctx.problem("annotation_unreadable", path, f"not {what}; {consequence}")
        return None
    return doc


def read_key_values(path: Path | None) -> dict[str, str]:
    """The ``KEY: value`` lines of an info file (CAMUS's and TED's ``.cfg``), keys and values stripped; the first
    ``MAX_INFO_LINES`` lines are read, and a missing file gives an empty dict."""
    out: dict[str, str] = {}
    if path is None or not path.is_file():
        return out
    for line in read_lines(path, MAX_INFO_LINES):
        if ":" in line:
            key, value = line.split(":", 1)
            out[key.strip()] = value.strip()
    return out
