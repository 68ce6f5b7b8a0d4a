"""One HTTP policy (registry/fetch/http.py) for fetch, `usreg import` and `usreg check-links`."""

from __future__ import annotations

import asyncio
import email.utils

import pytest

from registry.contrib.importer import Importer
from registry.contrib.links import LinkChecker
from registry.fetch.client import HttpClient, RetriesExhausted
from registry.fetch.http import USER_AGENT, RetryBudget, parse_retry_after
from tests.contrib import responses
from tests.fixtures.server import Response


def test_retry_budget_counts_every_try_and_ends() -> None:
    budget = RetryBudget(attempts=3, base_delay=0.0, max_wait=5.0)
    tries = 0
    while budget.start():
        tries += 1
        assert tries <= 3
    assert tries == 3 and budget.retry() is None
    assert RetryBudget(2, 1.0, 5.0, used=1).retry(retry_after=60.0) == 5.0  # a host's Retry-After, capped


def test_retry_after_seconds_and_http_date() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(email.utils.formatdate(1_000_030, usegmt=True), now=1_000_000) == pytest.approx(30.0)
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_the_client_stops_at_its_attempt_budget(server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("USREG_RETRIES", "4")
    url = server.add_route("/always-busy", lambda r: Response(200, {}, b"never"))
    server.fail("/always-busy", 503, times=10)
    with HttpClient() as client, pytest.raises(RetriesExhausted, match="gave up after 4 attempts"):
        client.send("GET", url, what="busy")
    assert server.hits("/always-busy") == 4


def test_import_retries_a_busy_host_with_the_fetch_client(server, monkeypatch: pytest.MonkeyPatch) -> None:
    server.add_route("/zenodo/api/records/8231412", lambda r: Response.json(responses.ZENODO_RECORD))
    server.fail("/zenodo/api/records/8231412", 503, times=1, retry_after=0)
    importer = Importer()
    try:
        draft = importer.draft("https://zenodo.org/records/8231412")
    finally:
        importer.close()
    assert draft.values["sources"][0]["id"] == "8231412"
    agents = {r.headers.get("user-agent") for r in server.requests("/zenodo/api/records/8231412")}
    assert agents == {USER_AGENT}


def test_link_checker_speaks_as_usreg_and_redacts_signed_locations(server) -> None:
    signed = server.url_for("/bucket/file.zip") + "?X-Amz-Signature=abc&X-Amz-Expires=60"
    url = server.add_route("/moved", lambda r: Response.redirect(signed, status=301))
    result = asyncio.run(LinkChecker(timeout=5).check_all([url]))[url]
    assert result.status == "moved" and result.location == server.url_for("/bucket/file.zip")
    assert {r.headers.get("user-agent") for r in server.requests("/moved")} == {USER_AGENT}
