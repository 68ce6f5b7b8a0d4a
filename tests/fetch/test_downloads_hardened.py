"""Bounded downloads (issue 13): attempt budgets, deadlines, size caps, validators, malformed host answers, mirrors
first, offline dry runs, secrets, trust levels. Every test runs against the real loopback host server."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

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


def test_slow_api_body_hits_the_deadline(server, usreg_home: Path, monkeypatch) -> None:
    monkeypatch.setenv("USREG_REQUEST_DEADLINE", "0.5")
    monkeypatch.setenv("USREG_RETRIES", "1")
    server.add_route("/zenodo/api/records/813", lambda r: Response.json({"id": 813, "files": [], "pad": "x" * 50_000}))
    server.throttle("/zenodo/api/records/813", 20_000)  # 16 KiB pieces, one every 0.8 s
    out = _bounded(lambda: fetch_dataset(dataset("slowbody", [{"kind": "zenodo", "id": "813"}])))
    error = out.get("error")
    assert isinstance(error, FetchError), out
    assert "last error: no complete answer from 127.0.0.1 within 0.5 s (USREG_REQUEST_DEADLINE)" in error.message
    assert out["elapsed"] < 5


def test_download_below_the_minimum_rate_is_retried_then_abandoned(server, usreg_home: Path, monkeypatch) -> None:
    monkeypatch.setenv("USREG_READ_TIMEOUT", "1")  # the window over which the rate is averaged
    monkeypatch.setenv("USREG_MIN_RATE", "100000")
    monkeypatch.setenv("USREG_MAX_ATTEMPTS", "2")
    url = server.add_http_file("/files/crawl.bin", os.urandom(1_000_000))
    server.throttle("/files/crawl.bin", 40_000)  # 16 KiB every 0.4 s: never silent, always too slow
    out = _bounded(lambda: fetch_dataset(dataset("crawl", [{"kind": "http", "url": url}])))
    error = out.get("error")
    assert isinstance(error, DownloadError), out
    assert "below the minimum rate of 100000 bytes/s (USREG_MIN_RATE)" in error.message
    assert "2 attempts in all (USREG_MAX_ATTEMPTS)" in error.message
    assert server.hits("/files/crawl.bin") == 2 and out["elapsed"] < 8
    # what arrived is kept: the second attempt resumed where the first stopped
    assert server.requests("/files/crawl.bin")[1].headers["range"].startswith("bytes=")


@pytest.fixture
def proxy():
    from tests.fixtures.server import ForwardProxy

    forward = ForwardProxy().start()
    yield forward
    forward.stop()


def test_fetch_through_a_proxy_and_its_deadline(server, proxy, usreg_home: Path, monkeypatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    data = os.urandom(300_000)
    paths = server.add_zenodo_record(814, {"p.bin": data})
    fetch_dataset(dataset("proxied", [{"kind": "zenodo", "id": "814"}]))
    assert (usreg_home / "downloads/proxied/latest/p.bin").read_bytes() == data
    assert [urlsplit(u).path for u in proxy.urls] == ["/zenodo/api/records/814", paths["p.bin"]]
    # behind the proxy, a host that never finishes its headers still meets the deadline
    monkeypatch.setenv("USREG_REQUEST_DEADLINE", "0.5")
    monkeypatch.setenv("USREG_RETRIES", "1")
    url = server.add_http_file("/files/proxied-slow.bin", b"x" * 10)
    server.slow_headers("/files/proxied-slow.bin", 1.0, times=10)
    out = _bounded(lambda: fetch_dataset(dataset("proxied-slow", [{"kind": "http", "url": url}])))
    assert isinstance(out.get("error"), DownloadError), out
    assert "USREG_REQUEST_DEADLINE" in out["error"].message and out["elapsed"] < 5


def test_no_proxy_connects_directly(server, proxy, usreg_home: Path, monkeypatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    url = server.add_http_file("/files/direct.bin", b"d" * 1000)
    fetch_dataset(dataset("direct", [{"kind": "http", "url": url}]))
    assert proxy.urls == [] and server.hits("/files/direct.bin") == 1


def test_dry_run_size_probe_is_bounded_by_the_deadline(server, usreg_home: Path, monkeypatch) -> None:
    monkeypatch.setenv("USREG_REQUEST_DEADLINE", "0.5")
    url = server.add_http_file("/files/probe.bin", b"p" * 100)
    server.slow_headers("/files/probe.bin", 1.0, times=10)
    out = _bounded(lambda: fetch_dataset(dataset("probe", [{"kind": "http", "url": url}]), dry_run=True))
    assert "error" not in out, out
    (planned,) = out["value"].files
    assert planned.size is None and out["elapsed"] < 5  # the size stays unknown; the plan is still made
    assert [r.method for r in server.requests("/files/probe.bin")] == ["HEAD"]


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


# -- 6. mirrors first ---------------------------------------------------------------------------------------------
def _real_entry(catalog_root, entry_id: str, replace: dict[str, str] | None = None) -> None:
    """Copy the real catalog entry into the test catalog, with textual replacements (e.g. the fixture's checksum)."""
    from tests.conftest import REPO_ROOT

    text = (REPO_ROOT / "entries" / "datasets" / f"{entry_id}.yaml").read_text(encoding="utf-8")
    for old, new in (replace or {}).items():
        assert old in text, old
        text = text.replace(old, new)
    catalog_root.raw("datasets", entry_id, text)


def _bus_bra(catalog_root, tmp_path: Path) -> bytes:
    import hashlib

    from tests.fixtures.builders import bus_bra

    data = bus_bra.build(tmp_path / "files").files["BUSBRA.zip"]
    _real_entry(
        catalog_root,
        "bus-bra",
        {
            "size: 133917740": f"size: {len(data)}",
            "md5: 1f8b2be6476d58fc97bfb5e5a1ea9bab": f"md5: {hashlib.md5(data).hexdigest()}",
            "  images: 1875\n  subjects: 1064\n": "  images: 6\n  subjects: 4\n",  # the fixture's counts
        },
    )
    return data


@pytest.mark.parametrize("how", ["option", "environment"])
def test_mirror_first_with_the_origin_unresolvable(
    server, catalog_root, run_cli, usreg_home: Path, tmp_path: Path, monkeypatch, how: str
) -> None:
    data = _bus_bra(catalog_root, tmp_path)
    monkeypatch.setenv("USREG_ZENODO_URL", "http://zenodo.invalid")  # the origin cannot even be resolved
    mirror = server.add_mirror("/lab", "bus-bra", {"BUSBRA.zip": data})
    if how == "option":
        result = run_cli("fetch", "bus-bra", "--mirror", mirror, root=catalog_root.root)
    else:
        monkeypatch.setenv("USREG_MIRROR", mirror)
        result = run_cli("fetch", "bus-bra", root=catalog_root.root)
    assert result.exit_code == 0, result.output
    assert [r.path for r in server.requests()] == ["/lab/bus-bra/BUSBRA.zip"]  # nothing else was asked
    lock = json.loads((usreg_home / "downloads/bus-bra/1.0/usreg.lock.json").read_text())["files"]
    assert lock["BUSBRA.zip"]["trust"] == "entry" and lock["BUSBRA.zip"]["host"] == "mirror"
    assert (usreg_home / "datasets/bus-bra").is_dir()  # converted by the real loader


def test_mirror_first_origin_gets_no_request_and_tofu_without_checksums(server, usreg_home: Path) -> None:
    paths = server.add_zenodo_record(821, {"a.bin": b"origin"})
    mirror = server.add_mirror("/lab", "tofu", {"a.bin": b"mirror bytes"})
    entry = dataset("tofu", [{"kind": "zenodo", "id": "821", "files": [{"name": "a.bin"}]}])
    result = fetch_dataset(entry, mirror=mirror)
    assert server.hits("/zenodo/api/records/821") == 0 and server.hits(paths["a.bin"]) == 0
    (outcome,) = result.files
    assert outcome.trust == "tofu" and outcome.host == "mirror"
    assert (usreg_home / "downloads/tofu/latest/a.bin").read_bytes() == b"mirror bytes"


def test_a_file_missing_on_the_mirror_comes_from_the_origin(server, usreg_home: Path) -> None:
    paths = server.add_zenodo_record(822, {"a.bin": b"aaa", "b.bin": b"bbb"})
    mirror = server.add_mirror("/lab", "half", {"a.bin": b"aaa"})  # b.bin is missing there
    entry = dataset("half", [{"kind": "zenodo", "id": "822", "files": [{"name": "a.bin"}, {"name": "b.bin"}]}])
    result = fetch_dataset(entry, mirror=mirror)
    assert sorted(f.name for f in result.files) == ["a.bin", "b.bin"]
    assert server.hits(paths["a.bin"]) == 0 and server.hits(paths["b.bin"]) == 1
    assert {f.name: f.trust for f in result.files} == {"a.bin": "tofu", "b.bin": "host"}


# -- 7. --dry-run offline ------------------------------------------------------------------------------------------
def test_dry_run_offline_plans_from_the_entry(server, catalog_root, run_cli, usreg_home: Path, monkeypatch) -> None:
    monkeypatch.setenv("USREG_MENDELEY_URL", "http://mendeley.invalid")
    monkeypatch.setenv("USREG_ZENODO_URL", "http://zenodo.invalid")
    _real_entry(catalog_root, "carotid-plaque")
    _real_entry(catalog_root, "bus-bra")
    result = run_cli("fetch", "carotid-plaque", "--dry-run", root=catalog_root.root)
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "source 1 (mendeley 8srkpz52dy): the host could not be reached; the entry lists no files" in text
    assert "https://data.mendeley.com/datasets/8srkpz52dy/1" in text
    result = run_cli("fetch", "bus-bra", "--dry-run", "--format", "json", root=catalog_root.root)
    assert result.exit_code == 0, result.output
    final = [json.loads(line) for line in result.stdout.splitlines() if line.strip()][-1]
    assert final["ok"] and final["dry_run"]
    assert [(f["name"], f["size"]) for f in final["files"]] == [("BUSBRA.zip", 133917740)]
    assert "planned from the 1 file(s) the entry lists" in final["message"]
    assert not server.requests() and not (usreg_home / "downloads").exists()


# -- 8. secrets ------------------------------------------------------------------------------------------------------
def test_mirror_credentials_never_printed_or_stored(server, catalog_root, run_cli, usreg_home: Path) -> None:
    server.add_mirror("/lab", "secret-set", {"a.bin": b"aaa"})
    catalog_root.dataset(
        {
            "id": "secret-set",
            "name": "Dataset secret-set",
            "anatomy": ["breast"],
            "tasks": ["segmentation"],
            "sources": [{"kind": "zenodo", "id": "830", "files": [{"name": "a.bin"}, {"name": "gone.bin"}]}],
        }
    )
    mirror = server.url.replace("http://", "http://labuser:hunter2@") + "/lab"
    outputs = [
        run_cli("fetch", "secret-set", "--mirror", mirror, "--dry-run", root=catalog_root.root),
        run_cli("fetch", "secret-set", "--mirror", mirror, "--dry-run", "--format", "json", root=catalog_root.root),
        # gone.bin is on neither the mirror nor the (absent) zenodo record: an error that names the URLs
        run_cli("fetch", "secret-set", "--mirror", mirror, "--format", "json", root=catalog_root.root),
        run_cli("fetch", "secret-set", "--mirror", mirror, root=catalog_root.root),
    ]
    assert [r.exit_code for r in outputs[:2]] == [0, 0]
    assert outputs[2].exit_code != 0 and outputs[3].exit_code != 0
    assert "http://***@127.0.0.1" in outputs[1].output  # the dry run shows the mirror, without its credentials
    assert "gone.bin: not on the mirror" in outputs[3].output and "http://***@127.0.0.1" in outputs[3].output
    for result in outputs:
        assert "hunter2" not in result.output and "labuser" not in result.output, result.output
    stored = "".join(p.read_text(errors="replace") for p in usreg_home.rglob("*") if p.is_file())
    assert "a.bin" in stored and "hunter2" not in stored and "labuser" not in stored
    # the credentials were still used for the request
    requests = server.requests("/lab/secret-set/a.bin")
    assert requests and all(r.headers["authorization"].startswith("Basic ") for r in requests)


def test_signed_kaggle_url_is_stored_without_its_query(server, usreg_home: Path, tmp_path: Path) -> None:
    from tests.fetch.conftest import kaggle_token
    from tests.fixtures.archives import make_zip

    kaggle_token(server, tmp_path / "kaggle-config")
    server.add_kaggle_dataset("someone/scans", make_zip({"a.png": b"png"}))
    result = fetch_dataset(dataset("kag", [{"kind": "kaggle", "id": "someone/scans"}]))
    lock = (usreg_home / "downloads/kag/latest/usreg.lock.json").read_text()
    assert "X-Goog-Signature" not in lock and '/kaggle-storage/someone/scans/scans.zip"' in lock
    assert "Signature" not in json.dumps(result.as_dict())


# -- 9. trust levels -------------------------------------------------------------------------------------------------
def _score(run_cli, root: Path) -> dict:
    result = run_cli("score", "carotid-plaque", "--format", "json", root=root)
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)
    return row


def test_unverified_local_ingest_leaves_score_and_tier_unchanged(
    server, catalog_root, run_cli, usreg_home: Path, tmp_path: Path, monkeypatch
) -> None:
    from tests.conftest import minimal_dataset
    from tests.fixtures.builders import carotid_plaque

    fx = carotid_plaque.build(tmp_path / "files", size=96)
    catalog_root.dataset(
        minimal_dataset(
            "carotid-plaque",
            anatomy=["carotid"],
            version="1",
            counts={"images": 3},
            sources=[{"kind": "mendeley", "id": "8srkpz52dy", "version": "1"}],
            loader={"name": "carotid-plaque"},
        )
    )
    before = _score(run_cli, catalog_root.root)
    # bytes nobody vouches for: --from-file of files the entry gives no checksum for (trust on first use)
    fetched = run_cli("fetch", "carotid-plaque", "--from-file", str(tmp_path / "files"), root=catalog_root.root)
    assert fetched.exit_code == 0, fetched.output
    assert "data checks on them are shown but never raise the published score" in " ".join(fetched.output.split())
    assert run_cli("check", "carotid-plaque", root=catalog_root.root).exit_code == 0
    lock = json.loads((usreg_home / "downloads/carotid-plaque/1/usreg.lock.json").read_text())["files"]
    assert {r["trust_level"] for r in lock.values()} == {"unverified"}
    after = _score(run_cli, catalog_root.root)
    assert (after["points"], after["tier"]) == (before["points"], before["tier"])
    # `usreg score --local` shows what the local data would add, labelled as local and never stored
    local = run_cli("score", "carotid-plaque", "--local", "--format", "json", root=catalog_root.root)
    assert local.exit_code == 0, local.output
    [row] = json.loads(local.stdout)["scores"]
    assert row["published_points"] == before["points"] and row["local_points"] > row["published_points"]
    assert _score(run_cli, catalog_root.root)["points"] == before["points"]

    # the same data fetched from the host, whose API publishes sha256 sums, does count
    monkeypatch.setenv("USREG_HOME", str(tmp_path / "verified-home"))
    server.add_mendeley_dataset("8srkpz52dy", 1, fx.files)
    assert run_cli("fetch", "carotid-plaque", root=catalog_root.root).exit_code == 0
    assert run_cli("check", "carotid-plaque", root=catalog_root.root).exit_code == 0
    lock = json.loads((tmp_path / "verified-home/downloads/carotid-plaque/1/usreg.lock.json").read_text())["files"]
    assert {r["trust_level"] for r in lock.values()} == {"host-verified"}
    assert _score(run_cli, catalog_root.root)["points"] > before["points"]


def test_skip_verify_is_recorded_unverified(server, usreg_home: Path) -> None:
    paths = server.add_zenodo_record(840, {"a.bin": b"abc"}, checksums={"a.bin": "0" * 32})  # a lying host
    fetch_dataset(dataset("skipped", [{"kind": "zenodo", "id": "840"}]), skip_verify=True)
    lock = json.loads((usreg_home / "downloads/skipped/latest/usreg.lock.json").read_text())["files"]
    assert lock["a.bin"]["trust"] == "unverified" and lock["a.bin"]["trust_level"] == "unverified"
    assert server.hits(paths["a.bin"]) == 1
