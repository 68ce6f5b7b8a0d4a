"""The types that name "an entry" at the seams between packages.

``Entry`` is what the catalog holds under one id: a validated ``Dataset`` (a dataset or a collection) or a ``Model``.
Functions that accept either take ``Entry`` and narrow with ``isinstance`` where they read kind-specific fields;
functions that only make sense for one kind take ``Dataset`` or ``Model``.

``JSON`` is a value ``json.dumps`` accepts as it is (no ``default=``): what usreg writes into pages and files. It is
built from the read-only ``Mapping`` and ``Sequence`` so that a ``dict[str, str]`` or a ``list[dict[str, int]]`` is a
``JSON`` too (``dict`` and ``list`` are invariant, which would refuse them). A value read from JSON or YAML before it
is checked is ``object`` (narrowed with ``isinstance``), not ``JSON``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypeAlias

from .dataset import Dataset
from .model import Model

Entry: TypeAlias = Dataset | Model
"""A validated catalog entry of either kind."""

JSON: TypeAlias = Mapping[str, "JSON"] | Sequence["JSON"] | str | int | float | bool | None
"""A JSON value (recursive)."""

__all__ = ["JSON", "Entry"]
