"""The evidence keys rubric files may name: those of the built-in providers and of registered plug-ins.

A module of its own so that the provider interface (``scorers.evidence``) never imports its implementations.
"""

from __future__ import annotations

from collections.abc import Mapping

from .providers import BUILTIN_PROVIDER_CLASSES

_EXTRA_KEYS: dict[str, str] = {}


def register_keys(keys: Mapping[str, str]) -> None:
    """Make a plug-in provider's keys known, so rubric files may name them."""
    _EXTRA_KEYS.update(keys)


def form_only_keys() -> frozenset[str]:
    """Keys whose checks look only at the form of a claim: they report "well-formed" at best, never "verified"."""
    return frozenset(k for cls in BUILTIN_PROVIDER_CLASSES for k in getattr(cls, "form_keys", ()))


def known_keys() -> dict[str, str]:
    keys: dict[str, str] = {}
    for cls in BUILTIN_PROVIDER_CLASSES:
        keys.update(cls.keys)
    keys.update(_EXTRA_KEYS)
    return keys
