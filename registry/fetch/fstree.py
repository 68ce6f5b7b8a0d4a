"""Walking and removing directory trees of any depth: no recursion, one directory descriptor at a time.

``os.walk``, ``Path.rglob`` and ``shutil.rmtree`` recurse once per directory level on Python 3.11, so a tree 1,200
levels deep (an archive can make one) raises ``RecursionError`` in them. Absolute paths of a tree 2,100 levels deep are
longer than ``PATH_MAX``, so nothing that opens full paths can reach its bottom either. The functions here move down
with ``openat(name)`` and back up with ``openat("..")``, checking that they came back to the same directory, so neither
the depth nor the length of a path is limited, and only one descriptor is open at any time.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

from .errors import FetchError

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def open_dir(name: str | Path, dir_fd: int | None = None) -> int:
    """A descriptor of the directory ``name`` (relative to ``dir_fd``); a symbolic link there is not followed."""
    return os.open(name, _DIR_FLAGS, dir_fd=dir_fd)


def _ident(st: os.stat_result) -> tuple[int, int]:
    return st.st_dev, st.st_ino


def _up(fd: int, expected: tuple[int, int], where: Path) -> int:
    """The parent of ``fd`` (``fd`` is closed); refuses if it is not the directory we came down from."""
    parent = open_dir("..", dir_fd=fd)
    os.close(fd)
    if _ident(os.fstat(parent)) != expected:
        os.close(parent)
        raise FetchError(
            f"{where} changed while usreg was reading it (a directory was moved)",
            hint="run the command again when nothing else is writing to the cache",
        )
    return parent


def iter_tree(root: Path) -> Iterator[tuple[str, os.stat_result]]:
    """Every entry below ``root`` as (path relative to ``root``, ``lstat`` result), depth first; links are not
    followed. Nothing is yielded when ``root`` is missing or is not a directory."""
    try:
        fd = open_dir(root)
    except OSError:
        return
    path: list[str] = []
    idents = [_ident(os.fstat(fd))]
    frames = [iter(sorted(os.listdir(fd)))]
    try:
        while frames:
            name = next(frames[-1], None)
            if name is None:
                frames.pop()
                idents.pop()
                if path:
                    fd = _up(fd, idents[-1], root)
                    path.pop()
                continue
            try:
                st = os.stat(name, dir_fd=fd, follow_symlinks=False)
            except FileNotFoundError:
                continue
            rel = "/".join([*path, name])
            yield rel, st
            if stat.S_ISDIR(st.st_mode):
                try:
                    child = open_dir(name, dir_fd=fd)
                except OSError:
                    continue
                os.close(fd)
                fd = child
                path.append(name)
                idents.append(_ident(st))
                frames.append(iter(sorted(os.listdir(fd))))
    finally:
        os.close(fd)


def tree_size(root: Path, seen: set[tuple[int, int]] | None = None) -> tuple[int, int, int]:
    """(apparent bytes, files, bytes of inodes not already in ``seen``) of every non-directory below ``root``."""
    total = files = unique = 0
    for _rel, st in iter_tree(root):
        if stat.S_ISDIR(st.st_mode):
            continue
        total += st.st_size
        files += 1
        if seen is not None and _ident(st) not in seen:
            seen.add(_ident(st))
            unique += st.st_size
    return total, files, unique


def rmtree(root: Path) -> None:
    """Remove ``root`` and everything below it. A link or file at ``root`` is unlinked, never followed."""
    root = Path(root)
    try:
        st = os.lstat(root)
    except FileNotFoundError:
        return
    if not stat.S_ISDIR(st.st_mode):
        os.unlink(root)
        return
    parent_fd = open_dir(root.parent)
    try:
        fd = open_dir(root.name, dir_fd=parent_fd)
        path: list[str] = []
        idents = [_ident(os.fstat(fd))]
        frames = [iter(os.listdir(fd))]
        try:
            while frames:
                name = next(frames[-1], None)
                if name is None:
                    frames.pop()
                    idents.pop()
                    if path:
                        fd = _up(fd, idents[-1], root)
                        os.rmdir(path.pop(), dir_fd=fd)
                    continue
                try:
                    child_st = os.stat(name, dir_fd=fd, follow_symlinks=False)
                except FileNotFoundError:
                    continue
                if not stat.S_ISDIR(child_st.st_mode):
                    os.unlink(name, dir_fd=fd)
                    continue
                child = open_dir(name, dir_fd=fd)
                os.close(fd)
                fd = child
                path.append(name)
                idents.append(_ident(child_st))
                frames.append(iter(os.listdir(fd)))
        finally:
            os.close(fd)
        os.rmdir(root.name, dir_fd=parent_fd)
    finally:
        os.close(parent_fd)
