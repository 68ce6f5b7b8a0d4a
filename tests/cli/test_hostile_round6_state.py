"""Hostile input, round 6: the local state (the cache, the SQLite index, the score store) through the CLI, with a
fresh USREG_HOME per test."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import minimal_dataset


def _manual(catalog_root, entry_id: str) -> None:
    catalog_root.dataset(minimal_dataset(entry_id, sources=[{"kind": "manual", "url": "https://example.org/"}]))


def _fetched(catalog_root, run_cli, tmp_path: Path, entry_id: str = "m1") -> None:
    _manual(catalog_root, entry_id)
    given = tmp_path / "given"
    given.mkdir()
    (given / "a.txt").write_bytes(b"a")
    result = run_cli("fetch", entry_id, "--from-file", given / "a.txt", root=catalog_root.root)
    assert result.exit_code == 0, result.output


# -- the cache -------------------------------------------------------------------------------------------------------
def test_cache_clean_waits_for_a_running_conversion(catalog_root, run_cli, usreg_home: Path, tmp_path: Path) -> None:
    """`usreg cache clean ID` deleted the source tree while `usreg fetch ID` was converting it (the fetch lock is
    released before the conversion starts): the fetch then failed with 'the source directory ... does not exist'."""
    from registry.formats.writer import DatasetWriter

    _fetched(catalog_root, run_cli, tmp_path)
    sources = usreg_home / "sources" / "m1" / "latest"
    assert sources.is_dir()
    with DatasetWriter(usreg_home, "m1", "latest"):  # what a conversion holds while it reads the source tree
        result = run_cli("cache", "clean", "m1", "-y", root=catalog_root.root)
        assert result.exit_code != 0, result.output
        assert "conversion of m1 latest is running" in result.stderr and "wait for it to finish" in result.stderr
        assert sources.is_dir()
    result = run_cli("cache", "clean", "m1", "-y", root=catalog_root.root)
    assert result.exit_code == 0, result.output
    assert not sources.exists() and not (usreg_home / "datasets" / "m1").exists()


# -- the SQLite index --------------------------------------------------------------------------------------------------
def _index_file(usreg_home: Path) -> Path:
    (found,) = (usreg_home / "index").glob("catalog-*.sqlite")
    return found


def _built_index(catalog_root, run_cli, usreg_home: Path) -> Path:
    catalog_root.dataset(minimal_dataset("d1"))
    result = run_cli("index", root=catalog_root.root)
    assert result.exit_code == 0, result.output
    path = _index_file(usreg_home)
    with sqlite3.connect(path) as conn:  # everything in the main file, as after a clean close
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_damaged_index_is_named_and_kept(catalog_root, run_cli, usreg_home: Path, damage: str) -> None:
    """A truncated or overwritten index file gave a traceback (sqlite3.DatabaseError) on every command."""
    path = _built_index(catalog_root, run_cli, usreg_home)
    if damage == "garbage":
        path.write_bytes(bytes(range(256)) * 16)
    else:
        path.write_bytes(path.read_bytes()[:5000])
    before = path.read_bytes()
    for command in (("list",), ("score",), ("show", "d1")):
        result = run_cli(*command, root=catalog_root.root)
        assert result.exit_code == 2, result.output
        assert f"the index {path} is damaged" in result.stderr and "move it aside" in result.stderr
        assert "Traceback" not in result.output
    assert path.read_bytes() == before  # the user's benchmark results may still be recoverable from it
    path.rename(path.with_name(path.name + ".damaged"))
    result = run_cli("list", root=catalog_root.root)
    assert result.exit_code == 0 and "d1" in result.stdout


def test_an_index_path_that_cannot_be_opened_is_a_usage_error(catalog_root, run_cli, usreg_home: Path) -> None:
    """A folder where the index file should be gave 'sqlite3.OperationalError: unable to open database file'."""
    path = _built_index(catalog_root, run_cli, usreg_home)
    for leftover in path.parent.iterdir():
        leftover.unlink()
    path.mkdir()
    result = run_cli("list", root=catalog_root.root)
    assert result.exit_code == 2, result.output
    assert f"cannot open the index {path}" in result.stderr and "check free space and permissions" in result.stderr


def test_a_full_disk_during_an_index_rebuild_is_a_clear_error(catalog_root, run_cli, usreg_home: Path) -> None:
    """A write refused by the disk in the middle of a rebuild (SQLite rolls back by itself) ended in a traceback of
    the second ROLLBACK ('cannot rollback - no transaction is active') that hid the cause."""
    path = _built_index(catalog_root, run_cli, usreg_home)
    for i in range(40):
        catalog_root.dataset(minimal_dataset(f"e{i}", description="words " * 400))
    limit = path.stat().st_size + 8192  # the disk is full a little after the index's current size
    code = (
        "import resource, signal, sys\n"
        f"resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit}))\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "from registry.cli import main\n"
        f"sys.argv = ['usreg', '--root', {str(catalog_root.root)!r}, 'index']\n"
        "main()\n"
    )
    env = dict(os.environ, USREG_HOME=str(usreg_home))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 2, done.stderr
    assert f"cannot write the index {path}" in done.stderr and "Traceback" not in done.stderr
    with sqlite3.connect(path) as conn:  # the old index is intact
        assert [r[0] for r in conn.execute("SELECT id FROM entry")] == ["d1"]
    result = run_cli("list", root=catalog_root.root)  # and with space again, the next run rebuilds it
    assert result.exit_code == 0 and "e39" in result.stdout


def test_an_index_from_a_newer_usreg_is_refused_untouched(catalog_root, run_cli, usreg_home: Path) -> None:
    """An index laid out by a newer usreg (here: a NOT NULL column in score) was altered in place (columns added),
    then `usreg list` showed every entry without a score, exit 0, and `usreg index --rebuild` gave an IntegrityError
    traceback."""
    path = _built_index(catalog_root, run_cli, usreg_home)
    with sqlite3.connect(path) as conn:
        conn.execute("ALTER TABLE score ADD COLUMN evidence_v2 BLOB NOT NULL DEFAULT x''")
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('index_schema', '2')")
        conn.execute("UPDATE meta SET value = 'changed' WHERE key = 'content_hash'")
        conn.commit()
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = path.read_bytes()
    for command in (("list",), ("score",), ("index", "--rebuild")):
        result = run_cli(*command, root=catalog_root.root)
        assert result.exit_code == 2, result.output
        assert "was made by a newer usreg (index layout 2; this usreg reads 1)" in result.stderr
        assert "upgrade usreg" in result.stderr
    assert path.read_bytes() == before


def test_a_new_index_records_its_layout(catalog_root, run_cli, usreg_home: Path) -> None:
    path = _built_index(catalog_root, run_cli, usreg_home)
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT value FROM meta WHERE key = 'index_schema'").fetchone() == ("1",)


def test_a_nearly_full_disk_names_the_space_usreg_keeps_free(
    catalog_root, run_cli, usreg_home: Path, tmp_path: Path, monkeypatch
) -> None:
    """On a small disk (a 400 KiB tmpfs) `usreg fetch --from-file` of 78 KB said 'they need 0.1 MiB, and 0.4 MiB are
    free' and refused: the 64 MiB it keeps free was not named, so the refusal read as a contradiction."""
    import shutil

    _manual(catalog_root, "m1")
    given = tmp_path / "given"
    given.mkdir()
    (given / "a.txt").write_bytes(b"a" * 1000)
    usreg_home.mkdir(parents=True, exist_ok=True)
    # as on a disk smaller than the reserve: the whole disk's size, so that space freed by other processes meanwhile
    # cannot make room (the free space measured here made the test fail when another process deleted files)
    size = shutil.disk_usage(usreg_home).total
    monkeypatch.setattr("registry.fetch.space.RESERVE_BYTES", size)
    result = run_cli("fetch", "m1", "--from-file", given, root=catalog_root.root)
    assert result.exit_code != 0, result.output
    assert "they need 0.0 MiB (1,000 bytes) and usreg keeps" in result.stderr and "free beside them" in result.stderr
    assert not (usreg_home / "downloads" / "m1").exists() or not any((usreg_home / "downloads" / "m1").rglob("a.txt"))


def test_a_full_disk_during_a_conversion_says_what_to_do(catalog_root, usreg_home: Path, tmp_path: Path) -> None:
    """A conversion the disk refused (a full 70 MiB tmpfs) printed only 'error: No space left on device': nothing
    said what to do."""
    import numpy as np
    from PIL import Image

    catalog_root.dataset(
        minimal_dataset("cf", tasks=["classification"], loader={"name": "class-folders", "options": {}})
    )
    source = tmp_path / "source"
    noise = np.random.default_rng(0)
    for label in ("benign", "malignant"):
        (source / label).mkdir(parents=True)
        for i in range(4):
            Image.fromarray(noise.integers(0, 255, (200, 200), dtype=np.uint8)).save(source / label / f"{i}.png")
    limit = 16 * 1024  # the disk is full after 16 KiB of a file
    code = (
        "import resource, signal, sys\n"
        f"resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit}))\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "from registry.cli import main\n"
        f"sys.argv = ['usreg', '--root', {str(catalog_root.root)!r}, 'convert', 'cf', '--source', {str(source)!r}, "
        "'--workers', '1', '--keep-going']\n"
        "main()\n"
    )
    env = dict(os.environ, USREG_HOME=str(usreg_home))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and "File too large" in done.stderr
    assert "hint: free some space on the disk of" in " ".join(done.stderr.split())
    assert not (usreg_home / "datasets" / "cf" / "latest").exists()  # nothing half-written was published
