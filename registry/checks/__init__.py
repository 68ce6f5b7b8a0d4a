"""Data-derived checks on a converted dataset, written to ``checks.json``.

The contract is registry/formats/checks_contract.md.

``run_checks`` is called by the conversion (with what the workers already computed) and by ``usreg check`` (which
reads everything back from disk). The scorer reads ``checks.json`` as verified or contradicted evidence (V2).
"""

from __future__ import annotations

from .run import CHECK_NAMES, STATUSES, check_dataset_dir, run_checks

__all__ = ["CHECK_NAMES", "STATUSES", "check_dataset_dir", "run_checks"]
