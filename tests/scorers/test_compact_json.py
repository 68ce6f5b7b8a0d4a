"""Stored scores are written with orjson: the same JSON data as the standard library's encoder gives."""

from __future__ import annotations

import datetime as dt
import json

from scorers.engine import compact_json


def test_compact_json_holds_the_data_json_dumps_holds() -> None:
    data = {
        "entry_id": "café-set",
        "points": 19.1,
        "tiny": 1e-05,
        "flags": ["contradicted by a check: Müller ≠ Muller"],
        "when": dt.datetime(2026, 12, 6, 7, 30, 5),
        "day": dt.date(2026, 12, 6),
        "nested": [{"stated": [], "note": None, "ok": True}],
    }
    text = compact_json(data)
    assert json.loads(text) == json.loads(json.dumps(data, default=str))
    assert text.startswith('{"entry_id":"café-set","points":19.1,')  # no spaces between items, UTF-8 text
