"""The names of the built-in recipes (a leaf module: the adapters, compatibility checks and planner all read it)."""

from __future__ import annotations

BASELINES = ("all-background", "intensity-threshold")
TRAINABLE = ("unet-ensemble",)
BUILTINS = (*BASELINES, *TRAINABLE)
BUILTIN_PREFIX = "builtin:"


def builtin_id(name: str) -> str:
    """The model id under which a recipe's results are stored when no catalog entry claims them."""
    return f"{BUILTIN_PREFIX}{name}"
