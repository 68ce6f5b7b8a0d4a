"""``--from-file``: take files a person downloaded by hand into the cache, verified like a download."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

from ..errors import UsageError
from ..paths import not_a_file
from .fstree import iter_tree
from .names import check_reserved
from .plan import safe_relpath


def expand(paths: list[Path]) -> list[tuple[Path, str]]:
    """(file on disk, name in the cache) for every given file, and every file under every given directory.

    Folders are walked one directory descriptor at a time (any depth), without following links. A link to a file is
    taken (its bytes are copied); a link to a folder inside the given folder is skipped (its files are taken where
    they are). Anything else that is not a plain file is a usage error naming it, before any byte is copied: a link to
    a folder elsewhere (its files would be left out, and following it could walk the whole disk), a link to nothing,
    a FIFO (reading it waits forever), a device (``/dev/zero`` never ends) or a socket."""
    out: list[tuple[Path, str]] = []
    for given in paths:
        path = Path(given).expanduser()
        if path.is_dir():
            root = os.path.realpath(path)
            hidden: set[str] = set()  # folders left out, with everything below them
            for rel, st in iter_tree(Path(root)):  # the given path may itself be a link to the folder
                parent, _, name = rel.rpartition("/")
                if name.startswith(".") or parent in hidden:  # .DS_Store, .git and the like; ``.part`` is refused below
                    if stat.S_ISDIR(st.st_mode):
                        hidden.add(rel)
                    continue
                if stat.S_ISDIR(st.st_mode):
                    continue
                full = path / rel
                if stat.S_ISLNK(st.st_mode):
                    target = os.path.realpath(full)
                    if os.path.isdir(target):
                        if target == root or target.startswith(root + os.sep):
                            continue
                        raise _not_taken(full, f"is a link to the folder {target}, outside {given}")
                    if not os.path.exists(target):
                        raise _not_taken(full, f"is a link to {os.readlink(full)}, which does not exist")
                _check_plain(full)
                out.append((full, safe_relpath(rel)))
        elif path.exists() and not path.is_dir():
            _check_plain(path)
            out.append((path, safe_relpath(path.name)))
        else:
            raise UsageError(
                f"--from-file {given}: no such file or directory",
                hint="give the path of a file you downloaded, or of a folder holding them",
            )
    if not out:
        raise UsageError("--from-file: the given paths hold no files", hint="check the paths")
    names = [name for _, name in out]
    check_reserved(names, "--from-file")
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise UsageError(
            f"--from-file: several given files would be stored as {dupes[0]!r}",
            hint="give each file once, or give their common folder instead",
        )
    return out


def _check_plain(path: Path) -> None:
    """Raise ``UsageError`` unless ``path`` (links followed) is a regular file."""
    if stat.S_ISREG(os.stat(path).st_mode):
        return
    problem = not_a_file(path)
    raise _not_taken(path, f"{problem} (reading it would never end or never start)")


def _not_taken(path: Path, problem: str) -> UsageError:
    return UsageError(
        f"--from-file: {path} {problem}; nothing was copied",
        hint="give the files and folders themselves (a folder elsewhere as another --from-file PATH), or remove it",
    )


def check_apart(given: list[Path], target: Path) -> None:
    """Refuse a source tree ``target`` (``--dest``) that overlaps a path given with ``--from-file``: a tree inside a
    given folder would be taken for the user's files by the next run (and copied in again, one level deeper each
    time), and a given folder inside the tree would be deleted when usreg replaces the tree."""
    tree = Path(os.path.realpath(Path(target).expanduser()))
    for path in given:
        real = Path(os.path.realpath(Path(path).expanduser()))
        if real == tree or real in tree.parents:
            problem = f"would put the source tree {target} inside {path}, given with --from-file"
            why = "the next run would take usreg's output there for your own files"
        elif tree in real.parents:
            problem = f"would replace {target}, which holds {path}, given with --from-file"
            why = "usreg replaces the whole tree when it rebuilds it"
        else:
            continue
        raise UsageError(
            f"--dest {problem}; {why}",
            hint="choose a --dest outside the files and folders given with --from-file; nothing was changed",
        )


def check_outside_cache(target: Path, home: Path, option: str = "--dest", what: str = "the source tree") -> None:
    """Refuse a source tree ``target`` (``--dest``; or what another ``option`` writes, such as ``export -o``) inside
    the usreg cache ``home`` (``usreg cache clean`` would delete it with the cache's own files, which it mixes with,
    or it would overwrite one of them) or holding the cache (a rebuild would replace it)."""
    tree = Path(os.path.realpath(Path(target).expanduser()))
    cache = Path(os.path.realpath(home))
    if tree == cache or cache in tree.parents or tree in cache.parents:
        where = "inside" if cache in tree.parents else "over"
        raise UsageError(
            f"{option} would put {what} {target} {where} the usreg cache {home}, whose folders usreg replaces "
            "and `usreg cache clean` deletes",
            hint=f"choose a {option} outside the cache (USREG_HOME)"
            + ("; without --dest the tree stays in the cache" if option == "--dest" else ""),
        )


def _family(name: str) -> str:
    """What kind of file a name says it is: the archive kind ('zip', 'tar', ...) or the last suffix."""
    from .extract import archive_kind

    base = name.rsplit("/", 1)[-1].lower()
    return archive_kind(base) or (base.rsplit(".", 1)[-1] if "." in base else "")


def _stem(name: str) -> str:
    base = name.rsplit("/", 1)[-1].lower()
    for suffix in (".tar.gz", ".tar.bz2", ".tar.xz", ".tar.zst"):
        if base.endswith(suffix):
            return base[: -len(suffix)]
    return base.rsplit(".", 1)[0]


def _own_name(name: str, names: set[str]) -> bool:
    """Whether a given file is a declared file under its own name: as declared, or, when it is not an archive, under
    its declared name in a subfolder of the given folder, where it keeps its place beside the folders that go with it
    (a label table next to its ``Images/``); moved to the top, it would be parted from them."""
    from .extract import archive_kind

    base = name.rsplit("/", 1)[-1]
    return name in names or (base in names and not archive_kind(base))


def match_declared(given: list[tuple[Path, str]], declared: list, note=None) -> list[tuple[Path, str]]:
    """Store each given file under the entry's declared name it stands for.

    A given file whose name is not declared (``CAMUS_public.zip`` when the entry lists ``CAMUS.zip``) takes the name
    of the declared file it matches: among the declared files not given under their own name (a file that is not an
    archive keeps its place in the given folder under its declared name), those of the same kind
    (zip, tar, 7z, rar, or the same suffix); if several remain, the one whose name contains the other's, then the one
    with the file's size. The declared checksums then verify it. A file of a kind no declared file has keeps its
    name; a file that could be several declared files is a usage error listing them.
    """
    names = {f.name for f in declared} | {f.name.rsplit("/", 1)[-1] for f in declared}
    taken = {n for _, name in given if _own_name(name, names) for n in (name, name.rsplit("/", 1)[-1])}
    open_files = [f for f in declared if f.name not in taken and f.name.rsplit("/", 1)[-1] not in taken]
    out: list[tuple[Path, str]] = []
    claimed: dict[str, Path] = {}
    for src, name in given:
        if _own_name(name, names) or not open_files:
            out.append((src, name))
            continue
        candidates = [f for f in open_files if _family(f.name) == _family(name)]
        if len(candidates) > 1:
            narrowed = [f for f in candidates if _stem(f.name) in _stem(name) or _stem(name) in _stem(f.name)]
            candidates = narrowed or candidates
        if len(candidates) > 1:
            size = src.stat().st_size
            candidates = [f for f in candidates if f.size == size] or candidates
        if not candidates:
            out.append((src, name))
            continue
        if len(candidates) > 1 or candidates[0].name in claimed:
            listed = ", ".join(sorted(f.name for f in open_files))
            raise UsageError(
                f"--from-file: {src.name} does not name one of the entry's files, and it could stand for several: "
                f"{listed}",
                hint="rename the file to the declared name it is, then give it again",
            )
        target = candidates[0].name
        claimed[target] = src
        if note:
            note(f"{src.name} is taken as {target}, the file the entry declares (its checksum verifies it)")
        out.append((src, target))
    return out


def place(source: Path, part: Path) -> None:
    """Copy ``source`` to ``part``. Never a hard link: the cache must not share an inode with a file the user owns
    (the user may change it, and the cached copy must stay the verified bytes). A copy-on-write clone is used where
    the file system offers one, else an ordinary copy (``copy_file_range``/``sendfile`` in the kernel)."""
    missing = []  # made one level at a time: ``mkdir(parents=True)`` recurses once per level (a 1,100-deep folder)
    parent = part.parent
    while not parent.is_dir():
        missing.append(parent)
        parent = parent.parent
    for folder in reversed(missing):
        folder.mkdir(exist_ok=True)
    part.unlink(missing_ok=True)
    if not _clone(source, part):
        shutil.copyfile(source, part)


def _clone(source: Path, part: Path) -> bool:
    """A reflink (FICLONE) copy on btrfs, XFS and the like; False where the file system has none."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on Windows
        return False
    ficlone = 0x40049409
    try:
        with open(source, "rb") as src, open(part, "wb") as dst:
            fcntl.ioctl(dst.fileno(), ficlone, src.fileno())
        return True
    except OSError:
        part.unlink(missing_ok=True)
        return False
