"""The status of one data check in ``checks.json`` (registry/formats/checks_contract.md, "Statuses").

Kept apart from ``run`` so that readers of ``checks.json`` (the scorer, the CLI) can name the statuses without
importing numpy and the checks themselves.
"""

from __future__ import annotations

from enum import StrEnum


class CheckStatus(StrEnum):
    PASS = "pass"  # the check ran and found nothing wrong
    FAIL = "fail"  # the check found a problem that makes the conversion partial
    WARN = "warn"  # the check found something a user should look at
    INFO = "info"  # a measurement with no verdict
    SKIPPED = "skipped"  # the check does not apply to this dataset


STATUSES = tuple(CheckStatus)
