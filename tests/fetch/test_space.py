"""The free-space check before a download, against the real local server: a fetch that cannot fit stops before
the first byte, and what a kept ``.part`` or a cached copy already holds is not counted again."""

from __future__ import annotations

import os
from collections import namedtuple
from pathlib import Path

import pytest

from registry.fetch import FetchError, fetch_dataset
from registry.fetch.plan import RemoteFile
from registry.fetch.space import RESERVE_BYTES, bytes_to_fetch
from tests.fetch.conftest import dataset

Usage = namedtuple("Usage", "total used free")


def _free(monkeypatch, free: int) -> None:
    monkeypatch.setattr("registry.fetch.space.shutil.disk_usage", lambda path: Usage(free * 2, free, free))


def test_a_download_that_does_not_fit_stops_before_the_first_byte(server, usreg_home: Path, monkeypatch) -> None:
    data = os.urandom(200_000)
    path = server.add_zenodo_record(611, {"big.bin": data})["big.bin"]
    _free(monkeypatch, RESERVE_BYTES + 1_000)
    with pytest.raises(FetchError) as caught:
        fetch_dataset(dataset("full-disk", [{"kind": "zenodo", "id": "611"}]))
    assert "not enough disk space to download 1 file(s)" in caught.value.message
    assert "200,000 bytes" in caught.value.message and "USREG_HOME" in caught.value.hint
    assert server.requests(path) == []  # nothing was asked of the file's URL
    folder = usreg_home / "downloads/full-disk/latest"
    assert not (folder / "big.bin").exists() and not (folder / "big.bin.part").exists()


def test_a_download_that_fits_goes_ahead(server, usreg_home: Path, monkeypatch) -> None:
    data = os.urandom(50_000)
    server.add_zenodo_record(612, {"small.bin": data})
    _free(monkeypatch, RESERVE_BYTES + 60_000)
    fetch_dataset(dataset("fits", [{"kind": "zenodo", "id": "612"}]))
    assert (usreg_home / "downloads/fits/latest/small.bin").read_bytes() == data


def test_a_kept_part_and_a_cached_copy_are_not_counted_again(tmp_path: Path) -> None:
    (tmp_path / "a.bin.part").write_bytes(b"x" * 700)
    (tmp_path / "b.bin").write_bytes(b"y" * 300)
    files = [
        RemoteFile("a.bin", [], "zenodo", size=1_000),  # 300 left to fetch
        RemoteFile("b.bin", [], "zenodo", size=300),  # complete in the cache
        RemoteFile("c.bin", [], "zenodo", size=50),
        RemoteFile("d.bin", [], "zenodo", size=None),  # unknown size: not counted
    ]
    assert bytes_to_fetch(files, tmp_path) == 350


def test_the_check_reads_the_nearest_existing_folder(tmp_path: Path, monkeypatch) -> None:
    seen: list[Path] = []

    def usage(path):
        seen.append(Path(path))
        return Usage(10, 0, 10)

    monkeypatch.setattr("registry.fetch.space.shutil.disk_usage", usage)
    from registry.fetch.space import check_download_space

    with pytest.raises(FetchError):
        check_download_space([RemoteFile("a.bin", [], "zenodo", size=1)], tmp_path / "not" / "yet")
    assert seen == [tmp_path]
