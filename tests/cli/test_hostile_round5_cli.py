"""Hostile input, round 5, through the CLI: what a user types, with a fresh USREG_HOME per test."""

from __future__ import annotations

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
