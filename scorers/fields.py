"""Field paths: checking them against the entry schema, reading them from entries, and evidence coverage.

A field path is dotted (``annotation.classes``, ``sources.files.md5``); lists along the way are flattened, so
``sources.files.md5`` reads the md5 of every file of every source.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Callable, Iterable
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

if TYPE_CHECKING:
    from registry.schema import Entry

FieldPath = tuple[str, ...]

_INDEX = re.compile(r"\[\d*\]")


def parse_path(text: str) -> FieldPath:
    """``"sources[0].files.md5"`` -> ``("sources", "files", "md5")``; list indexes are dropped."""
    cleaned = _INDEX.sub("", text.strip())
    return tuple(part for part in cleaned.split(".") if part and not part.isdigit())


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    origin = typing.get_origin(annotation)
    if origin is dict:
        return []
    if origin is not None or isinstance(annotation, types.UnionType):
        for arg in typing.get_args(annotation):
            found.extend(_models_in(arg))
    return found


def schema_has_path(model_cls: type[BaseModel], path: FieldPath) -> bool:
    """Whether ``path`` names a field of ``model_cls`` (descending through sub-models and lists of them)."""
    current: list[type[BaseModel]] = [model_cls]
    for i, part in enumerate(path):
        holders = [m for m in current if part in m.model_fields]
        if not holders:
            return False
        if i == len(path) - 1:
            return True
        current = [sub for m in holders for sub in _models_in(m.model_fields[part].annotation)]
        if not current:
            return False
    return False


def values_at(obj: Any, path: FieldPath) -> list[Any]:
    """Every value at ``path`` below ``obj``, flattening lists on the way and at the leaf."""
    current = [obj]
    for part in path:
        nxt: list[Any] = []
        for item in current:
            value = getattr(item, part, None)
            if value is None:
                continue
            if isinstance(value, list):
                nxt.extend(value)
            else:
                nxt.append(value)
        current = nxt
        if not current:
            break
    return current


def is_present(value: Any) -> bool:
    """A stated value: not None, not an empty string or container, and a sub-model with at least one stated field."""
    if value is None:
        return False
    kind = type(value)
    if kind is str or kind is list or kind is dict:
        return len(value) > 0
    if isinstance(value, tuple | set | frozenset):
        return len(value) > 0
    if isinstance(value, BaseModel):
        return any(is_present(getattr(value, name)) for name in type(value).model_fields)
    return True


def _inner_lists(model_cls: type[BaseModel], path: FieldPath) -> bool:
    """Whether a segment before the leaf of ``path`` holds a list (so reading it must flatten)."""
    current: list[type[BaseModel]] = [model_cls]
    for part in path[:-1]:
        holders = [m for m in current if part in m.model_fields]
        if not holders:
            return True
        annotations = [m.model_fields[part].annotation for m in holders]
        if any(typing.get_origin(a) is list or list in typing.get_args(a) or _has_list_arg(a) for a in annotations):
            return True
        current = [sub for a in annotations for sub in _models_in(a)]
    return False


def _has_list_arg(annotation: Any) -> bool:
    return any(typing.get_origin(arg) is list for arg in typing.get_args(annotation))


def stated_reader(model_cls: type[BaseModel], path: FieldPath, require_true: bool = False) -> Callable[[Any], bool]:
    """A fast ``entry -> bool`` for "the field at ``path`` is stated" (or is true), specialised with the schema."""
    if _inner_lists(model_cls, path):
        return lambda entry: field_stated(entry, path, require_true)
    getter = attrgetter(".".join(path))
    if require_true:

        def read_true(entry: Entry) -> bool:
            try:
                return getter(entry) is True
            except AttributeError:
                return False

        return read_true

    def read(entry: Entry) -> bool:
        try:
            value = getter(entry)
        except AttributeError:
            return False
        return is_present(value)

    return read


def field_stated(entry: Entry, path: FieldPath, require_true: bool = False) -> bool:
    values = values_at(entry, path)
    if require_true:
        return any(v is True for v in values)
    return any(is_present(v) for v in values)


class Coverage:
    """Which field paths an entry's evidence items back: an exact path, a parent path, or '*'."""

    __slots__ = ("_all", "_paths")

    def __init__(self, evidence_fields: Iterable[str]) -> None:
        paths = set()
        star = False
        for text in evidence_fields:
            if text.strip() == "*":
                star = True
                continue
            parsed = parse_path(text)
            if parsed:
                paths.add(parsed)
        self._all = star
        self._paths = frozenset(paths)

    @classmethod
    def of(cls, entry: Entry) -> Coverage:
        return cls(f for item in getattr(entry, "evidence", ()) for f in item.fields)

    def covers(self, path: FieldPath) -> bool:
        if self._all:
            return True
        paths = self._paths
        return any(path[:k] in paths for k in range(1, len(path) + 1))
