"""`usreg check-links` without a network: no host answering is an environment error, never 'dead' evidence."""

from __future__ import annotations

import json
import socket

from tests.conftest import minimal_dataset
from tests.fixtures.server import Response


def _closed_port_url(path: str) -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"  # nothing listens there once the socket is closed


def test_no_host_reachable_exits_2_and_records_nothing(catalog_root, run_cli):
    urls = [_closed_port_url("/a"), _closed_port_url("/b")]
    catalog_root.dataset(minimal_dataset("offline", links={"homepage": urls[0], "code": urls[1]}))

    result = run_cli("check-links", "offline", "--timeout", "1", root=catalog_root.root)

    assert result.exit_code == 2, result.output
    assert "no host could be reached" in result.output
    assert not (catalog_root.root / "verification" / "offline.json").exists()


def test_a_refused_link_beside_an_answering_host_is_still_dead(catalog_root, run_cli, host_server):
    ok = host_server.add_route("/ok", lambda r: Response(200, {}, b"hello"))
    refused = _closed_port_url("/gone")
    catalog_root.dataset(minimal_dataset("mixed", links={"homepage": ok, "code": refused}))

    result = run_cli("check-links", "mixed", "--timeout", "1", "--format", "json", root=catalog_root.root)

    assert result.exit_code == 1, result.output
    assert {r["url"]: r["status"] for r in json.loads(result.output)} == {ok: "alive", refused: "dead"}
    assert (catalog_root.root / "verification" / "mixed.json").exists()


def test_import_from_an_unreachable_host_hints_at_usreg_new(catalog_root, run_cli, monkeypatch):
    """`usreg import` fetches metadata through the fetch layer, whose hint named --mirror and --from-file."""
    monkeypatch.setenv("USREG_ZENODO_URL", _closed_port_url("/zenodo"))
    monkeypatch.setenv("USREG_RETRY_BASE_DELAY", "0.01")

    result = run_cli("import", "https://zenodo.org/records/8231412", "--dry-run", root=catalog_root.root)

    assert result.exit_code == 2, result.output
    assert "usreg new" in result.output, result.output
    assert "--from-file" not in result.output and "--mirror" not in result.output, result.output
