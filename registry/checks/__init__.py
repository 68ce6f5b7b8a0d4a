"""Data-derived checks on a converted dataset, written to ``checks.json``.

The contract is registry/formats/checks_contract.md.

``run_checks`` is called by the conversion (with what the workers already computed) and by ``usreg check`` (which
reads everything back from disk). The scorer reads ``checks.json`` as verified or contradicted evidence (V2).
"""

from __future__ import annotations

from typing import Any

from .status import STATUSES, CheckStatus

__all__ = ["CHECK_NAMES", "STATUSES", "CheckStatus", "check_dataset_dir", "run_checks"]


def __getattr__(name: str) -> Any:
    """The checks themselves load on first use (numpy, Pillow), so reading statuses stays cheap."""
    if name in ("CHECK_NAMES", "check_dataset_dir", "run_checks"):
        from . import run

        return getattr(run, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
