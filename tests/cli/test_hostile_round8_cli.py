"""Hostile input, round 8: the local site server, `site build --out`, `usreg cache` with links and odd names in the
cache folder, `usreg leaderboard` on damaged stored results, and `usreg new` with hostile values.

Everything runs through the real command (the site server as its own process, on 127.0.0.1, talked to over raw
sockets), under time bounds. What must never happen: a file outside the site served, a file outside USREG_HOME or a
user's folder deleted or overwritten, a traceback, or an escape sequence sent to the terminal.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import CatalogBuilder, minimal_dataset

REPO = Path(__file__).resolve().parents[2]
ESC = "\x1b"


def _usreg(*args: str) -> list[str]:
    return [sys.executable, "-c", "from registry.cli import main; main()", *args]


# -- usreg site serve ------------------------------------------------------------------------------------------------


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[int, Path, Path]]:
    """A site folder with links in it (one inside, two leading outside) served by `usreg site serve --port 0`."""
    site, outside = tmp_path / "site", tmp_path / "outside"
    (site / "sub").mkdir(parents=True)
    outside.mkdir()
    (site / "index.html").write_text("home", encoding="utf-8")
    (site / "sub" / "page.html").write_text("inside", encoding="utf-8")
    (outside / "secret.txt").write_text("secret-token", encoding="utf-8")
    (site / "leak.txt").symlink_to(outside / "secret.txt")
    (site / "outdir").symlink_to(outside)
    (site / "alias.html").symlink_to(Path("sub") / "page.html")
    server = subprocess.Popen(
        _usreg("--root", str(REPO), "site", "serve", str(site), "--port", "0"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": "1", "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline()  # "serving <dir> on http://127.0.0.1:<port>/ (Ctrl-C to stop)"
        match = re.search(r"http://([\d.]+):(\d+)/", line)
        assert match, line
        assert match.group(1) == "127.0.0.1"
        yield int(match.group(2)), site, outside
    finally:
        server.send_signal(signal.SIGINT)
        _, err = server.communicate(timeout=20)
        assert "Traceback" not in err, err


def _ask(port: int, request: bytes, host: str = "127.0.0.1") -> bytes:
    with socket.create_connection((host, port), timeout=10) as conn:
        conn.sendall(request)
        answer = b""
        while piece := conn.recv(65536):
            answer += piece
    return answer


def _get(port: int, target: str) -> tuple[int, bytes]:
    answer = _ask(port, f"GET {target} HTTP/1.0\r\n\r\n".encode())
    status = int(answer.split(b" ", 2)[1]) if answer else 0
    return status, answer.partition(b"\r\n\r\n")[2]


def test_serve_never_answers_with_a_file_outside_the_site(served):
    """Links in the built site that lead outside it are answered 404 (before: their targets were served); a link inside
    it still works, and no spelling of '..' reaches outside."""
    port, _, _ = served
    assert _get(port, "/") == (200, b"home")
    assert _get(port, "/alias.html") == (200, b"inside")
    for target in (
        "/leak.txt",
        "/outdir/secret.txt",
        "/../outside/secret.txt",
        "/%2e%2e/outside/secret.txt",
        "/..%2f..%2foutside%2fsecret.txt",
        "/sub/..%2f..%2foutside/secret.txt",
        "//outside/secret.txt",
        "/%2Foutside/secret.txt",
        "/etc/passwd",
    ):
        status, body = _get(port, target)
        assert status == 404, (target, status)
        assert b"secret-token" not in body


def test_serve_answers_odd_requests_without_a_traceback(served):
    """A NUL byte in the path is a 404 (before: no answer and a traceback on the server's terminal); a 70,000-character
    URL is 414 and a 1 MiB header 431."""
    port, _, _ = served
    assert _get(port, "/%00")[0] == 404
    assert _get(port, "/index.html%00.txt")[0] == 404
    assert _get(port, "/" + "a" * 70000)[0] == 414
    big = _ask(port, b"GET / HTTP/1.1\r\nX-Big: " + b"a" * (1 << 20) + b"\r\n\r\n")
    assert big.startswith(b"HTTP/1.0 431")


def test_serve_binds_loopback_only_and_takes_many_connections(served):
    """Bound to 127.0.0.1: another loopback address (127.0.0.2 reaches any server bound to 0.0.0.0) is refused. 200
    idle connections do not keep the next visitor out (before: 300 took 48 s to open with a listen queue of 5)."""
    port, _, _ = served
    with pytest.raises(OSError), socket.create_connection(("127.0.0.2", port), timeout=2):
        pass
    started = time.monotonic()
    idle = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(200)]
    try:
        assert _get(port, "/") == (200, b"home")
    finally:
        for conn in idle:
            conn.close()
    assert time.monotonic() - started < 5


# -- usreg site build ------------------------------------------------------------------------------------------------


@pytest.fixture
def site_catalog(tmp_path: Path) -> CatalogBuilder:
    builder = CatalogBuilder(tmp_path / "catalog")
    shutil.copytree(REPO / "site", builder.root / "site")
    builder.dataset(minimal_dataset("breast-seg"))
    return builder


def test_build_refuses_a_site_asset_that_links_outside(run_cli, site_catalog, tmp_path):
    """A link in site/assets to a file elsewhere (a contributor's pull request can add one) would be copied into the
    published site; the build stops and names it (before: the target's contents were published)."""
    secret = tmp_path / "id_rsa"
    secret.write_text("PRIVATE KEY", encoding="utf-8")
    (site_catalog.root / "site" / "assets" / "key.txt").symlink_to(secret)
    out = tmp_path / "public"
    result = run_cli("site", "build", "--out", out, root=site_catalog.root)
    assert result.exit_code == 1, result.output
    assert "key.txt is a link to" in result.output and "outside" in result.output
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".public")] == []  # no temporary build left


@pytest.mark.parametrize("command", [("site", "build"), ("up", "--no-serve")])
@pytest.mark.parametrize("where", ["entries", "home", "root"])
def test_build_out_onto_a_folder_it_did_not_make_leaves_it_alone(run_cli, site_catalog, tmp_path, where, command):
    """`site build --out` and `up --out` onto the entries folder, a home folder holding only dotfiles, or the catalog
    root: refused (exit 2), nothing in it written, moved or deleted."""
    home = tmp_path / "home"
    home.mkdir()
    (home / ".bashrc").write_text("alias ll='ls -l'\n", encoding="utf-8")
    out = {"entries": site_catalog.root / "entries", "home": home, "root": site_catalog.root}[where]
    before = sorted((str(p), p.stat().st_mtime_ns) for p in out.rglob("*"))
    result = run_cli(*command, "--out", out, root=site_catalog.root)
    assert result.exit_code == 2 and "left untouched" in result.output
    assert sorted((str(p), p.stat().st_mtime_ns) for p in out.rglob("*")) == before


# -- usreg cache -----------------------------------------------------------------------------------------------------


def test_cache_clean_never_deletes_through_a_link(run_cli, usreg_home, tmp_path):
    """downloads/<id> linked to a folder elsewhere: `cache clean` removed the hidden files in that folder (its tidy-up
    of empty <id>/ folders followed the link) and then failed with 'Not a directory'. Now it removes what is in the
    cache, a link itself included, leaves what lies behind a link, and says so."""
    victim = tmp_path / "elsewhere"
    (victim / "1").mkdir(parents=True)
    (victim / ".ssh_key").write_text("key", encoding="utf-8")
    (victim / "1" / "data.bin").write_text("data", encoding="utf-8")
    (usreg_home / "downloads").mkdir()
    (usreg_home / "downloads" / "linked").symlink_to(victim)
    (usreg_home / "datasets" / "linked" / "1").mkdir(parents=True)
    (usreg_home / "datasets" / "linked" / "1" / "out.json").write_text("{}", encoding="utf-8")
    (usreg_home / "datasets" / "linked" / "2").symlink_to(victim)
    result = run_cli("cache", "clean", "linked", "-y")
    assert result.exit_code == 0, result.output
    assert sorted(str(p.relative_to(victim)) for p in victim.rglob("*")) == [".ssh_key", "1", "1/data.bin"]
    assert not (usreg_home / "datasets" / "linked").exists()  # the real folder and the link in it are gone
    assert (usreg_home / "downloads" / "linked").is_symlink()
    assert "left 1 path(s) reached through a symbolic link" in result.output
    assert "downloads/linked/1" in result.output


def test_cache_list_shows_an_escape_in_a_folder_name_instead_of_sending_it(run_cli, usreg_home):
    (usreg_home / "sources" / f"evil{ESC}[2J{ESC}[31mred" / "1").mkdir(parents=True)
    (usreg_home / "sources" / "-rf" / "1").mkdir(parents=True)
    result = run_cli("cache", "list")
    assert result.exit_code == 0, result.output
    assert ESC not in result.output
    assert "evil\\x1b[2J" in result.output and "-rf" in result.output
    cleaned = run_cli("cache", "clean", "-y")
    assert cleaned.exit_code == 0 and list((usreg_home / "sources").iterdir()) == []


# -- usreg leaderboard -----------------------------------------------------------------------------------------------


def test_leaderboard_leaves_out_damaged_stored_results(run_cli, catalog_root, usreg_home, caplog):
    """Rows of the index's bench_result table that SQLite kept with the wrong type (a text value, a text interval, a
    blob metric name, an infinite value) made `usreg leaderboard` end in a TypeError or ValueError traceback; now they
    are left out with one warning and the sound rows are ranked. A model id with an escape is shown, not sent."""
    from registry.home import index_path

    catalog_root.dataset(minimal_dataset("carotid"))
    assert run_cli("index", root=catalog_root.root).exit_code == 0
    sound = {
        "dataset_id": "carotid",
        "split": "test",
        "metric": "dice",
        "value": 0.8,
        "ci_low": 0.7,
        "ci_high": 0.9,
        "n": 10,
        "created": "2026-01-01T00:00:00",
    }
    rows = [
        {**sound, "model_id": "good", "run_id": "r1"},
        {**sound, "model_id": f"shown{ESC}[31m", "run_id": "r2", "value": 0.7},
        {**sound, "model_id": "text-value", "run_id": "r3", "value": "abc"},
        {**sound, "model_id": "text-ci", "run_id": "r4", "ci_low": "low"},
        {**sound, "model_id": "blob-metric", "run_id": "r5", "metric": b"\xff\xfe"},
        {**sound, "model_id": "infinite", "run_id": "r6", "value": float("inf")},
    ]
    with sqlite3.connect(index_path(catalog_root.root)) as conn:
        for row in rows:
            conn.execute(
                f"INSERT INTO bench_result ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", list(row.values())
            )
    for fmt in ("json", "table"):
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="registry.index"):
            result = run_cli("leaderboard", "carotid", "--format", fmt, root=catalog_root.root)
        assert result.exit_code == 0, result.output
        assert "left out 4 benchmark result row(s)" in caplog.text
        assert ESC not in result.stdout
    ranked = json.loads(run_cli("leaderboard", "carotid", "--format", "json", root=catalog_root.root).stdout)
    assert [r["model"] for r in ranked["rows"]] == ["good", f"shown{ESC}[31m"]


# -- usreg new -------------------------------------------------------------------------------------------------------


def test_new_keeps_hostile_values_as_text_and_never_overwrites(run_cli, catalog_root):
    hostile = {"--name": "Evil\nlicense: MIT\nid: other", "--homepage": "https://example.org/\n  evil: 1"}
    options = [part for pair in hostile.items() for part in pair]
    result = run_cli("new", "dataset", "fresh", "--no-interactive", *options, root=catalog_root.root)
    assert result.exit_code == 0, result.output
    import yaml

    path = catalog_root.root / "entries" / "datasets" / "fresh.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data["id"] == "fresh" and data["name"] == "Evil\nlicense: MIT\nid: other" and data.get("license") is None
    assert data["links"] == {"homepage": "https://example.org/\n  evil: 1"}
    path.write_text("mine", encoding="utf-8")
    again = run_cli("new", "dataset", "fresh", "--no-interactive", root=catalog_root.root)
    assert again.exit_code == 1 and "already exists" in again.output
    assert path.read_text(encoding="utf-8") == "mine"
    for bad in ("nl\n", "../escape", "/abs", "UPPER", "a" * 80):
        refused = run_cli("new", "dataset", bad, "--no-interactive", root=catalog_root.root)
        assert refused.exit_code == 1, (bad, refused.output)
    assert sorted(p.name for p in (catalog_root.root / "entries" / "datasets").iterdir()) == ["fresh.yaml"]
    assert not (catalog_root.root / "entries" / "escape.yaml").exists()
