"""Hardened extraction: one tree per dataset, no write into shared inodes, caps, deep trees, encrypted and
unsupported archives, nested archives, 7z and RAR, and ``--from-file`` under another name."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from registry.fetch.extract import extract
from tests.conftest import minimal_dataset
from tests.fixtures import archives


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _manual(entry_id: str, **fields) -> dict:
    return minimal_dataset(entry_id, sources=[{"kind": "manual", "url": "https://example.org/"}], **fields)


def _folder(base: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        (base / name).parent.mkdir(parents=True, exist_ok=True)
        (base / name).write_bytes(data)
    return base


# -- 1. paths are resolved against the final tree, across all archives of a dataset ---------------------------
def test_links_across_archives_cannot_open_a_way_out(catalog_root, run_cli, usreg_home: Path, tmp_path: Path) -> None:
    catalog_root.dataset(_manual("cross"))
    given = _folder(tmp_path / "given", archives.cross_archive_escape())
    outside = usreg_home / "sources/cross/evil.txt"  # where p/evil.txt lands if p is followed on disk
    outside.parent.mkdir(parents=True)
    outside.write_bytes(b"the user's own file")
    result = run_cli("fetch", "cross", "--from-file", given, root=catalog_root.root)
    assert result.exit_code == 1, result.output
    assert "outside the target" in result.output
    assert outside.read_bytes() == b"the user's own file"  # not replaced
    assert sorted(p.name for p in outside.parent.iterdir()) == ["evil.txt"]  # no tree, no temporary tree
    assert not (usreg_home / "evil.txt").exists() and not (usreg_home / "sources/evil.txt").exists()


def test_a_later_archive_writing_through_an_earlier_link_is_refused(tmp_path: Path) -> None:
    from registry.fetch.errors import UnsafeArchive
    from registry.fetch.extract import Tree

    files = archives.cross_archive_escape()
    downloads = _folder(tmp_path / "dl", {"a1.tar.gz": files["a1.tar.gz"], "a2.tar.gz": files["a2.tar.gz"]})
    (downloads / "a3.zip").write_bytes(archives.make_zip({"p/evil.txt": b"escaped"}))
    target = tmp_path / "sandbox" / "target"
    target.mkdir(parents=True)
    with Tree(target) as tree, pytest.raises(UnsafeArchive) as caught:
        for name in ("a1.tar.gz", "a2.tar.gz", "a3.zip"):
            tree.unpack(downloads / name)
        tree.finish()
    assert "'p/evil.txt'" in str(caught.value) and "outside the target through a link" in str(caught.value)
    assert sorted(p.name for p in (tmp_path / "sandbox").iterdir()) == ["target"]
    assert not any(p.is_symlink() for p in target.rglob("*"))  # links are only made once everything checked out


# -- 2. never write into a file that has other hard links -----------------------------------------------------
def test_readme_loose_and_in_zip_leaves_users_file_and_cache_intact(
    catalog_root, run_cli, usreg_home: Path, tmp_path: Path
) -> None:
    catalog_root.dataset(_manual("twice"))
    given = _folder(
        tmp_path / "given",
        {"README.txt": b"loose readme", "data.zip": archives.make_zip({"README.txt": b"zipped readme", "a.txt": b"a"})},
    )
    original = hashlib.sha256(b"loose readme").hexdigest()
    result = run_cli("fetch", "twice", "--from-file", given, root=catalog_root.root)
    assert result.exit_code == 0, result.output
    assert (given / "README.txt").read_bytes() == b"loose readme"
    cached = usreg_home / "downloads/twice/latest/README.txt"
    assert cached.read_bytes() == b"loose readme"
    lock = json.loads((usreg_home / "downloads/twice/latest/usreg.lock.json").read_text())["files"]
    assert lock["README.txt"]["sha256"] == original == _sha256(cached)
    assert os.stat(given / "README.txt").st_ino != os.stat(cached).st_ino  # the user's file is copied, not linked
    tree = usreg_home / "sources/twice/latest"
    assert (tree / "README.txt").read_bytes() == b"zipped readme" and (tree / "a.txt").read_bytes() == b"a"


def test_members_are_renamed_into_place_not_written_into(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    (target / "a.txt").write_bytes(b"old")
    elsewhere = tmp_path / "other-link.txt"
    os.link(target / "a.txt", elsewhere)
    archive = tmp_path / "new.tar"
    archive.write_bytes(archives.make_tar({"a.txt": b"new"}, "tar"))
    extract(archive, target)
    assert (target / "a.txt").read_bytes() == b"new"
    assert elsewhere.read_bytes() == b"old"
    assert [p.name for p in target.iterdir()] == ["a.txt"]  # no temporary file left
