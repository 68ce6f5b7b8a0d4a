"""``usreg fetch`` and ``usreg cache`` through the CLI: output, exit codes, manual sources, interrupts."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import minimal_dataset
from tests.fixtures import archives
from tests.fixtures.catalogs import add_manual_tcia_set


@pytest.fixture
def catalog(catalog_root, server):
    """A catalog with a zenodo dataset (an archive and a csv) served by the local server."""
    zipped = archives.make_zip({"images/1.png": b"one", "images/2.png": b"two"})
    server.add_zenodo_record(42, {"data.zip": zipped, "labels.csv": b"id,label\n1,a\n"})
    catalog_root.dataset(minimal_dataset("zen-set", version="1", sources=[{"kind": "zenodo", "id": "42"}]))
    catalog_root.zipped = zipped
    return catalog_root


def _json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_fetch_table_output(catalog, run_cli, usreg_home: Path) -> None:
    result = run_cli("fetch", "zen-set", root=catalog.root)
    assert result.exit_code == 0, result.output
    assert "data.zip" in result.stdout and "labels.csv" in result.stdout
    source = usreg_home / "sources/zen-set/1"
    assert f"no loader for zen-set yet; raw files are in {source}" in result.stdout.replace("\n", "")
    assert (source / "images/2.png").read_bytes() == b"two"


def test_fetch_json_lines(catalog, run_cli, usreg_home: Path) -> None:
    result = run_cli("fetch", "zen-set", "--format", "json", root=catalog.root)
    assert result.exit_code == 0, result.output
    events = _json_lines(result.stdout)
    kinds = [e["event"] for e in events]
    assert kinds[0] == "plan" and kinds[-1] == "result"
    assert {e["file"] for e in events if e["event"] == "file"} == {"data.zip", "labels.csv"}
    final = events[-1]
    assert final["ok"] is True and final["source_dir"] == str(usreg_home / "sources/zen-set/1")
    assert {f["trust"] for f in final["files"]} == {"host"}
    plan = events[0]
    assert plan["total_size"] == len(catalog.zipped) + len(b"id,label\n1,a\n")


def test_dry_run(catalog, run_cli, usreg_home: Path, server) -> None:
    result = run_cli("fetch", "zen-set", "--dry-run", root=catalog.root)
    assert result.exit_code == 0, result.output
    total = len(catalog.zipped) + len(b"id,label\n1,a\n")
    assert f"would fetch 2 file(s), {total:,} bytes into {usreg_home / 'downloads/zen-set/1'}" in (
        result.stdout.replace("\n", "")
    )
    assert "zenodo" in result.stdout and "download" in result.stdout
    assert not (usreg_home / "downloads").exists()
    assert not [r for r in server.requests() if r.path.endswith("/content")]  # metadata only
    as_json = run_cli("fetch", "zen-set", "--dry-run", "--format", "json", root=catalog.root)
    final = _json_lines(as_json.stdout)[-1]
    assert final["dry_run"] is True and [f["status"] for f in final["files"]] == ["download", "download"]


def test_wrong_checksum_exit_code_and_message(catalog_root, run_cli, server, usreg_home: Path) -> None:
    server.add_zenodo_record(43, {"x.bin": b"bytes"}, checksums={"x.bin": "f" * 32})
    catalog_root.dataset(minimal_dataset("bad-sum", sources=[{"kind": "zenodo", "id": "43"}]))
    result = run_cli("fetch", "bad-sum", root=catalog_root.root)
    assert result.exit_code == 1
    expected = f"md5 expected {'f' * 32} (zenodo record 43), got {hashlib.md5(b'bytes').hexdigest()}"
    assert expected in result.stderr
    assert (usreg_home / "downloads/bad-sum/latest/rejected/x.bin").exists()
    as_json = run_cli("fetch", "bad-sum", "--format", "json", root=catalog_root.root)
    assert as_json.exit_code == 1
    final = _json_lines(as_json.stdout)[-1]
    assert final["event"] == "result" and final["ok"] is False and expected in final["error"]


def test_jobs_bound_parallel_files(catalog_root, run_cli, server, usreg_home: Path) -> None:
    files = {f"f{i}.bin": os.urandom(60_000) for i in range(6)}
    paths = server.add_zenodo_record(44, files)
    for path in paths.values():
        server.throttle(path, 400_000)  # about 0.15 s each
    catalog_root.dataset(minimal_dataset("many", sources=[{"kind": "zenodo", "id": "44"}]))
    result = run_cli("fetch", "many", "--jobs", "2", "--format", "json", root=catalog_root.root)
    assert result.exit_code == 0, result.output
    spans = [(r.started, r.finished) for p in paths.values() for r in server.requests(p)]
    assert len(spans) == 6
    peak = max(sum(1 for s, e in spans if s <= t < e) for t, _ in spans)
    assert peak == 2


def test_dry_run_with_from_file(catalog_root, run_cli, tmp_path: Path, usreg_home: Path) -> None:
    catalog_root.dataset(minimal_dataset("dry-manual", sources=[{"kind": "manual", "url": "https://example.org/"}]))
    given = tmp_path / "x.zip"
    given.write_bytes(b"PK")
    result = run_cli("fetch", "dry-manual", "--from-file", given, "--dry-run", root=catalog_root.root)
    assert result.exit_code == 0, result.output
    assert "would ingest 1 file(s)" in result.stdout and "x.zip" in result.stdout
    assert not (usreg_home / "downloads").exists()


def test_manual_source_then_from_file(catalog_root, run_cli, usreg_home: Path, tmp_path: Path, server) -> None:
    scans = add_manual_tcia_set(catalog_root)
    result = run_cli("fetch", "tcia-set", root=catalog_root.root)
    assert result.exit_code == 1
    err = result.stderr
    assert "tcia-set must be downloaded by hand" in err
    assert "where: https://www.cancerimagingarchive.net/collection/US-Collection/" in err
    assert "NBIA Data Retriever" in err and "what:  scans.zip (sha256 " in err
    assert "then run: usreg fetch tcia-set --from-file PATH" in err
    assert server.requests() == []

    downloaded = tmp_path / "Downloads" / "scans.zip"
    downloaded.parent.mkdir()
    downloaded.write_bytes(scans)
    result = run_cli("fetch", "tcia-set", "--from-file", downloaded, root=catalog_root.root)
    assert result.exit_code == 0, result.output
    assert (usreg_home / "sources/tcia-set/latest/case1/img.dcm").read_bytes() == b"DICM"
    lock = json.loads((usreg_home / "downloads/tcia-set/latest/usreg.lock.json").read_text())["files"]
    assert lock["scans.zip"]["trust"] == "entry" and lock["scans.zip"]["origin"] == f"from-file:{downloaded}"
    assert downloaded.read_bytes() == scans  # the user's file is untouched
    again = run_cli("fetch", "tcia-set", root=catalog_root.root)  # later runs use what was given
    assert again.exit_code == 0, again.output
    assert "scans.zip" in again.stdout and "cached" in again.stdout


def test_from_file_directory_and_bad_checksum(catalog_root, run_cli, usreg_home: Path, tmp_path: Path) -> None:
    catalog_root.dataset(
        minimal_dataset(
            "gc-set",
            sources=[
                {
                    "kind": "grand-challenge",
                    "url": "https://example.grand-challenge.org/",
                    "files": [{"name": "labels.csv", "md5": "0" * 32}],
                }
            ],
        )
    )
    folder = tmp_path / "by-hand"
    (folder / "imgs").mkdir(parents=True)
    (folder / "imgs" / "a.png").write_bytes(b"a")
    (folder / "labels.csv").write_bytes(b"id\n")
    result = run_cli("fetch", "gc-set", "--from-file", folder, root=catalog_root.root)
    assert result.exit_code == 1
    actual = hashlib.md5(b"id\n").hexdigest()
    assert f"md5 expected {'0' * 32} (the entry's declared checksum), got {actual}" in result.stderr
    assert not (usreg_home / "sources/gc-set").exists()
    (folder / "labels.csv").unlink()
    result = run_cli("fetch", "gc-set", "--from-file", folder / "imgs", root=catalog_root.root)
    assert result.exit_code == 0, result.output
    assert (usreg_home / "sources/gc-set/latest/a.png").read_bytes() == b"a"


def test_from_file_paths_after_the_option(catalog_root, run_cli, usreg_home: Path, tmp_path: Path) -> None:
    catalog_root.dataset(minimal_dataset("manual-two", sources=[{"kind": "manual", "url": "https://example.org/"}]))
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("a")
    b.write_text("b")
    result = run_cli("fetch", "manual-two", "--from-file", a, b, root=catalog_root.root)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (usreg_home / "sources/manual-two/latest").iterdir()) == ["a.txt", "b.txt"]


def test_unknown_id_suggests(catalog, run_cli) -> None:
    result = run_cli("fetch", "zen-sett", root=catalog.root)
    assert result.exit_code == 1  # no such entry is a finding, as in show and score
    assert "no entry named 'zen-sett'" in result.stderr and "did you mean zen-set?" in result.stderr


def test_dest_option(catalog, run_cli, tmp_path: Path) -> None:
    result = run_cli("fetch", "zen-set", "--dest", tmp_path / "work", root=catalog.root)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "work/zen-set/images/1.png").read_bytes() == b"one"
    (tmp_path / "elsewhere/zen-set").mkdir(parents=True)
    (tmp_path / "elsewhere/zen-set/mine.txt").write_text("user data")
    result = run_cli("fetch", "zen-set", "--dest", tmp_path / "elsewhere", root=catalog.root)
    assert result.exit_code == 2 and "was not made by usreg; refusing to overwrite it" in result.stderr
    assert (tmp_path / "elsewhere/zen-set/mine.txt").read_text() == "user data"


def test_cache_list_size_clean(catalog, run_cli, usreg_home: Path) -> None:
    assert run_cli("fetch", "zen-set", root=catalog.root).exit_code == 0
    listed = json.loads(run_cli("cache", "list", "--format", "json").stdout)
    assert [(r["id"], r["version"]) for r in listed] == [("zen-set", "1")]
    row = listed[0]
    zipped = len(catalog.zipped)
    assert row["downloads"] > zipped and row["partial"] == 0
    sizes = json.loads(run_cli("cache", "size", "--format", "json").stdout)
    # labels.csv is hard-linked into sources: counted once in the total
    assert sizes["total"] == sizes["downloads"] + sizes["sources"] - len(b"id,label\n1,a\n")
    table = run_cli("cache", "list")
    assert "zen-set" in table.stdout
    assert run_cli("cache", "clean", "zen-set", input="n\n").exit_code == 1  # declined
    assert (usreg_home / "downloads/zen-set/1").exists()
    result = run_cli("cache", "clean", "zen-set", "--what", "sources", "--yes")
    assert result.exit_code == 0 and "removed 2 path(s)" in result.stdout
    assert not (usreg_home / "sources/zen-set/1").exists() and (usreg_home / "downloads/zen-set/1").exists()
    result = run_cli("cache", "clean", "--yes", "--format", "json")
    assert json.loads(result.stdout)["entries"] == 1
    assert json.loads(run_cli("cache", "list", "--format", "json").stdout) == []
    assert run_cli("cache", "clean", "../etc", "--yes").exit_code == 2


def _usreg(root: Path, server, home: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, **server.env(), "USREG_HOME": str(home), "NO_COLOR": "1", "USREG_RETRY_BASE_DELAY": "0.01"}
    exe = Path(sys.executable).with_name("usreg")
    return subprocess.Popen(
        [str(exe), "--root", str(root), "fetch", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # a suite run in the background or under nohup ignores SIGINT, and children inherit that; the child we
        # interrupt must see Ctrl-C as a user's terminal delivers it
        preexec_fn=_default_sigint,
    )


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _wait_for_part(part: Path, at_least: int, proc: subprocess.Popen, timeout: float = 20) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if part.exists() and part.stat().st_size >= at_least:
            return part.stat().st_size
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.02)
    raise AssertionError(f"{part} never reached {at_least} bytes")


@pytest.mark.parametrize("how", ["sigkill", "sigint"])
def test_interrupted_process_resumes(catalog_root, server, usreg_home: Path, how: str) -> None:
    data = os.urandom(4 << 20)
    url = server.add_http_file("/files/big.bin", data)
    server.throttle("/files/big.bin", 3 << 20)
    catalog_root.dataset(minimal_dataset("big-set", sources=[{"kind": "http", "url": url}]))
    part = usreg_home / "downloads/big-set/latest/big.bin.part"
    proc = _usreg(catalog_root.root, server, usreg_home, "big-set")
    _wait_for_part(part, 1 << 20, proc)
    if how == "sigkill":
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    else:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
        assert proc.returncode == 130, err
        assert "interrupted; 1 partial file(s) kept" in err and "run `usreg fetch big-set` again" in err
    kept = part.stat().st_size
    assert 0 < kept < len(data)
    assert not (usreg_home / "downloads/big-set/latest/big.bin").exists()

    server.throttle("/files/big.bin", None)
    first = len(server.requests("/files/big.bin"))
    proc = _usreg(catalog_root.root, server, usreg_home, "big-set", "--format", "json")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    resumed = server.requests("/files/big.bin")[first:]
    assert [r.headers.get("range") for r in resumed] == [f"bytes={kept}-"]
    assert resumed[0].bytes_sent == len(data) - kept  # only the missing bytes crossed the wire again
    assert (usreg_home / "downloads/big-set/latest/big.bin").read_bytes() == data
    final = _json_lines(out)[-1]
    assert final["files"][0]["status"] == "resumed"


def test_fetch_model_weights(catalog_root, run_cli, server, usreg_home: Path) -> None:
    from tests.conftest import minimal_model

    weights = os.urandom(3000)
    url = server.add_http_file("/weights/seg.onnx", weights)
    catalog_root.model(
        minimal_model(
            "seg-net",
            weights=[
                {
                    "format": "onnx",
                    "file": "seg.onnx",
                    "sha256": hashlib.sha256(weights).hexdigest(),
                    "source": {"kind": "http", "url": url},
                }
            ],
        )
    )
    result = run_cli("fetch", "seg-net", root=catalog_root.root)
    assert result.exit_code == 0, result.output
    assert (usreg_home / "downloads/seg-net/latest/seg.onnx").read_bytes() == weights
    assert f"weights of seg-net are in {usreg_home / 'sources/seg-net/latest'}" in result.stdout.replace("\n", "")
    lock = json.loads((usreg_home / "downloads/seg-net/latest/usreg.lock.json").read_text())["files"]
    assert lock["seg.onnx"]["trust"] == "entry"


def test_two_processes_fetch_one_dataset(catalog_root, server, usreg_home: Path) -> None:
    data = os.urandom(384 << 10)
    url = server.add_http_file("/files/twice.bin", data)
    # slow enough that the first transfer outlasts the second process's start-up on a loaded machine; lifted as soon
    # as the second process says it waits, so the test is quick when the machine is
    server.throttle("/files/twice.bin", 4 << 10)
    catalog_root.dataset(minimal_dataset("twice", sources=[{"kind": "http", "url": url}]))
    first = _usreg(catalog_root.root, server, usreg_home, "twice", "--format", "json")
    _wait_for_part(usreg_home / "downloads/twice/latest/twice.bin.part", 1, first)
    second = _usreg(catalog_root.root, server, usreg_home, "twice", "--format", "json")
    early: list[str] = []
    assert second.stdout is not None
    for line in second.stdout:  # bounded: the process ends, and the first transfer ends within its throttled time
        early.append(line)
        if "another usreg fetch" in line:
            break
    server.throttle("/files/twice.bin", None)
    out1, err1 = first.communicate(timeout=120)
    rest, err2 = second.communicate(timeout=120)
    out2 = "".join(early) + rest
    assert first.returncode == 0 and second.returncode == 0, (err1, err2)
    assert server.hits("/files/twice.bin") == 1 and server.bytes_sent("/files/twice.bin") == len(data)
    statuses = sorted(_json_lines(out)[-1]["files"][0]["status"] for out in (out1, out2))
    assert statuses == ["cached", "downloaded"]
    waited = [e for e in _json_lines(out2) if e["event"] == "message" and "another usreg fetch" in e["text"]]
    assert len(waited) == 1
    assert (usreg_home / "downloads/twice/latest/twice.bin").read_bytes() == data


# -- exit codes (issue 13): one mapping for every command ------------------------------------------------------------
ID_COMMANDS = [
    ("show",),
    ("score",),
    ("fetch",),
    ("fetch", "--dry-run"),
    ("check-links",),
    ("convert",),
    ("check",),
    ("bench",),
    ("leaderboard",),
]


def _all_commands() -> list[tuple[str, ...]]:
    import click

    from registry.cli import main

    out = []
    for name, command in sorted(main.commands.items()):
        if isinstance(command, click.Group):
            out += [(name, sub) for sub in sorted(command.commands)]
        else:
            out.append((name,))
    return out


def test_every_command_exits_1_for_an_unknown_id_and_2_for_bad_usage(catalog, run_cli, usreg_home: Path) -> None:
    from registry.errors import EXIT_ENVIRONMENT, EXIT_FINDINGS

    for command in ID_COMMANDS:
        result = run_cli(*command, "no-such-entry", root=catalog.root)
        assert result.exit_code == EXIT_FINDINGS, (command, result.output)
        assert "no-such-entry" in result.output and "Traceback" not in result.output, (command, result.output)
    commands = _all_commands()
    assert len(commands) >= 20 and ("cache", "clean") in commands
    for command in commands:
        result = run_cli(*command, "--no-such-option", root=catalog.root)
        assert result.exit_code == EXIT_ENVIRONMENT, (command, result.output)
        assert "No such option" in result.output, (command, result.output)


def test_dns_failure_exits_2(catalog, run_cli, usreg_home: Path, monkeypatch) -> None:
    monkeypatch.setenv("USREG_ZENODO_URL", "http://zenodo.invalid")
    result = run_cli("fetch", "zen-set", root=catalog.root)
    assert result.exit_code == 2, result.output
    assert "cannot resolve the host name 'zenodo.invalid'" in result.output
    result = run_cli("fetch", "zen-set", "--format", "json", root=catalog.root)
    assert result.exit_code == 2 and '"ok": false' in result.stdout


def test_network_failure_on_a_download_exits_2_and_a_checksum_mismatch_1(
    catalog_root, run_cli, server, usreg_home: Path
) -> None:
    server.add_http_file("/files/down.bin", b"d" * 100)
    server.fail("/files/down.bin", 503, times=10)
    server.add_http_file("/files/bad.bin", b"b" * 100)
    entries = {
        "down-set": [{"kind": "http", "url": server.url + "/files/down.bin"}],
        "bad-set": [
            {"kind": "http", "url": server.url + "/files/bad.bin", "files": [{"name": "bad.bin", "md5": "0" * 32}]}
        ],
    }
    for entry_id, sources in entries.items():
        catalog_root.dataset(minimal_dataset(entry_id, sources=sources))
    assert run_cli("fetch", "down-set", root=catalog_root.root).exit_code == 2
    assert run_cli("fetch", "bad-set", root=catalog_root.root).exit_code == 1
    both = run_cli("fetch", "down-set", "bad-set", root=catalog_root.root)
    assert both.exit_code == 1 and "2 of 2 fetches failed" in both.output


def test_an_unwritable_output_path_is_an_environment_error(catalog, run_cli, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = run_cli("export", "--format", "json", "--output", str(blocker / "sub" / "x.json"), root=catalog.root)
    assert result.exit_code == 2 and "Not a directory" in result.output, result.output
