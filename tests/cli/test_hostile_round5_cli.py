"""Hostile input, round 5, through the CLI: what a user types, with a fresh USREG_HOME per test."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.conftest import minimal_dataset
from tests.fixtures import archives


def _manual(catalog_root, entry_id: str) -> None:
    catalog_root.dataset(minimal_dataset(entry_id, sources=[{"kind": "manual", "url": "https://example.org/"}]))


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _given(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "a.txt").write_bytes(b"a")
    (folder / "b.zip").write_bytes(archives.make_zip({"x/1.txt": b"one"}))
    return folder


# -- --dest and --from-file must not overlap ------------------------------------------------------------------------
def test_dest_inside_the_from_file_folder_is_refused(catalog_root, run_cli, usreg_home: Path, tmp_path: Path) -> None:
    """The tree went into the user's folder, and the next run ingested it as the user's files (m1/m1/x/1.txt, one
    level deeper each run)."""
    _manual(catalog_root, "m1")
    given = _given(tmp_path / "data")
    before = _snapshot(given)
    for _ in range(2):
        result = run_cli("fetch", "m1", "--from-file", given, "--dest", given, root=catalog_root.root)
        assert result.exit_code != 0, result.output
        assert (
            "inside" in result.stderr and "--from-file" in result.stderr and "choose a --dest outside" in result.stderr
        )
    assert _snapshot(given) == before and sorted(p.name for p in given.iterdir()) == ["a.txt", "b.zip"]
    assert not (usreg_home / "downloads/m1").exists()


def test_from_file_folder_inside_the_dest_tree_is_kept(catalog_root, run_cli, usreg_home: Path, tmp_path: Path) -> None:
    """A folder given with --from-file inside a tree usreg built before was deleted when the tree was rebuilt."""
    _manual(catalog_root, "m1")
    out = tmp_path / "out"
    first = run_cli("fetch", "m1", "--from-file", _given(tmp_path / "data"), "--dest", out, root=catalog_root.root)
    assert first.exit_code == 0, first.output
    raw = _given(out / "m1" / "raw")  # the user keeps new files in the tree usreg made, and gives them
    (raw / "c.txt").write_bytes(b"c")
    before = _snapshot(raw)
    result = run_cli("fetch", "m1", "--from-file", raw, "--dest", out, root=catalog_root.root)
    assert result.exit_code != 0, result.output
    assert "which holds" in result.stderr
    assert _snapshot(raw) == before


# -- entries: control characters and bidi overrides never reach the terminal ------------------------------------------
@pytest.mark.parametrize(
    ("field", "yaml_value", "code"),
    [
        ("name", '"Clear \\e[2J\\e]0;pwned\\a screen"', "U+001B"),  # ANSI: clear screen, set the window title
        ("name", '"Fine \\u202e eman"', "U+202E"),  # escaped right-to-left override
        ("notes", "text with a raw \u2067 isolate", "U+2067"),  # raw right-to-left isolate in a plain scalar
        ("name", '"C1 \\x9b31m control"', "U+009B"),  # the one-byte CSI
    ],
)
def test_hidden_characters_in_entry_text_are_refused(catalog_root, run_cli, field, yaml_value, code) -> None:
    """An entry name with terminal escapes validated, and `usreg show`/`usreg list` printed it raw."""
    fields = {"id": "ctl", "name": "Control", "anatomy": "[breast]", "tasks": "[segmentation]", "notes": "plain"}
    fields[field] = yaml_value
    text = "# yaml-language-server: $schema=../../schemas/dataset.schema.json\n" + "".join(
        f"{key}: {value}\n" for key, value in fields.items()
    )
    line = list(fields).index(field) + 2
    catalog_root.raw("datasets", "ctl", text)
    result = run_cli("validate", root=catalog_root.root)
    assert result.exit_code == 1, result.output
    assert (
        f"ctl.yaml:{line}:" in result.output
        and f"{field} holds the invisible control character {code}" in result.output
    )
    for command in (("show", "ctl"), ("list",)):
        shown = run_cli(*command, root=catalog_root.root)
        assert "\x1b" not in shown.output and "\u202e" not in shown.output and "\u2067" not in shown.output
        assert "\x9b" not in shown.output


# -- --from-file folders: what is not a plain file is named, never copied forever, never silently left out -----------
def test_from_file_fifo_and_device_are_refused_before_any_copy(tmp_path: Path) -> None:
    """A FIFO in the folder made the fetch wait forever (opening it for the copy); a link to /dev/zero copied without
    end (20 GB in 20 s)."""
    from registry.errors import UsageError
    from registry.fetch.ingest import expand

    for name, make, kind in (
        ("pipe.txt", lambda p: os.mkfifo(p), "is a FIFO"),
        ("zero.bin", lambda p: p.symlink_to("/dev/zero"), "is a device"),
    ):
        folder = tmp_path / name.split(".")[0]
        folder.mkdir()
        (folder / "a.txt").write_bytes(b"a")
        make(folder / name)
        with pytest.raises(UsageError) as caught:
            expand([folder])
        assert f"{folder / name} {kind}, not a file" in caught.value.message


def test_from_file_link_to_a_folder_elsewhere_is_named_not_skipped(
    catalog_root, run_cli, usreg_home: Path, tmp_path: Path
) -> None:
    """A folder linked into the given folder (images -> /mnt/big/images) was silently left out of the fetch."""
    _manual(catalog_root, "m1")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "1.png").write_bytes(b"png")
    given = _given(tmp_path / "data")
    (given / "images").symlink_to(elsewhere)
    (given / "same").symlink_to(".")  # a link back into the folder: its files are taken where they are
    result = run_cli("fetch", "m1", "--from-file", given, root=catalog_root.root)
    assert result.exit_code == 2, result.output
    assert f"{given / 'images'} is a link to the folder {elsewhere}, outside {given}" in result.stderr
    assert not (usreg_home / "downloads/m1").exists()
    (given / "images").unlink()
    (given / "broken.txt").symlink_to(tmp_path / "gone.txt")
    result = run_cli("fetch", "m1", "--from-file", given, root=catalog_root.root)
    assert result.exit_code == 2, result.output  # was: 'cannot write the fetched data ... check free space'
    assert f"{given / 'broken.txt'} is a link to {tmp_path / 'gone.txt'}, which does not exist" in result.stderr
    (given / "broken.txt").unlink()
    linked = tmp_path / "linked"
    linked.symlink_to(given)  # the given path itself may be a link to the folder
    result = run_cli("fetch", "m1", "--from-file", linked, root=catalog_root.root)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (usreg_home / "sources/m1/latest").iterdir()) == ["a.txt", "x"]


def test_from_file_folder_deeper_than_the_stack(tmp_path: Path) -> None:
    """os.walk and Path.mkdir(parents=True) recurse once per level: a folder 1,100 levels deep gave a RecursionError
    traceback. Here the stack is held to 60 frames more than the test uses, and the folder is 150 levels deep (a
    1,100-level tree takes 10 s to remove on a slow disk)."""
    from registry.fetch.ingest import expand, place

    given = tmp_path / "deep"
    given.mkdir()
    fd = os.open(given, os.O_RDONLY)
    for _ in range(150):
        os.mkdir("d", dir_fd=fd)
        child = os.open("d", os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = child
    leaf = os.open("x.txt", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
    os.write(leaf, b"x")
    os.close(leaf)
    os.close(fd)
    frames, frame = 0, sys._getframe()
    while frame is not None:
        frames, frame = frames + 1, frame.f_back
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(frames + 60)
    try:
        ((source, name),) = expand([given])
        place(source, tmp_path / "cache" / f"{name}.part")
    finally:
        sys.setrecursionlimit(limit)
    assert name == "d/" * 150 + "x.txt"
    assert (tmp_path / "cache" / f"{name}.part").read_bytes() == b"x"


def test_an_id_with_path_characters_is_never_offered_as_a_file_name(catalog_root, run_cli) -> None:
    """The id/file-name mismatch hint said 'rename the file to ../../etc/passwd.yaml'."""
    catalog_root.raw(
        "datasets",
        "pathid",
        "# yaml-language-server: $schema=../../schemas/dataset.schema.json\n"
        "id: ../../etc/passwd\nname: X\nanatomy: [breast]\ntasks: [segmentation]\n",
    )
    result = run_cli("validate", root=catalog_root.root)
    assert result.exit_code == 1, result.output
    assert "id '../../etc/passwd' differs from the file name 'pathid.yaml'" in result.output
    assert "hint: set id: pathid" in result.output and "rename the file to ../" not in result.output


def test_from_file_larger_than_the_free_space_is_refused_before_copying(
    catalog_root, run_cli, usreg_home: Path, tmp_path: Path, monkeypatch
) -> None:
    """Downloads had a free-space check, --from-file copies none: a folder given by mistake (a home directory)
    was copied until the disk was full. The reserve is set above any disk's free space here."""
    monkeypatch.setattr("registry.fetch.space.RESERVE_BYTES", 1 << 62)
    _manual(catalog_root, "m1")
    result = run_cli("fetch", "m1", "--from-file", _given(tmp_path / "data"), root=catalog_root.root)
    assert result.exit_code != 0, result.output
    assert "not enough disk space to copy 2 given file(s)" in result.stderr
    assert "check the paths given with --from-file" in result.stderr
    downloads = usreg_home / "downloads/m1/latest"
    assert not downloads.exists() or not [
        p for p in downloads.rglob("*") if p.is_file() and p.name != "usreg.lock.json"
    ]


def test_dest_inside_the_cache_is_refused(catalog_root, run_cli, usreg_home: Path, tmp_path: Path) -> None:
    """--dest inside USREG_HOME put the tree among the cache's own files (downloads/m1/latest/m1), where
    `usreg cache clean` deletes it."""
    _manual(catalog_root, "m1")
    given = _given(tmp_path / "data")
    for dest in (usreg_home / "downloads", usreg_home / "sources/m1", usreg_home):
        result = run_cli("fetch", "m1", "--from-file", given, "--dest", dest, root=catalog_root.root)
        assert result.exit_code == 2, result.output
        assert f"the usreg cache {usreg_home}" in result.stderr and "choose a --dest outside the cache" in result.stderr
    assert not (usreg_home / "downloads").exists() and not (usreg_home / "sources").exists()
