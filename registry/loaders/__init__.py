"""Converters from each dataset's source layout to the common format, chosen by registered name.

An entry's ``loader: {name, options}`` names a converter registered here; names are never import paths. Generic
converters (``image-mask-folders``, ``class-folders``, ``coco``, ``pascal-voc``, ``csv-paths``) are configured by
``options``; dataset-specific ones know their dataset's layout and quirks.

Public API: ``names()``, ``get_converter(name)``, ``convert_entry(entry, source_dir, home, version)``,
``validate_options(name, options)``.
"""

from __future__ import annotations

from typing import Any

from ..errors import UsregError
from . import (  # noqa: F401  (importing registers the converters)
    datasets,
    generic_coco,
    generic_csv,
    generic_folders,
    generic_voc,
)
from .base import Converter, parse_options, registry
from .pipeline import convert_entry, get_converter

GENERIC = ("image-mask-folders", "class-folders", "coco", "pascal-voc", "csv-paths")

__all__ = ["GENERIC", "Converter", "convert_entry", "get_converter", "names", "validate_options"]


def names() -> list[str]:
    """Every registered converter name, sorted."""
    return sorted(registry())


def validate_options(name: str, options: dict[str, Any] | None) -> list[str]:
    """Problems with a loader name and its options, as messages (empty when valid). For ``usreg validate``."""
    try:
        parse_options(get_converter(name), options)
    except UsregError as exc:
        return [exc.message + (f" ({exc.hint})" if exc.hint else "")]
    return []
