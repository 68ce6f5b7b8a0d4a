"""Hardened extraction: one tree per dataset, no write into shared inodes, caps, deep trees, encrypted and
unsupported archives, nested archives, 7z and RAR, and ``--from-file`` under another name."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from registry.fetch.extract import Limits, extract
from tests.conftest import minimal_dataset
from tests.fixtures import archives


@pytest.fixture(autouse=True)
def _remove_deep_trees(tmp_path: Path, usreg_home: Path):
    """Deep trees are removed here, iteratively: pytest's own clean-up recurses and would fail on them."""
    from registry.fetch.fstree import rmtree

    yield
    for root in (usreg_home, tmp_path):
        for child in list(root.iterdir()):
            rmtree(child)


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


# -- 4. caps on members and inodes; deep trees ------------------------------------------------------------------
def test_member_cap_refuses_before_writing_and_can_be_raised(tmp_path: Path) -> None:
    from registry.fetch.errors import UnsafeArchive

    archive = tmp_path / "many.tar.xz"
    archive.write_bytes(archives.tar_many_members(300))
    target = tmp_path / "out"
    target.mkdir()
    with pytest.raises(UnsafeArchive) as caught:
        extract(archive, target, Limits(max_members=200))
    assert "more than 200 members" in str(caught.value) and "USREG_EXTRACT_MAX_MEMBERS" in caught.value.hint
    assert list(target.iterdir()) == []  # counted before anything was written
    assert len(extract(archive, target, Limits(max_members=301))) == 300


def test_inode_cap_counts_every_archive_of_the_dataset(tmp_path: Path) -> None:
    from registry.fetch.errors import UnsafeArchive
    from registry.fetch.sourcetree import build

    downloads = _folder(
        tmp_path / "dl",
        {
            "a.zip": archives.make_zip({f"a/{i}.txt": b"x" for i in range(60)}),
            "b.zip": archives.make_zip({f"b/{i}.txt": b"y" for i in range(60)}),
        },
    )
    files = {"a.zip": "0", "b.zip": "1"}
    target = tmp_path / "tree" / "v1"
    with pytest.raises(UnsafeArchive) as caught:
        build(downloads, files, target, tmp_path / "tree/.v1.state.json", Limits(max_members=100, max_inodes=100))
    assert "past 100 files, directories and links" in str(caught.value)
    assert "USREG_EXTRACT_MAX_INODES" in caught.value.hint
    assert list((tmp_path / "tree").iterdir()) == []
    build(downloads, files, target, tmp_path / "tree/.v1.state.json", Limits(max_members=100, max_inodes=200))
    assert len(list((target / "b").iterdir())) == 60


@pytest.mark.slow
def test_200000_inodes_from_a_small_tar_xz_are_refused(
    catalog_root, run_cli, usreg_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = archives.tar_many_members(200_000)
    assert len(data) < 400_000
    catalog_root.dataset(_manual("inodes"))
    given = _folder(tmp_path / "given", {"many.tar.xz": data})
    result = run_cli("fetch", "inodes", "--from-file", given, root=catalog_root.root)
    assert result.exit_code == 1, result.output
    assert "more than 100,000 members" in result.output and "USREG_EXTRACT_MAX_MEMBERS" in result.output
    assert not (usreg_home / "sources/inodes/latest").exists()


def _cache_commands(run_cli, entry_id: str) -> None:
    for args in (("cache", "list"), ("cache", "list", "--format", "json"), ("cache", "size", "--format", "json")):
        result = run_cli(*args)
        assert result.exit_code == 0, result.output
        assert "RecursionError" not in result.output
    listed = json.loads(run_cli("cache", "list", "--format", "json").stdout)
    assert [row["id"] for row in listed] == [entry_id]
    assert listed[0]["sources"] == len(b"top") + len(b"bottom")
    for what in ("partial", "all"):
        result = run_cli("cache", "clean", entry_id, "--what", what, "--yes")
        assert result.exit_code == 0, result.output


def test_1200_deep_tree_unpacks_and_the_cache_commands_handle_it(
    catalog_root, run_cli, usreg_home: Path, tmp_path: Path
) -> None:
    catalog_root.dataset(_manual("deep"))
    given = _folder(tmp_path / "given", {"deep.tar.gz": archives.tar_deep(1200)})
    result = run_cli("fetch", "deep", "--from-file", given, root=catalog_root.root)
    assert result.exit_code == 0, result.output
    tree = usreg_home / "sources/deep/latest"
    assert (tree / ("d/" * 1200 + "bottom.txt")).read_bytes() == b"bottom"
    _cache_commands(run_cli, "deep")
    assert not (usreg_home / "sources/deep").exists() and not (usreg_home / "downloads/deep").exists()


def test_2100_deep_path_is_a_clear_error(catalog_root, run_cli, usreg_home: Path, tmp_path: Path) -> None:
    catalog_root.dataset(_manual("deeper"))
    given = _folder(tmp_path / "given", {"deeper.tar.gz": archives.tar_deep(2100)})
    result = run_cli("fetch", "deeper", "--from-file", given, root=catalog_root.root)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert "2,101 levels deep" in result.output and "PATH_MAX" in result.output
    assert [p.name for p in (usreg_home / "sources/deeper").iterdir()] == []


def test_cache_commands_handle_a_tree_deeper_than_path_max(run_cli, usreg_home: Path) -> None:
    """A 2,100-deep tree (made by another tool) is listed, measured and removed: paths there exceed PATH_MAX."""
    from registry.fetch.fstree import open_dir

    top = usreg_home / "sources/hand/v1"
    top.mkdir(parents=True)
    (usreg_home / "downloads/hand/v1").mkdir(parents=True)
    (usreg_home / "downloads/hand/v1/x.part").write_bytes(b"partial")
    (top / "top.txt").write_bytes(b"top")
    fd = open_dir(top)
    try:
        for _ in range(2100):
            os.mkdir("d", dir_fd=fd)
            child = open_dir("d", dir_fd=fd)
            os.close(fd)
            fd = child
        with open(os.open("bottom.txt", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd), "wb") as out:
            out.write(b"bottom")
    finally:
        os.close(fd)
    size = json.loads(run_cli("cache", "size", "--format", "json").stdout)
    assert size["sources"] == len(b"top") + len(b"bottom")
    _cache_commands(run_cli, "hand")
    assert not (usreg_home / "sources/hand").exists()


# -- 5. encrypted and unsupported archives ------------------------------------------------------------------------
def test_encrypted_zip_is_a_clear_error(catalog_root, run_cli, usreg_home: Path, tmp_path: Path) -> None:
    catalog_root.dataset(_manual("locked"))
    given = _folder(tmp_path / "given", {"locked.zip": archives.zip_encrypted({"scan.png": b"png bytes"})})
    result = run_cli("fetch", "locked", "--from-file", given, root=catalog_root.root)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert "locked.zip is encrypted (member 'scan.png' needs a password)" in result.output
    assert "--from-file" in result.output and "password" in result.output
    assert [p.name for p in (usreg_home / "sources/locked").iterdir()] == []


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("images.zip.001", "one volume of a multi-volume archive"),
        ("images.z01", "one volume of a multi-volume archive"),
        ("scans.part1.rar", "one volume of a multi-volume RAR archive"),
        ("setup.cab", "an archive format usreg does not extract"),
    ],
)
def test_unsupported_archive_is_a_clear_error(
    catalog_root, run_cli, usreg_home: Path, tmp_path: Path, name: str, reason: str
) -> None:
    catalog_root.dataset(_manual("odd"))
    given = _folder(tmp_path / "given", {name: b"not unpacked", "labels.csv": b"id\n1\n"})
    result = run_cli("fetch", "odd", "--from-file", given, root=catalog_root.root)
    assert result.exit_code == 1, result.output
    assert f"{name} is {reason}" in result.output
    assert "7z x FILE" in result.output and "--from-file" in result.output
    assert not (usreg_home / "sources/odd/latest").exists()


# -- 7. 7z and RAR through libarchive, under the same rules --------------------------------------------------------
GOOD = {"train/a.png": b"\x89PNG a", "train/a.txt": b"label a", "README.txt": b"hello"}


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize(
    ("name", "build"),
    [
        ("data.7z", lambda files: archives.make_7z([(n, d, "file") for n, d in files.items()])),
        ("data.rar", archives.make_rar5),
        ("data.tar.zst", archives.make_tar_zst),
        ("mislabelled.zip", archives.make_rar5),  # a host serving a RAR under a .zip name: read by its magic
    ],
)
def test_7z_rar_and_zst_extract_exactly(tmp_path: Path, name: str, build) -> None:
    archive = tmp_path / name
    archive.write_bytes(build(GOOD))
    target = tmp_path / "out"
    target.mkdir()
    assert sorted(extract(archive, target)) == sorted(GOOD)
    assert _tree(target) == GOOD


@pytest.mark.parametrize(
    ("name", "data", "member", "reason"),
    [
        ("bad.rar", lambda: archives.make_rar5({"ok.txt": b"ok", "../evil.txt": b"x"}), "../evil.txt", "'..'"),
        ("bad.7z", lambda: archives.make_7z([("../evil.txt", b"x", "file")]), "../evil.txt", "'..'"),
        (
            "bad.7z",
            lambda: archives.make_7z([("ok.txt", b"ok", "file"), ("link", "../../outside", "sym")]),
            "link",
            "symbolic link pointing outside",
        ),
        (
            "chain.7z",
            lambda: archives.make_7z([("here", ".", "sym"), ("escape", "here/../outside", "sym")]),
            "escape",
            "resolves outside the target",
        ),
    ],
)
def test_hostile_7z_and_rar_are_refused(tmp_path: Path, name: str, data, member: str, reason: str) -> None:
    from registry.fetch.errors import UnsafeArchive

    archive = tmp_path / name
    archive.write_bytes(data())
    sandbox = tmp_path / "sandbox"
    target = sandbox / "deep" / "target"
    target.mkdir(parents=True)
    with pytest.raises(UnsafeArchive) as caught:
        extract(archive, target)
    assert reason in str(caught.value) and repr(member) in str(caught.value)
    assert sorted(p.name for p in (sandbox / "deep").iterdir()) == ["target"]
    assert not any(p.is_symlink() for p in target.rglob("*"))


def test_rar_download_is_unpacked_into_the_source_tree(catalog_root, run_cli, usreg_home: Path, tmp_path: Path) -> None:
    """TN-SCUI 2020 is distributed as a .rar: it must be unpacked, not left as a plain file."""
    catalog_root.dataset(_manual("rar-set"))
    files = {"TNSCUI2020_train/image/1.PNG": b"png 1", "TNSCUI2020_train/train.csv": b"ID,CATE\n1.PNG,0\n"}
    given = _folder(tmp_path / "given", {"tnscui2020_train.rar": archives.make_rar5(files)})
    result = run_cli("fetch", "rar-set", "--from-file", given, root=catalog_root.root)
    assert result.exit_code == 0, result.output
    assert _tree(usreg_home / "sources/rar-set/latest") == files


# -- 6. archives inside archives: the hosts' "download all" wrappers ----------------------------------------------
INNER = {"BUS-BRA/Images/bus_0001-l.png": b"png", "BUS-BRA/Masks/mask_0001-l.png": b"mask"}


@pytest.mark.parametrize(
    ("download", "build", "expected"),
    [
        (
            "11062968.zip",  # Zenodo "Download all" of a record
            lambda: archives.zenodo_download_all({"BUS-BRA.zip": archives.make_zip(INNER), "bus_data.csv": b"ID\n"}),
            {**INNER, "bus_data.csv": b"ID\n"},
        ),
        (
            "Thyroid US.zip",  # Mendeley Data "Download All"
            lambda: archives.mendeley_download_all("Thyroid US", {"images.zip": archives.make_zip({"1.jpg": b"j"})}),
            {"Thyroid US/1.jpg": b"j"},
        ),
        (
            "Scans-20240101T000000Z-001.zip",  # a Google Drive folder, zipped by Drive
            lambda: archives.gdrive_folder_zip("Scans", {"data.tar.gz": archives.make_tar({"a/1.png": b"1"})}),
            {"Scans/a/1.png": b"1"},
        ),
    ],
)
def test_nested_archives_are_unpacked(
    catalog_root, run_cli, usreg_home: Path, tmp_path: Path, download: str, build, expected: dict
) -> None:
    catalog_root.dataset(_manual("wrapped"))
    given = _folder(tmp_path / "given", {download: build()})
    result = run_cli("fetch", "wrapped", "--from-file", given, root=catalog_root.root)
    assert result.exit_code == 0, result.output
    assert _tree(usreg_home / "sources/wrapped/latest") == expected  # the inner archive itself is not kept


def test_nesting_depth_is_bounded_and_can_be_raised(
    catalog_root, run_cli, usreg_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalog_root.dataset(_manual("matryoshka"))
    given = _folder(tmp_path / "given", {"outer.zip": archives.zip_quine_chain(5)})
    result = run_cli("fetch", "matryoshka", "--from-file", given, root=catalog_root.root)
    assert result.exit_code == 1, result.output
    assert "nested 4 levels deep (limit 3)" in result.output and "USREG_EXTRACT_MAX_NESTING" in result.output
    monkeypatch.setenv("USREG_EXTRACT_MAX_NESTING", "4")
    result = run_cli("fetch", "matryoshka", "--from-file", given, root=catalog_root.root)
    assert result.exit_code == 0, result.output
    assert _tree(usreg_home / "sources/matryoshka/latest") == {"bottom.txt": b"bottom"}


def test_a_bomb_inside_a_wrapper_counts_against_the_download(tmp_path: Path) -> None:
    from registry.fetch.errors import UnsafeArchive
    from registry.fetch.sourcetree import build

    downloads = _folder(tmp_path / "dl", {"all.zip": archives.zenodo_download_all({"data.zip": archives.zip_bomb()})})
    target = tmp_path / "tree" / "v1"
    with pytest.raises(UnsafeArchive) as caught:
        build(downloads, {"all.zip": "0"}, target, tmp_path / "tree/.v1.state.json", Limits())
    assert "data.zip (inside all.zip)" in str(caught.value) and "decompression bomb" in str(caught.value)
    assert list((tmp_path / "tree").iterdir()) == []


def test_an_inner_archive_cannot_leave_its_folder_for_outside(tmp_path: Path) -> None:
    from registry.fetch.errors import UnsafeArchive
    from registry.fetch.sourcetree import build

    inner = archives.zip_dotdot()
    downloads = _folder(tmp_path / "dl", {"all.zip": archives.make_zip({"sub/inner.zip": inner})})
    with pytest.raises(UnsafeArchive) as caught:
        build(downloads, {"all.zip": "0"}, tmp_path / "tree/v1", tmp_path / "tree/.v1.state.json", Limits())
    assert "'..' component" in str(caught.value) and "inner.zip (inside all.zip)" in str(caught.value)
    assert not (tmp_path / "evil.txt").exists() and list((tmp_path / "tree").iterdir()) == []


# -- 3. host file names that collide with usreg's own ------------------------------------------------------------
@pytest.mark.parametrize(
    ("files", "name", "reason"),
    [
        ({"data.zip": b"PK real", "data.zip.part": b"host file"}, "data.zip.part", "suffix of usreg's partial"),
        ({"images.zip": b"zip", "usreg.lock.json": b"{}"}, "usreg.lock.json", "usreg's lock file"),
        ({"rejected/a.png": b"png"}, "rejected/a.png", "failed verification"),
        ({"a.png": b"png", "rejected": b"a file"}, "rejected", "failed verification"),
    ],
)
def test_host_names_colliding_with_usregs_own_are_refused(
    catalog_root, run_cli, server, usreg_home: Path, files: dict, name: str, reason: str
) -> None:
    server.add_zenodo_record(77, files)
    catalog_root.dataset(minimal_dataset("clash", sources=[{"kind": "zenodo", "id": "77"}]))
    result = run_cli("fetch", "clash", root=catalog_root.root)
    assert result.exit_code == 1, result.output
    assert f"gives a file named {name!r}" in result.output and reason in result.output
    assert not (usreg_home / "downloads/clash").exists() or not any((usreg_home / "downloads/clash").rglob("*.*"))
    assert not [r for r in server.requests() if "/content" in r.path]  # refused before any transfer


def test_from_file_names_colliding_with_usregs_own_are_refused(
    catalog_root, run_cli, usreg_home: Path, tmp_path: Path
) -> None:
    catalog_root.dataset(_manual("clash-local"))
    given = _folder(tmp_path / "given", {"scans.zip": b"zip", "scans.zip.part": b"unfinished browser download"})
    result = run_cli("fetch", "clash-local", "--from-file", given, root=catalog_root.root)
    assert result.exit_code == 1, result.output
    assert "--from-file gives a file named 'scans.zip.part'" in result.output
    assert not (usreg_home / "downloads/clash-local/latest/scans.zip").exists()


# -- 8. --from-file under another name ----------------------------------------------------------------------------
def _camus_like(catalog_root, server, data: bytes, extra_files: list[dict] | None = None) -> str:
    url = server.add_http_file("/database/api/v1/folder/63fde55f/download", data)
    files = [{"name": "CAMUS.zip", "sha256": hashlib.sha256(data).hexdigest(), "url": url}, *(extra_files or [])]
    catalog_root.dataset(minimal_dataset("camus-like", sources=[{"kind": "http", "url": url, "files": files}]))
    return "/database/api/v1/folder/63fde55f/download"


def test_from_file_under_another_name_is_used_for_the_declared_file(
    catalog_root, run_cli, server, usreg_home: Path, tmp_path: Path
) -> None:
    """The README's own example: ``usreg fetch camus --from-file ~/Downloads/CAMUS_public.zip``."""
    data = archives.make_zip({"database_nifti/patient0001/patient0001_2CH_ED.nii.gz": b"nifti"})
    path = _camus_like(catalog_root, server, data)
    given = _folder(tmp_path / "Downloads", {"CAMUS_public.zip": data})
    result = run_cli("fetch", "camus-like", "--from-file", given / "CAMUS_public.zip", root=catalog_root.root)
    assert result.exit_code == 0, result.output
    assert server.hits(path) == 0  # nothing downloaded: the given file is the declared one
    lock = json.loads((usreg_home / "downloads/camus-like/latest/usreg.lock.json").read_text())["files"]
    assert list(lock) == ["CAMUS.zip"] and lock["CAMUS.zip"]["trust"] == "entry"
    assert "CAMUS_public.zip is taken as CAMUS.zip" in result.output
    tree = usreg_home / "sources/camus-like/latest"
    assert _tree(tree) == {"database_nifti/patient0001/patient0001_2CH_ED.nii.gz": b"nifti"}


def test_from_file_under_another_name_must_still_verify(
    catalog_root, run_cli, server, usreg_home: Path, tmp_path: Path
) -> None:
    _camus_like(catalog_root, server, archives.make_zip({"a.txt": b"the real one"}))
    given = _folder(tmp_path / "Downloads", {"CAMUS_other.zip": archives.make_zip({"a.txt": b"something else"})})
    result = run_cli("fetch", "camus-like", "--from-file", given / "CAMUS_other.zip", root=catalog_root.root)
    assert result.exit_code == 1, result.output
    assert "checksum mismatch for CAMUS.zip" in result.output


def test_from_file_that_could_be_several_declared_files_is_a_clear_error(
    catalog_root, run_cli, server, usreg_home: Path, tmp_path: Path
) -> None:
    _camus_like(catalog_root, server, b"PK images", [{"name": "masks.zip"}])
    given = _folder(tmp_path / "Downloads", {"download (1).zip": b"PK something"})
    result = run_cli("fetch", "camus-like", "--from-file", given / "download (1).zip", root=catalog_root.root)
    assert result.exit_code == 2, result.output
    assert "could stand for several: CAMUS.zip, masks.zip" in result.output
    assert not (usreg_home / "downloads/camus-like/latest/CAMUS.zip").exists()


def test_dry_run_with_from_file_shows_the_declared_name(
    catalog_root, run_cli, server, usreg_home: Path, tmp_path: Path
) -> None:
    data = archives.make_zip({"a.txt": b"a"})
    _camus_like(catalog_root, server, data)
    given = _folder(tmp_path / "Downloads", {"CAMUS_public.zip": data})
    args = ("fetch", "camus-like", "--from-file", given / "CAMUS_public.zip", "--dry-run", "--format", "json")
    result = run_cli(*args, root=catalog_root.root)
    assert result.exit_code == 0, result.output
    final = [json.loads(line) for line in result.stdout.splitlines() if line.strip()][-1]
    assert [f["name"] for f in final["files"]] == ["CAMUS.zip"]
    assert not (usreg_home / "downloads/camus-like/latest/CAMUS.zip").exists()


def test_an_inner_archive_written_twice_is_unpacked_once(tmp_path: Path) -> None:
    from registry.fetch.sourcetree import build

    inner = archives.make_zip({"x.txt": b"x"})
    outer = archives._tar([("file", "inner.zip", inner), ("file", "inner.zip", inner)], "tar")
    downloads = _folder(tmp_path / "dl", {"outer.tar": outer})
    build(downloads, {"outer.tar": "0"}, tmp_path / "tree/v1", tmp_path / "tree/.v1.state.json", Limits())
    assert _tree(tmp_path / "tree/v1") == {"x.txt": b"x"}


def test_member_and_inode_caps_come_from_the_environment(
    catalog_root, run_cli, usreg_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalog_root.dataset(_manual("capped"))
    given = _folder(tmp_path / "given", {"many.tar.xz": archives.tar_many_members(300)})
    monkeypatch.setenv("USREG_EXTRACT_MAX_MEMBERS", "200")
    result = run_cli("fetch", "capped", "--from-file", given, root=catalog_root.root)
    assert result.exit_code == 1 and "more than 200 members" in result.output, result.output
    monkeypatch.setenv("USREG_EXTRACT_MAX_MEMBERS", "400")
    monkeypatch.setenv("USREG_EXTRACT_MAX_INODES", "250")
    result = run_cli("fetch", "capped", "--from-file", given, root=catalog_root.root)
    assert result.exit_code == 1 and "past 250 files, directories and links" in result.output, result.output
    monkeypatch.setenv("USREG_EXTRACT_MAX_INODES", "400")
    result = run_cli("fetch", "capped", "--from-file", given, root=catalog_root.root)
    assert result.exit_code == 0, result.output
    assert len(list((usreg_home / "sources/capped/latest/f").iterdir())) == 300


@pytest.mark.parametrize(("name", "build"), [("cut.rar", archives.make_rar5), ("cut.7z", None)])
def test_damaged_7z_and_rar_are_clear_errors(tmp_path: Path, name: str, build) -> None:
    from registry.fetch.errors import FetchError

    files = {"a.bin": os.urandom(5000), "b.bin": os.urandom(5000)}
    data = build(files) if build else archives.make_7z([(n, d, "file") for n, d in files.items()])
    archive = tmp_path / name
    archive.write_bytes(data[: len(data) // 2])
    target = tmp_path / "out"
    target.mkdir()
    with pytest.raises(FetchError) as caught:
        extract(archive, target)
    assert f"{name} is not a readable" in str(caught.value) and "fetch again" in caught.value.hint


def test_a_loop_of_links_is_refused_and_a_link_through_a_file_is_kept(tmp_path: Path) -> None:
    from registry.fetch.errors import UnsafeArchive

    loop = tmp_path / "loop.tar"
    loop.write_bytes(archives._tar([("file", "ok.txt", b"ok"), ("sym", "a", "b"), ("sym", "b", "a")], "tar"))
    target = tmp_path / "out"
    target.mkdir()
    with pytest.raises(UnsafeArchive) as caught:
        extract(loop, target)
    assert "loop of symbolic links" in str(caught.value)
    dangling = tmp_path / "dangling.tar"
    dangling.write_bytes(archives._tar([("file", "ok.txt", b"ok"), ("sym", "d", "ok.txt/x")], "tar"))
    clean = tmp_path / "clean"
    clean.mkdir()
    extract(dangling, clean)
    assert os.readlink(clean / "d") == "ok.txt/x"
