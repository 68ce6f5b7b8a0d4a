"""Fixtures for the bench tests: the local host server (a real HTTP server on 127.0.0.1)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fixtures.server import HostServer


@pytest.fixture
def host_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[HostServer]:
    server = HostServer().start()
    for name, value in server.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("USREG_RETRIES", "1")
    monkeypatch.setenv("USREG_RETRY_BASE_DELAY", "0")
    try:
        yield server
    finally:
        server.stop()
