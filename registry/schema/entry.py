"""The types that name "an entry" at the seams between packages.

``Entry`` is what the catalog holds under one id: a validated ``Dataset`` (a dataset or a collection) or a ``Model``.
Functions that accept either take ``Entry`` and narrow with ``isinstance`` where they read kind-specific fields;
functions that only make sense for one kind take ``Dataset`` or ``Model``.

``JSON`` is a value that ``json.loads`` returns or ``json.dumps`` accepts: the shape of ``checks.json``, of the
fetch lock and of the machine-readable CLI output before it is narrowed to a TypedDict or a model.
"""

from __future__ import annotations

from typing import TypeAlias

from .dataset import Dataset
from .model import Model

Entry: TypeAlias = Dataset | Model
"""A validated catalog entry of either kind."""

JSON: TypeAlias = dict[str, "JSON"] | list["JSON"] | str | int | float | bool | None
"""Any JSON value (recursive)."""

JSONObject: TypeAlias = dict[str, JSON]
"""A JSON object, e.g. one row of ``checks.json``."""

__all__ = ["JSON", "Entry", "JSONObject"]
