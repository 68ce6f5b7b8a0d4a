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
from .base import Converter, OptionProblem, option_problems, registry
from .pipeline import convert_entry, get_converter

GENERIC = ("image-mask-folders", "class-folders", "coco", "pascal-voc", "csv-paths")

__all__ = [
    "GENERIC",
    "Converter",
    "OptionProblem",
    "convert_entry",
    "get_converter",
    "loader_problems",
    "names",
    "validate_options",
]


def names() -> list[str]:
    """Every registered converter name, sorted."""
    return sorted(registry())


def loader_problems(name: str, options: dict[str, Any] | None) -> list[OptionProblem]:
    """Problems with a loader name and its options, each with the path under ``loader`` it is about (``("name",)``
    or ``("options", <option>, ...)``; empty when valid). For ``usreg validate``, which reports each at its line."""
    try:
        converter = get_converter(name)
    except UsregError as exc:
        return [OptionProblem(("name",), exc.message, exc.hint)]
    return [OptionProblem(("options", *p.path), p.message, p.hint) for p in option_problems(converter, options)]


def validate_options(name: str, options: dict[str, Any] | None) -> list[str]:
    """``loader_problems`` as messages (empty when valid)."""
    return [p.message + (f" ({p.hint})" if p.hint else "") for p in loader_problems(name, options)]
