"""The documented status sets (checks_contract.md) match the enums the code produces them from."""

from __future__ import annotations

import json
import re
from pathlib import Path

from registry.checks import CHECK_NAMES, STATUSES, CheckStatus
from registry.formats.writer import ConversionState, conversion_status

CONTRACT = Path(__file__).resolve().parents[2] / "registry" / "formats" / "checks_contract.md"


def test_contract_lists_every_check_and_only_real_statuses() -> None:
    text = CONTRACT.read_text(encoding="utf-8")
    documented = dict(re.findall(r'\{"name": "([a-z_]+)", "status": "([a-z|]+)"', text))
    assert set(documented) == set(CHECK_NAMES)
    assert {s for statuses in documented.values() for s in statuses.split("|")} <= set(STATUSES)
    listed = re.search(r"`status` is one of ([a-z, ]+)", text)
    assert listed and [s.strip() for s in listed.group(1).split(",")] == list(STATUSES)


def test_statuses_serialise_as_their_values() -> None:
    checks = {"checks": [{"name": "loader_runs", "status": CheckStatus.FAIL, "summary": "0 samples converted"}]}
    status = conversion_status(checks, {})
    assert status["state"] == ConversionState.PARTIAL == "partial"
    doc = json.loads(json.dumps({"status": status, **checks}))
    assert doc["status"]["state"] == "partial" and doc["checks"][0]["status"] == "fail"
    assert conversion_status({"checks": []}, {})["state"] == "complete"
