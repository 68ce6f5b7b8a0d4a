"""Hostile input, round 8: `usreg check-links` against hosts that misbehave on purpose, and what it records.

The hosts are real sockets on 127.0.0.1. ``RawHost`` answers with bytes no HTTP server library would send (a garbage
status line, a TLS handshake on plain http, a 1 MiB header, an endless or gzip-bomb body, a one-byte-a-second drip,
silence); the project's ``HostServer`` serves the well-formed answers. Every case runs through the real command (or
the real ``LinkChecker``) under a time bound: a hostile host may make one link an error, never the run a traceback,
a hang, or a wrong record.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from registry.contrib.links import LinkChecker, unusable
from tests.conftest import minimal_dataset
from tests.fixtures.server import Response

#: what a raw route does with the accepted connection: (socket, method, path, stop event)
Behaviour = Callable[[socket.socket, str, str, threading.Event], None]
CLOSE = b"Content-Length: 0\r\nConnection: close\r\n\r\n"


class RawHost:
    """A TCP server on 127.0.0.1 that reads one request head and lets a route write whatever bytes it likes."""

    def __init__(self) -> None:
        self.routes: dict[str, Behaviour] = {}
        self.stop_event = threading.Event()
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(512)
        self.sock.settimeout(0.05)
        self.hits: dict[str, int] = {}
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def route(self, path: str, behaviour: Behaviour) -> str:
        self.routes[path] = behaviour
        return self.url + path

    def start(self) -> RawHost:
        threading.Thread(target=self._accept, name="raw-host", daemon=True).start()
        return self

    def stop(self) -> None:
        self.stop_event.set()
        self.sock.close()

    def _accept(self) -> None:
        while not self.stop_event.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(30)
            head = b""
            try:
                while b"\r\n\r\n" not in head and len(head) < 65536:
                    piece = conn.recv(4096)
                    if not piece:
                        return
                    head += piece
                method, target = (part.decode("latin-1") for part in head.split(b" ", 2)[:2])
                path = target.split("?", 1)[0]
                with self._lock:
                    self.hits[path] = self.hits.get(path, 0) + 1
                behaviour = self.routes.get(path)
                if behaviour is None:
                    conn.sendall(b"HTTP/1.1 404 Not Found\r\n" + CLOSE)
                    return
                behaviour(conn, method, path, self.stop_event)
            except (OSError, ValueError):
                return


@pytest.fixture
def raw_host() -> Iterator[RawHost]:
    host = RawHost().start()
    try:
        yield host
    finally:
        host.stop()


def send(data: bytes) -> Behaviour:
    return lambda conn, method, path, stop: conn.sendall(data)


def redirect(location: bytes, status: int = 302) -> Behaviour:
    return send(b"HTTP/1.1 %d Redirect\r\nLocation: %s\r\n" % (status, location) + CLOSE)


def get_only(body: Callable[[socket.socket, threading.Event], None]) -> Behaviour:
    """HEAD is refused (405), so the checker falls back to GET, whose answer ``body`` writes."""

    def behaviour(conn: socket.socket, method: str, path: str, stop: threading.Event) -> None:
        if method == "HEAD":
            conn.sendall(b"HTTP/1.1 405 Method Not Allowed\r\n" + CLOSE)
        else:
            body(conn, stop)

    return behaviour


def endless(conn: socket.socket, stop: threading.Event) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n")
    while not stop.is_set():
        conn.sendall(b"x" * 65536)


BOMB = gzip.compress(b"\0" * (64 << 20))  # 64 MiB of zeros in about 64 KiB


def gzip_bomb(conn: socket.socket, stop: threading.Event) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(BOMB) + BOMB)


def drip(conn: socket.socket, method: str, path: str, stop: threading.Event) -> None:
    for byte in b"HTTP/1.1 200 OK\r\nX-Drip: " + b"a" * 100:
        conn.sendall(bytes([byte]))
        if stop.wait(1.0):
            return


def silent(conn: socket.socket, method: str, path: str, stop: threading.Event) -> None:
    stop.wait(60)


def chain(conn: socket.socket, method: str, path: str, stop: threading.Event) -> None:
    step = int(path.rsplit("/", 1)[1])
    conn.sendall(b"HTTP/1.1 302 Found\r\nLocation: /chain/%d\r\n" % (step + 1) + CLOSE)


def test_hostile_answers_are_classified_and_bounded(catalog_root, run_cli, raw_host, host_server):
    """Each hostile answer makes its own link an error (never 'dead', which is evidence against the entry), the
    command ends in seconds without a traceback, and the healthy link beside them is still alive."""
    h = raw_host
    for step in range(60):
        h.routes[f"/chain/{step}"] = chain
    cases = {
        h.route("/endless", get_only(endless)): ("alive", None),
        h.route("/bomb", get_only(gzip_bomb)): ("alive", None),
        h.route("/loop", redirect(b"/loop")): ("error", "more than 5 redirects"),
        h.url + "/chain/0": ("error", "more than 5 redirects"),  # 50 and more redirects
        h.route("/to-file", redirect(b"file:///etc/passwd")): ("error", "cannot be followed: not an http(s) URL"),
        h.route("/moved-to-file", redirect(b"file:///etc/passwd", 301)): ("error", "not an http(s) URL (file)"),
        h.route("/to-ftp", redirect(b"ftp://127.0.0.1/x")): ("error", "not an http(s) URL (ftp)"),
        h.route("/to-script", redirect(b"javascript:alert(1)")): ("error", "cannot be followed"),
        h.route("/to-port", redirect(b"http://127.0.0.1:99999/x")): ("error", "port 99999 is out of range"),
        h.route("/drip", drip): ("error", "timed out"),
        h.route("/big-header", send(b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * (1 << 20) + b"\r\n" + CLOSE)): (
            "error",
            "not valid HTTP",
        ),
        h.route("/garbage", send(b"\x00\xffNOT HTTP AT ALL\r\n\r\n")): ("error", "not valid HTTP"),
        h.route("/tls", send(bytes.fromhex("160303007a020000760303") + b"\0" * 120)): ("error", "not valid HTTP"),
        h.route("/hang-up", send(b"")): ("error", "not valid HTTP"),
        h.route("/silent", silent): ("error", "timed out"),
        h.route("/rate", send(b"HTTP/1.1 429 Slow\r\nRetry-After: 86400\r\n" + CLOSE)): ("rate-limited", None),
        host_server.add_route("/fine", lambda r: Response(200, {}, b"ok")): ("alive", None),
    }
    urls = list(cases)
    catalog_root.dataset(
        minimal_dataset(
            "hostile-links",
            links={"homepage": urls[0]},
            evidence=[{"url": u, "fields": ["name"]} for u in urls[1:]],
        )
    )
    started = time.monotonic()
    result = run_cli("check-links", "hostile-links", "--timeout", "1", "--format", "json", root=catalog_root.root)
    elapsed = time.monotonic() - started
    assert result.exit_code == 1, result.output  # failing links are findings
    by_url = {row["url"]: row for row in json.loads(result.stdout)}
    assert {u: by_url[u]["status"] for u in urls} == {u: status for u, (status, _) in cases.items()}
    for url, (_, detail) in cases.items():
        if detail:
            assert detail in by_url[url]["detail"], (url, by_url[url])
    assert by_url[urls[4]]["location"] == "file:///etc/passwd"  # recorded for inspection, never opened
    assert elapsed < 15, elapsed  # drip and silence cost their 3 s deadline; a 1-day Retry-After waits no longer
    record = json.loads((catalog_root.root / "verification" / "hostile-links.json").read_text(encoding="utf-8"))
    assert [link["status"] for link in record["links"]] == [by_url[u]["status"] for u in urls]


def test_a_url_httpx_cannot_request_fails_alone(catalog_root, run_cli, host_server):
    """A URL in free text (a newline, a port out of range) or an invalid international name is an error of that link;
    before, httpx's InvalidURL or idna's error ended the whole run with a traceback and no record at all."""
    fine = host_server.add_route("/fine", lambda r: Response(200, {}, b"ok"))
    newline = f"{host_server.url}/a\nb"
    port = "http://127.0.0.1:99999/x"
    idn = "http://xn--a.example/"  # matches the schema's URL pattern; idna refuses the label
    catalog_root.dataset(
        minimal_dataset("odd-urls", links={"homepage": fine, "code": idn}, applications=[newline, port])
    )
    result = run_cli("check-links", "odd-urls", "--format", "json", root=catalog_root.root)
    assert result.exit_code == 1, result.output
    by_url = {row["url"]: row for row in json.loads(result.stdout)}
    assert by_url[fine]["status"] == "alive"
    assert by_url[newline]["status"] == "error" and "not a usable URL" in by_url[newline]["detail"]
    assert by_url[port]["status"] == "error" and "port 99999 is out of range" in by_url[port]["detail"]
    assert by_url[idn]["status"] == "error" and "not a usable URL" in by_url[idn]["detail"]
    assert (catalog_root.root / "verification" / "odd-urls.json").is_file()


def test_unusable_names_why():
    assert unusable("https://example.org/x") is None
    assert "too long" in (unusable("https://example.org/" + "a" * 70000) or "")
    assert unusable("file:///etc/passwd") == "not an http(s) URL (file)"
    assert "no host" in (unusable("http:///x") or "")


def test_a_silent_host_is_given_up_and_blocks_no_other_host(raw_host, host_server):
    """300 links to a host that never answers cost a few timeouts, not 300; and the link to another host listed after
    them is checked at once (before, waiting links held the global slots that other hosts needed)."""
    silent_urls = [raw_host.route(f"/s{i}", silent) for i in range(300)]
    fine = host_server.add_route("/fine", lambda r: Response(200, {}, b"ok"))
    started = time.monotonic()
    results = asyncio.run(LinkChecker(per_host=2, total=4, timeout=0.5).check_all([*silent_urls, fine]))
    elapsed = time.monotonic() - started
    assert results[fine].status == "alive"
    first_answer = host_server.requests("/fine")[0].started
    assert first_answer - started < 1.0  # not queued behind the silent host
    assert all(results[u].status == "error" for u in silent_urls)
    assert sum("not checked" in (results[u].detail or "") for u in silent_urls) >= 290
    assert sum(raw_host.hits.values()) <= 6
    assert elapsed < 5, elapsed


def test_many_links_stay_within_the_per_host_limit(host_server):
    """500 links to one host: every one checked, never more than per_host at a time (by the server's own log of when
    each request arrived and was answered), in a few seconds."""
    host_server.add_prefix_route("/many/", lambda r: time.sleep(0.002) or Response(200, {}, b"x"))
    urls = [host_server.url_for(f"/many/{i}") for i in range(500)]
    results = asyncio.run(LinkChecker(per_host=2, timeout=5).check_all(urls))
    assert [r.status for r in results.values()] == ["alive"] * 500
    log = host_server.requests()
    assert len(log) == 500
    events = sorted([(r.started, 1) for r in log] + [(r.finished, -1) for r in log], key=lambda e: (e[0], e[1]))
    open_now = peak = 0
    for _, step in events:
        open_now += step
        peak = max(peak, open_now)
    assert peak <= 2


def test_the_record_goes_through_a_temporary_name_of_its_own(catalog_root, run_cli, host_server):
    """A user's verification/<id>.json.tmp is neither overwritten nor moved over the record (before, the checker wrote
    its record to exactly that name and renamed it, so two runs at once also tripped over each other)."""
    fine = host_server.add_route("/fine", lambda r: Response(200, {}, b"ok"))
    catalog_root.dataset(minimal_dataset("kept", links={"homepage": fine}))
    folder = catalog_root.root / "verification"
    folder.mkdir()
    (folder / "kept.json.tmp").write_text("my notes", encoding="utf-8")
    result = run_cli("check-links", "kept", "--format", "json", root=catalog_root.root)
    assert result.exit_code == 0, result.output
    assert (folder / "kept.json.tmp").read_text(encoding="utf-8") == "my notes"
    assert json.loads((folder / "kept.json").read_text(encoding="utf-8"))["links"][0]["status"] == "alive"
    assert sorted(p.name for p in folder.iterdir()) == ["kept.json", "kept.json.tmp"]


def _usreg(root: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", "from registry.cli import main; main()", "--root", str(root), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def test_two_runs_at_once_each_leave_complete_records(catalog_root, host_server):
    fine = host_server.add_route("/fine", lambda r: Response(200, {}, b"ok"))
    for i in range(40):
        catalog_root.dataset(minimal_dataset(f"entry-{i}", links={"homepage": fine}))
    runs = [_usreg(catalog_root.root, "check-links", "--format", "json") for _ in range(2)]
    outcomes = [run.communicate(timeout=60) for run in runs]
    for run, (_, err) in zip(runs, outcomes, strict=True):
        assert run.returncode == 0 and "Traceback" not in err, err
    folder = catalog_root.root / "verification"
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"entry-{i}.json" for i in range(40))
    for path in folder.iterdir():
        assert json.loads(path.read_text(encoding="utf-8"))["links"][0]["status"] == "alive"


def test_ctrl_c_mid_run_keeps_the_earlier_record(catalog_root, raw_host):
    """Interrupted while it waits for a host, the command exits 130 and the record of the previous run is untouched."""
    catalog_root.dataset(minimal_dataset("waiting", links={"homepage": raw_host.route("/silent", silent)}))
    folder = catalog_root.root / "verification"
    folder.mkdir()
    earlier = '{"entry": "waiting", "checked": "2026-01-01T00:00:00Z", "links": []}\n'
    (folder / "waiting.json").write_text(earlier, encoding="utf-8")
    run = _usreg(catalog_root.root, "check-links", "waiting", "--timeout", "20")
    deadline = time.monotonic() + 20
    while not raw_host.hits and time.monotonic() < deadline:
        time.sleep(0.05)
    assert raw_host.hits, "the command never reached the host"
    run.send_signal(signal.SIGINT)
    _, err = run.communicate(timeout=20)
    assert run.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert (folder / "waiting.json").read_text(encoding="utf-8") == earlier
    assert sorted(p.name for p in folder.iterdir()) == ["waiting.json"]
