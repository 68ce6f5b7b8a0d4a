"""Safe extraction: good archives of every format unpack exactly; every hostile archive is refused, by name."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from registry.fetch import FetchError, UnsafeArchive, fetch_dataset
from registry.fetch.extract import Limits, archive_kind, extract
from tests.fetch.conftest import dataset
from tests.fixtures import archives

FILES = {"train/a.png": b"\x89PNG fake a", "train/a.xml": b"<annotation/>", "README.txt": b"hello"}


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("fmt", ["zip", "tar", "tar.gz", "tar.bz2", "tar.xz"])
def test_good_archives_extract_exactly(tmp_path: Path, fmt: str) -> None:
    archive = tmp_path / f"data.{fmt}"
    archive.write_bytes(archives.make_archive(FILES, fmt))
    target = tmp_path / "out"
    target.mkdir()
    written = extract(archive, target)
    assert _tree(target) == FILES
    assert sorted(written) == sorted(FILES)


def test_internal_links_are_kept(tmp_path: Path) -> None:
    archive = tmp_path / "links.tar.gz"
    archive.write_bytes(archives.tar_with_links())
    target = tmp_path / "out"
    target.mkdir()
    extract(archive, target)
    assert (target / "data/link-to-a").is_symlink()
    assert (target / "data/link-to-a").read_bytes() == b"alpha"
    assert (target / "data/hard-a").read_bytes() == b"alpha"
    assert os.readlink(target / "data/link-to-a") == "a.txt"


def test_archive_kind_by_name() -> None:
    assert archive_kind("X.ZIP") == "zip"
    assert archive_kind("a.tar.gz") == archive_kind("a.tgz") == archive_kind("a.tar.xz") == "tar"
    assert archive_kind("544 .png") is None


@pytest.mark.parametrize("case", sorted(archives.HOSTILE))
def test_hostile_archive_is_refused_and_nothing_escapes(tmp_path: Path, case: str) -> None:
    file_name, builder, member, reason = archives.HOSTILE[case]
    sandbox = tmp_path / "sandbox"
    target = sandbox / "deep" / "target"
    target.mkdir(parents=True)
    archive = tmp_path / file_name
    archive.write_bytes(builder())
    before = {p for p in tmp_path.rglob("*")}
    with pytest.raises(UnsafeArchive) as caught:
        extract(archive, target)
    message = str(caught.value)
    assert reason in message, message
    assert repr(member) in message, message
    assert "nothing was extracted" in message
    # nothing outside the target, and no escaped file anywhere we can see
    after = {p for p in tmp_path.rglob("*")}
    assert {p for p in after - before if target not in p.parents} == set()
    for escaped in ("evil.txt", "outside", "outside.txt"):
        assert not (sandbox / "deep" / escaped).exists()
        assert not (sandbox / escaped).exists()
    assert not Path("/tmp/usreg-evil-abs.txt").exists()
    assert not Path("/tmp/usreg-evil.txt").exists()


def test_total_size_limit(tmp_path: Path) -> None:
    archive = tmp_path / "big.zip"
    archive.write_bytes(archives.make_zip({"a.bin": os.urandom(4000), "b.bin": os.urandom(4000)}))
    target = tmp_path / "out"
    target.mkdir()
    with pytest.raises(UnsafeArchive) as caught:
        extract(archive, target, Limits(max_bytes=6000, max_ratio=1000))
    assert "past the limit of 6,000 bytes" in str(caught.value)
    assert "'b.bin'" in str(caught.value)
    assert _tree(target) == {}  # zip limits are checked before a byte is written


def test_lying_zip_header_is_an_error(tmp_path: Path) -> None:
    archive = tmp_path / "liar.zip"
    archive.write_bytes(archives.zip_lying_size())
    target = tmp_path / "out"
    target.mkdir()
    with pytest.raises(FetchError) as caught:
        extract(archive, target)
    assert "liar.zip is not a readable zip archive" in str(caught.value)


def test_truncated_archive_is_a_clear_error(tmp_path: Path) -> None:
    data = archives.make_tar({"a.bin": os.urandom(200_000)}, "tar.gz")
    archive = tmp_path / "cut.tar.gz"
    archive.write_bytes(data[: len(data) // 2])
    target = tmp_path / "out"
    target.mkdir()
    with pytest.raises(FetchError) as caught:
        extract(archive, target)
    assert "cut.tar.gz is not a readable tar archive" in str(caught.value)
    assert "fetch again" in caught.value.hint


@pytest.mark.parametrize("case", ["zip-dotdot", "tar-symlink-chain", "tar-gz-bomb"])
def test_hostile_download_leaves_no_source_tree(server, usreg_home: Path, case: str) -> None:
    """End to end: the download verifies, the extraction is refused, and no tree (or temp dir) is left."""
    file_name, builder, member, reason = archives.HOSTILE[case]
    url = server.add_http_file(f"/files/{file_name}", builder())
    entry = dataset("hostile", [{"kind": "http", "url": url}])
    with pytest.raises(UnsafeArchive) as caught:
        fetch_dataset(entry)
    assert reason in str(caught.value) and repr(member) in str(caught.value)
    assert (usreg_home / "downloads/hostile/latest" / file_name).is_file()  # the download itself is kept
    sources = usreg_home / "sources/hostile"
    assert not (sources / "latest").exists()
    assert [p.name for p in sources.iterdir()] == []  # no temporary tree left behind
