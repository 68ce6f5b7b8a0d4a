"""A local host server for the contributor-workflow tests (the same server the fetch tests use)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fixtures.server import HostServer


@pytest.fixture
def host_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[HostServer]:
    server = HostServer().start()
    for name, value in server.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("USREG_DATACITE_API", f"{server.url}/datacite")
    monkeypatch.setenv("USREG_CROSSREF_API", f"{server.url}/crossref")
    try:
        yield server
    finally:
        server.stop()
