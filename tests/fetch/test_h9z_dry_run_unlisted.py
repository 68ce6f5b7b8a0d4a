"""`usreg fetch carotid-plaque --dry-run` while data.mendeley.com cannot be reached: the entry lists no files, so the
whole record would be fetched; the plan said "would fetch 0 file(s), 0 bytes" above the note that says so."""

from __future__ import annotations

import json
from pathlib import Path

from tests.fetch.test_downloads_hardened import _real_entry


def test_an_offline_plan_of_an_unlisted_record_does_not_say_0_files_0_bytes(
    server, catalog_root, run_cli, usreg_home: Path, monkeypatch
) -> None:
    monkeypatch.setenv("USREG_MENDELEY_URL", "http://mendeley.invalid")
    _real_entry(catalog_root, "carotid-plaque")
    result = run_cli("fetch", "carotid-plaque", "--dry-run", root=catalog_root.root)
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "0 bytes" not in text and "would fetch 0 file(s)," not in text, text
    assert "every file of 1 source(s) the entry does not list, size unknown" in text, text
    result = run_cli("fetch", "carotid-plaque", "--dry-run", "--format", "json", root=catalog_root.root)
    final = [json.loads(line) for line in result.stdout.splitlines() if line.strip()][-1]
    assert final["dry_run"] and "0 bytes" not in final["message"], final
