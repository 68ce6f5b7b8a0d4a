"""UTC "now" to the second, in the two ISO 8601 forms usreg's files use (one helper instead of a copy per module)."""

from __future__ import annotations

import datetime as dt


def now_iso(*, zulu: bool = False) -> str:
    """``2026-12-06T06:00:00+00:00``; with ``zulu``, ``2026-12-06T06:00:00Z`` (metadata.json, checks.json)."""
    stamp = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    return stamp.replace("+00:00", "Z") if zulu else stamp
