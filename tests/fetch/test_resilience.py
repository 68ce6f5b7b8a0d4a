"""Resume, retries, Retry-After, mirrors, timeouts, checksums and concurrent fetches, against the real local server."""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path

import pytest

from registry.fetch import (
    ChecksumMismatch,
    DownloadError,
    FetchError,
    ManualDownloadRequired,
    Reporter,
    fetch_dataset,
)
from tests.fetch.conftest import dataset
from tests.fixtures.archives import make_zip


class Recorder(Reporter):
    def __init__(self) -> None:
        self.messages: list[tuple[str, str]] = []
        self.done: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def message(self, text: str, level: str = "info") -> None:
        with self._lock:
            self.messages.append((level, text))

    def file_done(self, name: str, status: str, info: dict) -> None:
        with self._lock:
            self.done.append((name, status))


def _lock(home: Path, entry_id: str, version: str = "latest") -> dict:
    return json.loads((home / "downloads" / entry_id / version / "usreg.lock.json").read_text())["files"]


def test_dropped_connection_resumes_without_resending(server, usreg_home: Path) -> None:
    data = os.urandom(3_000_000)
    paths = server.add_zenodo_record(501, {"big.bin": data})
    path = paths["big.bin"]
    server.drop_after(path, 1_200_000, times=2)  # two drops in a row, then a clean transfer
    result = fetch_dataset(dataset("drop", [{"kind": "zenodo", "id": "501"}]))
    assert (usreg_home / "downloads/drop/latest/big.bin").read_bytes() == data
    requests = server.requests(path)
    assert [r.status for r in requests] == [200, 206, 206]
    first_range = requests[1].headers["range"]
    assert first_range == f"bytes={requests[0].bytes_sent}-"
    assert requests[2].headers["range"] == f"bytes={requests[0].bytes_sent + requests[1].bytes_sent}-"
    # every byte crossed the wire exactly once
    assert server.bytes_sent(path) == len(data)
    assert result.files[0].bytes_transferred == len(data)
    assert not list((usreg_home / "downloads/drop/latest").glob("*.part*"))


def test_429_with_retry_after_is_honoured(server, usreg_home: Path) -> None:
    url = server.add_http_file("/files/rate.bin", b"r" * 5000)
    server.fail("/files/rate.bin", 429, times=1, retry_after=1)
    fetch_dataset(dataset("rate", [{"kind": "http", "url": url}]))
    requests = server.requests("/files/rate.bin")
    assert [r.status for r in requests] == [429, 200]
    # the base delay is 0.01 s: only Retry-After explains a wait of about a second
    assert requests[1].started - requests[0].started >= 0.95
    assert (usreg_home / "downloads/rate/latest/rate.bin").read_bytes() == b"r" * 5000


def test_three_503s_then_the_mirror(server, usreg_home: Path) -> None:
    data = os.urandom(20_000)
    paths = server.add_zenodo_record(502, {"d.bin": data})
    server.fail(paths["d.bin"], 503, times=3)
    server.add_http_file("/mirror-a/d.bin", data)  # a source mirror serves <base>/<file-name>
    mirror = server.url + "/mirror-a"
    entry = dataset("m503", [{"kind": "zenodo", "id": "502", "mirrors": [mirror]}])
    recorder = Recorder()
    result = fetch_dataset(entry, reporter=recorder)
    assert [r.status for r in server.requests(paths["d.bin"])] == [503, 503, 503]
    assert server.bytes_sent("/mirror-a/d.bin") == len(data)
    assert result.files[0].url == server.url + "/mirror-a/d.bin"
    assert result.files[0].trust == "host"  # the zenodo md5 still verifies the mirror's copy
    warnings = [t for level, t in recorder.messages if level == "warning"]
    assert any("gave up after 3 attempts" in t and "trying the next URL" in t for t in warnings), warnings


def test_user_mirror_is_tried_first_and_a_miss_falls_back(server, usreg_home: Path, monkeypatch) -> None:
    data = b"m" * 4096
    paths = server.add_zenodo_record(503, {"a.bin": data, "b.bin": b"b" * 10})
    base = server.add_mirror("/labmirror", "mirrored", {"a.bin": data})  # b.bin is not mirrored
    monkeypatch.setenv("USREG_MIRROR", base)
    result = fetch_dataset(dataset("mirrored", [{"kind": "zenodo", "id": "503"}]))
    by_name = {f.name: f for f in result.files}
    assert by_name["a.bin"].url == base + "/mirrored/a.bin"
    assert server.hits(paths["a.bin"]) == 0
    assert server.hits("/labmirror/mirrored/b.bin") == 1  # a 404: no retries, straight to the host
    assert by_name["b.bin"].url.endswith(paths["b.bin"])


def test_wrong_checksum_keeps_the_file_aside(server, usreg_home: Path) -> None:
    data = b"corrupted on the host"
    server.add_zenodo_record(504, {"x.bin": data}, checksums={"x.bin": "0" * 32})
    with pytest.raises(ChecksumMismatch) as caught:
        fetch_dataset(dataset("badsum", [{"kind": "zenodo", "id": "504"}]))
    message = str(caught.value)
    actual = hashlib.md5(data).hexdigest()
    assert f"md5 expected {'0' * 32} (zenodo record 504), got {actual}" in message
    downloads = usreg_home / "downloads/badsum/latest"
    assert (downloads / "rejected/x.bin").read_bytes() == data
    assert not (downloads / "x.bin").exists() and not (downloads / "x.bin.part").exists()
    assert not (usreg_home / "sources/badsum").exists()


def test_skip_verify_records_unverified(server, usreg_home: Path) -> None:
    server.add_zenodo_record(505, {"x.bin": b"whatever"}, checksums={"x.bin": "1" * 32})
    recorder = Recorder()
    result = fetch_dataset(dataset("skipv", [{"kind": "zenodo", "id": "505"}]), skip_verify=True, reporter=recorder)
    assert result.files[0].trust == "unverified"
    record = _lock(usreg_home, "skipv")["x.bin"]
    assert record["unverified"] is True and record["trust"] == "unverified"
    assert any("verification skipped" in t for _, t in recorder.messages)


def test_trust_on_first_use_catches_a_changed_file(server, usreg_home: Path) -> None:
    url = server.add_http_file("/files/tofu.bin", b"first version")
    entry = dataset("tofu", [{"kind": "http", "url": url}])
    first = fetch_dataset(entry)
    assert first.files[0].trust == "tofu"
    recorded = _lock(usreg_home, "tofu")["tofu.bin"]["sha256"]
    assert recorded == hashlib.sha256(b"first version").hexdigest()
    (usreg_home / "downloads/tofu/latest/tofu.bin").unlink()
    server.add_http_file("/files/tofu.bin", b"silently replaced")
    with pytest.raises(ChecksumMismatch) as caught:
        fetch_dataset(entry)
    assert f"sha256 expected {recorded} (the lock file, recorded" in str(caught.value)
    assert (usreg_home / "downloads/tofu/latest/rejected/tofu.bin").read_bytes() == b"silently replaced"


def test_size_mismatch_is_rejected(server, usreg_home: Path) -> None:
    url = server.add_http_file("/files/short.bin", b"12345")
    entry = dataset("short", [{"kind": "http", "url": url, "files": [{"name": "short.bin", "size": 9}]}])
    with pytest.raises(ChecksumMismatch) as caught:
        fetch_dataset(entry)
    assert "size expected 9" in str(caught.value) and "got 5" in str(caught.value)


def test_read_timeout_is_retried(server, usreg_home: Path, monkeypatch) -> None:
    monkeypatch.setenv("USREG_READ_TIMEOUT", "0.4")
    url = server.add_http_file("/files/slow.bin", b"s" * 100)
    server.stall("/files/slow.bin", 2.0, times=1)
    fetch_dataset(dataset("slow", [{"kind": "http", "url": url}]))
    assert server.hits("/files/slow.bin") == 2
    assert (usreg_home / "downloads/slow/latest/slow.bin").read_bytes() == b"s" * 100


def test_read_timeout_everywhere_is_a_clear_error(server, usreg_home: Path, monkeypatch) -> None:
    monkeypatch.setenv("USREG_READ_TIMEOUT", "0.3")
    url = server.add_http_file("/files/dead.bin", b"d")
    server.stall("/files/dead.bin", 1.0, times=3)
    with pytest.raises(DownloadError) as caught:
        fetch_dataset(dataset("dead", [{"kind": "http", "url": url}]))
    message = str(caught.value)
    assert "could not download dead.bin from any of 1 URL(s)" in message
    assert "gave up after 3 attempts" in message and "no data from the host within the read timeout" in message
    assert url in message
    assert not (usreg_home / "downloads/dead/latest/dead.bin").exists()


def test_html_instead_of_the_file(server, usreg_home: Path) -> None:
    url = server.add_http_file("/files/data.zip", b"PK...")
    server.answer_html("/files/data.zip", "<html><title>Sign in - Lab portal</title></html>", times=1)
    with pytest.raises(DownloadError) as caught:
        fetch_dataset(dataset("html", [{"kind": "http", "url": url}]))
    assert "answered an HTML page ('Sign in - Lab portal') instead of the file" in str(caught.value)


def test_every_url_missing(server, usreg_home: Path) -> None:
    url = server.url + "/nothing/here.zip"
    with pytest.raises(DownloadError) as caught:
        fetch_dataset(dataset("gone", [{"kind": "http", "url": url, "mirrors": [server.url + "/alsonot"]}]))
    message = str(caught.value)
    assert "from any of 2 URL(s)" in message
    assert f"host {url}: here.zip: {url} answered HTTP 404" in message
    assert f"mirror {server.url}/alsonot/here.zip" in message


def test_two_concurrent_fetches_download_once(server, usreg_home: Path) -> None:
    data = os.urandom(400_000)
    url = server.add_http_file("/files/shared.bin", data)
    server.throttle("/files/shared.bin", 1_000_000)  # about 0.4 s, so the two runs overlap
    entry = dataset("shared", [{"kind": "http", "url": url}])
    results, errors, recorders = [], [], [Recorder(), Recorder()]

    def run(recorder: Recorder) -> None:
        try:
            results.append(fetch_dataset(entry, reporter=recorder))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(r,)) for r in recorders]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == [] and len(results) == 2
    assert server.hits("/files/shared.bin") == 1
    assert server.bytes_sent("/files/shared.bin") == len(data)
    assert sorted(r.files[0].status for r in results) == ["cached", "downloaded"]
    waited = [t for r in recorders for _, t in r.messages if "another usreg fetch of shared" in t]
    assert len(waited) == 1
    assert (usreg_home / "downloads/shared/latest/shared.bin").read_bytes() == data


def test_partial_file_from_an_earlier_run_is_resumed(server, usreg_home: Path) -> None:
    data = os.urandom(50_000)
    url = server.add_http_file("/files/part.bin", data)
    downloads = usreg_home / "downloads/partial/latest"
    downloads.mkdir(parents=True)
    (downloads / "part.bin.part").write_bytes(data[:20_000])
    result = fetch_dataset(dataset("partial", [{"kind": "http", "url": url}]))
    assert result.files[0].status == "resumed"
    assert server.requests("/files/part.bin")[0].headers["range"] == "bytes=20000-"
    assert server.bytes_sent("/files/part.bin") == 30_000
    assert (downloads / "part.bin").read_bytes() == data


def test_partial_file_that_does_not_match_is_replaced(server, usreg_home: Path) -> None:
    data = os.urandom(10_000)
    url = server.add_http_file("/files/p2.bin", data)
    downloads = usreg_home / "downloads/p2/latest"
    downloads.mkdir(parents=True)
    (downloads / "p2.bin.part").write_bytes(b"x" * 20_000)  # longer than the remote file: 416
    fetch_dataset(dataset("p2", [{"kind": "http", "url": url}]))
    assert (downloads / "p2.bin").read_bytes() == data


def test_unsafe_host_file_name_is_refused(server, usreg_home: Path) -> None:
    server.add_figshare_article(77, {"../../escape.txt": b"x"}, version=1)
    with pytest.raises(FetchError) as caught:
        fetch_dataset(dataset("esc", [{"kind": "figshare", "id": "77", "version": "1"}]))
    assert "unsafe file name '../../escape.txt'" in str(caught.value)
    assert not (usreg_home / "escape.txt").exists()


def test_offline_rerun_uses_the_complete_cache(server, usreg_home: Path) -> None:
    server.add_zenodo_record(601, {"a.txt": b"alpha", "b.txt": b"beta"})
    entry = dataset("offline", [{"kind": "zenodo", "id": "601"}])
    fetch_dataset(entry)
    server.fail("/zenodo/api/records/601", 503, times=10)  # the host is down now
    recorder = Recorder()
    again = fetch_dataset(entry, reporter=recorder)
    assert sorted((f.name, f.status) for f in again.files) == [("a.txt", "cached"), ("b.txt", "cached")]
    assert any(
        "source 1 (zenodo)" in t and "using the verified files already in the cache" in t for _, t in recorder.messages
    )
    (usreg_home / "downloads/offline/latest/b.txt").unlink()  # incomplete now: the host error must surface
    with pytest.raises(DownloadError) as caught:
        fetch_dataset(entry)
    assert "zenodo record 601: gave up after 3 attempts" in str(caught.value)


def test_mixed_sources_download_then_from_file(server, usreg_home: Path, tmp_path: Path) -> None:
    server.add_zenodo_record(602, {"public.csv": b"id\n1\n"})
    entry = dataset(
        "mixed",
        [
            {"kind": "zenodo", "id": "602"},
            {
                "kind": "manual",
                "url": "https://example.org/request",
                "instructions": "email the authors",
                "files": [{"name": "private.zip"}],
            },
        ],
    )
    with pytest.raises(ManualDownloadRequired) as caught:
        fetch_dataset(entry)
    assert "mixed: 1 file(s) downloaded" in str(caught.value) and "how:   email the authors" in str(caught.value)
    assert (usreg_home / "downloads/mixed/latest/public.csv").exists()
    assert not (usreg_home / "sources/mixed").exists()  # no half tree while a source is missing

    given = tmp_path / "private.zip"
    given.write_bytes(make_zip({"secret/1.png": b"s"}))
    server.fail("/zenodo/api/records/602", 503, times=10)  # even with zenodo down, --from-file goes through
    result = fetch_dataset(entry, from_files=[given])
    assert sorted((f.name, f.status) for f in result.files) == [("private.zip", "ingested"), ("public.csv", "cached")]
    assert (result.source_dir / "secret/1.png").read_bytes() == b"s"
    assert (result.source_dir / "public.csv").read_bytes() == b"id\n1\n"
    server.clear_faults()
    rerun = fetch_dataset(entry)  # a plain re-run later: the earlier --from-file counts
    assert rerun.source_dir == result.source_dir
    assert sorted((f.name, f.status) for f in rerun.files) == [("private.zip", "cached"), ("public.csv", "cached")]


def test_lab_mirror_serves_a_manual_source(server, usreg_home: Path) -> None:
    data = make_zip({"train/1.png": b"t"})
    entry = dataset(
        "gc-mirrored",
        [
            {
                "kind": "grand-challenge",
                "url": "https://x.grand-challenge.org/",
                "files": [{"name": "train.zip", "sha256": hashlib.sha256(data).hexdigest()}, {"name": "test.zip"}],
            }
        ],
    )
    base = server.add_mirror("/lab", "gc-mirrored", {"train.zip": data})  # test.zip is not mirrored
    with pytest.raises(ManualDownloadRequired) as caught:
        fetch_dataset(entry, mirror=base)
    assert "1 file(s) downloaded" in str(caught.value) and "what:  train.zip" in str(caught.value)
    assert (usreg_home / "downloads/gc-mirrored/latest/train.zip").read_bytes() == data
    server.add_http_file("/lab/gc-mirrored/test.zip", make_zip({"test/2.png": b"u"}))
    result = fetch_dataset(entry, mirror=base)
    assert sorted((f.name, f.status, f.trust) for f in result.files) == [
        ("test.zip", "downloaded", "tofu"),
        ("train.zip", "cached", "entry"),
    ]
    assert (result.source_dir / "test/2.png").read_bytes() == b"u"


def test_server_that_ignores_range_restarts_cleanly(server, usreg_home: Path) -> None:
    from tests.fixtures.server import Response

    data = os.urandom(30_000)
    server.add_route("/files/norange.bin", lambda r: Response(200, {"Content-Type": "application/octet-stream"}, data))
    downloads = usreg_home / "downloads/norange/latest"
    downloads.mkdir(parents=True)
    (downloads / "norange.bin.part").write_bytes(data[:10_000])
    fetch_dataset(dataset("norange", [{"kind": "http", "url": server.url + "/files/norange.bin"}]))
    assert (downloads / "norange.bin").read_bytes() == data  # not the first 10 kB twice


def test_changed_remote_file_is_not_spliced_onto_an_old_part(server, usreg_home: Path) -> None:
    from tests.fixtures.server import etag_of

    old, new = os.urandom(20_000), os.urandom(20_000)
    url = server.add_http_file("/files/moving.bin", new)  # the host replaced the file since the last run
    downloads = usreg_home / "downloads/moving/latest"
    downloads.mkdir(parents=True)
    (downloads / "moving.bin.part").write_bytes(old[:8_000])
    (downloads / "moving.bin.part.json").write_text(json.dumps({"url": url, "etag": etag_of(old)}))
    fetch_dataset(dataset("moving", [{"kind": "http", "url": url}]))
    assert (downloads / "moving.bin").read_bytes() == new
    (request,) = server.requests("/files/moving.bin")
    assert request.headers["range"] == "bytes=8000-" and request.headers["if-range"] == etag_of(old)
    assert request.status == 200 and request.bytes_sent == len(new)
    assert not (downloads / "moving.bin.part.json").exists()
