"""Hostile input, round 6: the local state (the cache, the SQLite index, the score store) through the CLI, with a
fresh USREG_HOME per test."""

from __future__ import annotations

from pathlib import Path

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
