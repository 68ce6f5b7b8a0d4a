"""Hostile input, round 9: command options.

``export -o`` to a named pipe (or a device: /dev/null, /dev/stdout) writes into it instead of renaming a new file
over it, and refuses a path inside the usreg cache (it overwrote a download's usreg.lock.json). ``fetch --version``
takes only a label the entry lists, unless a host of the entry keeps versions of a record (figshare, Mendeley,
Kaggle): a zenodo record fetched with ``--version X`` was filed under ``X``. An id given many times is fetched once
(10,000 copies planned the entry 10,000 times). ``--workers`` has an upper bound. ``convert --source`` refuses the
filesystem root and the cache's own folders. Ids with glob characters, ``--seed`` text and an unknown ``--format``
were already clear errors; they are kept here so they stay so.
"""

from __future__ import annotations

import json
import os
import stat
import threading
from pathlib import Path

import pytest

from registry.errors import EXIT_ENVIRONMENT, EXIT_FINDINGS
from tests.conftest import minimal_dataset
from tests.fetch.conftest import server  # noqa: F401  (the HostServer fixture)


@pytest.fixture
def zen_catalog(catalog_root, server):  # noqa: F811
    server.add_zenodo_record(909, {"a.csv": b"x,y\n1,2\n"})
    catalog_root.dataset(minimal_dataset("zen-nine", version="1", sources=[{"kind": "zenodo", "id": "909"}]))
    return catalog_root


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_export_into_a_named_pipe_writes_into_it(run_cli, catalog_root, tmp_path: Path, usreg_home) -> None:
    catalog_root.dataset(minimal_dataset("pipe-set"))
    fifo = tmp_path / "catalog.pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    result = run_cli("export", "--format", "json", "-o", str(fifo), root=catalog_root.root)
    reader.join(timeout=10)
    assert result.exit_code == 0, result.output
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)  # was: replaced by a regular file (as root, -o /dev/null did that)
    assert received and "pipe-set" in received[0].decode()


def test_export_inside_the_cache_is_refused(run_cli, catalog_root, usreg_home: Path) -> None:
    catalog_root.dataset(minimal_dataset("lock-set"))
    lock = usreg_home / "downloads/lock-set/1/usreg.lock.json"
    lock.parent.mkdir(parents=True)
    lock.write_text('{"files": {}}\n')
    result = run_cli("export", "--format", "json", "-o", str(lock), root=catalog_root.root)
    assert result.exit_code == EXIT_ENVIRONMENT
    assert "-o would put the export" in result.output and "inside the usreg cache" in result.output
    assert lock.read_text() == '{"files": {}}\n'  # was: overwritten with the catalog


def test_fetch_version_the_entry_does_not_list_is_refused(run_cli, zen_catalog, server, usreg_home) -> None:  # noqa: F811
    result = run_cli("fetch", "zen-nine", "--version", "X", root=zen_catalog.root)
    assert result.exit_code == EXIT_ENVIRONMENT
    assert "zen-nine has no version 'X': it lists 1, and its host (zenodo) keeps no other versions" in result.output
    assert not (usreg_home / "downloads/zen-nine/X").exists()  # was: record 909 filed under X
    assert server.hits("/zenodo/api/records/909") == 0

    listed = run_cli("fetch", "zen-nine", "--version", "1", root=zen_catalog.root)
    assert listed.exit_code == 0, listed.output
    assert (usreg_home / "downloads/zen-nine/1/a.csv").read_bytes() == b"x,y\n1,2\n"


def test_fetch_version_on_a_versioned_host_is_asked_of_the_host(run_cli, catalog_root, server, usreg_home) -> None:  # noqa: F811
    server.add_figshare_article(9090, {"d.txt": b"v1"}, version=1)
    server.add_figshare_article(9090, {"d.txt": b"v2"}, version=2)
    catalog_root.dataset(
        minimal_dataset("fig-nine", version="1", sources=[{"kind": "figshare", "id": "9090", "version": "1"}])
    )
    result = run_cli("fetch", "fig-nine", "--version", "2", root=catalog_root.root)
    assert result.exit_code == 0, result.output
    assert (usreg_home / "downloads/fig-nine/2/d.txt").read_bytes() == b"v2"


def test_an_id_given_many_times_is_fetched_once(run_cli, zen_catalog, server) -> None:  # noqa: F811
    result = run_cli("fetch", *["zen-nine"] * 2000, "--dry-run", "--format", "json", root=zen_catalog.root)
    assert result.exit_code == 0, result.output
    events = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert [e["event"] for e in events if e["event"] == "plan"] == [
        "plan"
    ]  # was: 2,000 plans, and 2,000 questions to the host
    assert server.hits("/zenodo/api/records/909") == 1


def test_many_distinct_unknown_ids_fail_fast(run_cli, zen_catalog) -> None:
    result = run_cli("fetch", *[f"nope-{n}" for n in range(10_000)], "--dry-run", root=zen_catalog.root)
    assert result.exit_code == EXIT_FINDINGS and "no entry named 'nope-0'" in result.output


@pytest.mark.parametrize("command", [("convert", "zen-nine"), ("bench", "zen-nine")])
@pytest.mark.parametrize("workers", ["0", "-1", "100000"])
def test_workers_out_of_range(run_cli, zen_catalog, command: tuple[str, str], workers: str) -> None:
    result = run_cli(*command, "--workers", workers, root=zen_catalog.root)
    assert result.exit_code == EXIT_ENVIRONMENT
    assert f"{workers} is not in the range 1<=x<=256" in result.output  # 100000 was accepted


def test_convert_source_that_is_root_or_the_cache_is_refused(run_cli, zen_catalog, usreg_home: Path) -> None:
    (usreg_home / "downloads").mkdir(parents=True, exist_ok=True)
    for folder, said in (
        ("/", "is the filesystem root"),  # was: a walk of the whole disk, then "Permission denied (/proc/1/cwd)"
        (str(usreg_home / "downloads"), "is the usreg cache"),
        (str(usreg_home.parent), "holds the usreg cache"),
    ):
        result = run_cli("convert", "zen-nine", "--source", folder, root=zen_catalog.root)
        assert result.exit_code == EXIT_ENVIRONMENT, (folder, result.output)
        assert said in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(
    ("args", "code", "said"),
    [
        (("fetch", "zen-*", "--dry-run"), EXIT_FINDINGS, "no entry named 'zen-*'"),
        (("show", "zen-n?ne"), EXIT_FINDINGS, "zen-n?ne"),
        (("bench", "zen-nine", "--seed", "abc"), EXIT_ENVIRONMENT, "'abc' is not a valid integer"),
        (("fetch", "zen-nine", "--format", "yaml"), EXIT_ENVIRONMENT, "'yaml' is not one of"),
        (("fetch", "zen-nine", "--jobs", "100000"), EXIT_ENVIRONMENT, "not in the range 1<=x<=64"),
    ],
)
def test_options_that_were_already_clear(run_cli, zen_catalog, args, code: int, said: str) -> None:
    result = run_cli(*args, root=zen_catalog.root)
    assert result.exit_code == code, result.output
    assert said in result.output and "Traceback" not in result.output
