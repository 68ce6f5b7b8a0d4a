"""Bounded downloads (issue 13): attempt budgets, deadlines, size caps, validators, malformed host answers, mirrors
first, offline dry runs, secrets, trust levels. Every test runs against the real loopback host server."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from registry.fetch import DownloadError, FetchError, fetch_dataset
from registry.fetch.errors import redact_text, redact_url
from tests.fetch.conftest import dataset
from tests.fixtures.server import Response, etag_of


def _bounded(fn, seconds: float = 20.0):
    """Run ``fn`` in a thread; fail (instead of hanging the suite) when it does not return in time."""
    out: dict = {}

    def run() -> None:
        try:
            out["value"] = fn()
        except BaseException as exc:  # handed to the test
            out["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    started = time.monotonic()
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still running after {seconds} s: the operation is unbounded"
    out["elapsed"] = time.monotonic() - started
    return out


# -- 1. a total attempt budget that progress does not reset ------------------------------------------------------
def test_range_ignoring_server_that_drops_every_transfer_is_abandoned(server, usreg_home: Path) -> None:
    data = os.urandom(200_000)
    url = server.add_http_file("/files/loop.bin", data)
    server.ignore_range("/files/loop.bin")
    server.drop_after("/files/loop.bin", 50_000, times=1000)  # every answer restarts at 0 and is cut at 50 kB
    out = _bounded(lambda: fetch_dataset(dataset("loop", [{"kind": "http", "url": url}])))
    error = out.get("error")
    assert isinstance(error, DownloadError), out
    assert "3 attempts in a row without new bytes" in error.message
    # the first transfer made progress; three more that only repeated it end the file (USREG_RETRIES=3)
    assert server.hits("/files/loop.bin") == 4
    assert not (usreg_home / "downloads/loop/latest/loop.bin").exists()


def test_attempts_in_all_are_capped_even_when_each_makes_progress(server, usreg_home: Path, monkeypatch) -> None:
    monkeypatch.setenv("USREG_MAX_ATTEMPTS", "5")
    data = os.urandom(100_000)
    url = server.add_http_file("/files/trickle.bin", data)
    server.drop_after("/files/trickle.bin", 1_000, times=1000)  # Range honoured: 1 kB more each time
    out = _bounded(lambda: fetch_dataset(dataset("trickle", [{"kind": "http", "url": url}])))
    assert isinstance(out.get("error"), DownloadError), out
    assert "5 attempts in all (USREG_MAX_ATTEMPTS)" in out["error"].message
    assert server.hits("/files/trickle.bin") == 5
    # what arrived is kept for a later resume
    assert (usreg_home / "downloads/trickle/latest/trickle.bin.part").stat().st_size == 5_000


# -- 2. an overall deadline per request, headers included ----------------------------------------------------------
def test_header_slowloris_on_a_download_hits_the_deadline(server, usreg_home: Path, monkeypatch) -> None:
    monkeypatch.setenv("USREG_REQUEST_DEADLINE", "0.5")
    monkeypatch.setenv("USREG_RETRIES", "2")
    url = server.add_http_file("/files/slowloris.bin", b"x" * 100)
    server.slow_headers("/files/slowloris.bin", 1.0, times=10)  # one byte per second, never finished
    out = _bounded(lambda: fetch_dataset(dataset("slowloris", [{"kind": "http", "url": url}])))
    error = out.get("error")
    assert isinstance(error, DownloadError), out
    assert "within 0.5 s (USREG_REQUEST_DEADLINE)" in error.message
    assert server.hits("/files/slowloris.bin") == 2
    assert out["elapsed"] < 5


def test_header_slowloris_on_a_host_api_hits_the_deadline(server, usreg_home: Path, monkeypatch) -> None:
    monkeypatch.setenv("USREG_REQUEST_DEADLINE", "0.5")
    monkeypatch.setenv("USREG_RETRIES", "1")
    server.add_zenodo_record(811, {"a.bin": b"a"})
    server.slow_headers("/zenodo/api/records/811", 1.0, times=10)
    out = _bounded(lambda: fetch_dataset(dataset("slowapi", [{"kind": "zenodo", "id": "811"}])))
    error = out.get("error")
    assert isinstance(error, FetchError), out
    assert "USREG_REQUEST_DEADLINE" in error.message and "zenodo record 811" in error.message


# -- 3. the body is cut at the declared size ----------------------------------------------------------------------
def test_chunked_body_beyond_the_declared_size_is_cut_and_refused(server, usreg_home: Path) -> None:
    big = b"z" * 3_000_000
    server.add_route(
        "/files/grow.bin", lambda r: Response(200, {"Content-Type": "application/octet-stream"}, big, chunked=True)
    )
    url = server.url + "/files/grow.bin"
    entry = dataset("grow", [{"kind": "http", "url": url, "files": [{"name": "grow.bin", "size": 1000}]}])
    out = _bounded(lambda: fetch_dataset(entry))
    error = out.get("error")
    assert isinstance(error, DownloadError), out
    assert "sent more than the 1,000 bytes declared" in error.message
    downloads = usreg_home / "downloads/grow/latest"
    assert not (downloads / "grow.bin").exists() and not (downloads / "grow.bin.part").exists()
    assert server.hits("/files/grow.bin") == 1  # refused, not retried


def test_body_beyond_the_hosts_size_is_refused_when_the_entry_declares_none(server, usreg_home: Path) -> None:
    paths = server.add_zenodo_record(812, {"small.bin": b"s" * 1000})  # the API says 1,000 bytes
    big = os.urandom(2_000_000)
    server.add_route(paths["small.bin"], lambda r: Response(200, {"Content-Type": "application/octet-stream"}, big))
    out = _bounded(lambda: fetch_dataset(dataset("hostsize", [{"kind": "zenodo", "id": "812"}])))
    error = out.get("error")
    assert isinstance(error, DownloadError), out
    assert "announces 2,000,000 bytes, but 1,000 were declared" in error.message
    assert not (usreg_home / "downloads/hostsize/latest/small.bin.part").exists()


# -- 4. a resume checks the validator ----------------------------------------------------------------------------
def test_file_changed_mid_download_on_a_host_ignoring_if_range_is_restarted(server, usreg_home: Path) -> None:
    old, new = os.urandom(50_000), os.urandom(50_000)
    served = []

    def serve(request) -> Response:
        body = old if not served else new  # the host replaces the file after the first (dropped) transfer
        served.append(body)
        return Response(200, {"Content-Type": "application/octet-stream"}, body, ranges=True)

    server.add_route("/files/moving.bin", serve)
    server.drop_after("/files/moving.bin", 20_000)
    server.ignore_if_range("/files/moving.bin")
    url = server.url + "/files/moving.bin"
    fetch_dataset(dataset("changing", [{"kind": "http", "url": url}]))
    assert (usreg_home / "downloads/changing/latest/moving.bin").read_bytes() == new  # not old[:20000] + new[20000:]
    _first, second, third = server.requests("/files/moving.bin")
    assert second.headers["if-range"] == etag_of(old) and second.status == 206  # the host ignored If-Range
    assert "range" not in third.headers and third.status == 200  # restarted from the first byte


def test_resume_sends_last_modified_when_there_is_no_strong_etag(server, usreg_home: Path) -> None:
    data = os.urandom(40_000)
    stamp = "Wed, 01 Jan 2025 00:00:00 GMT"
    headers = {"ETag": 'W/"weak"', "Last-Modified": stamp}
    server.add_route(
        "/files/lm.bin",
        lambda r: Response(200, {"Content-Type": "application/octet-stream", **headers}, data, ranges=True),
    )
    server.drop_after("/files/lm.bin", 10_000)
    fetch_dataset(dataset("lm", [{"kind": "http", "url": server.url + "/files/lm.bin"}]))
    assert (usreg_home / "downloads/lm/latest/lm.bin").read_bytes() == data
    assert server.requests("/files/lm.bin")[1].headers["if-range"] == stamp


# -- 8. secrets -----------------------------------------------------------------------------------------------------
def test_redaction_helpers() -> None:
    assert redact_url("https://user:pw@lab.example/m/x.zip") == "https://***@lab.example/m/x.zip"
    signed = "https://storage.example/b/x.zip?X-Goog-Signature=abc&X-Goog-Expires=60"
    assert redact_url(signed) == "https://storage.example/b/x.zip"
    assert redact_url("https://h.example/x?page=2") == "https://h.example/x?page=2"
    assert redact_text("failed at http://u:p@127.0.0.1:8/x and more") == "failed at http://***@127.0.0.1:8/x and more"
